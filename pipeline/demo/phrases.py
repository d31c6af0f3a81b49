"""What the sample stream says: brands, products, people and the phrase templates the generator fills in.

Everything here was written for the project (no third-party text). Templates use two kinds of slot:
``{name}`` is filled by :mod:`pipeline.demo.sample` (brand, product, numbers, people, URLs …) and
``[a|b|c]`` picks one alternative at random (an empty alternative makes the words optional). A template that
starts with ``beauty::`` or ``lamp::`` is only used for brands of that sector; ``title || body`` gives a press
article its own headline.
Each :class:`Scenario` carries the categories and sentiment its texts are written to express; they end up
in ``labels.jsonl`` so that the demo and the tests can check the taggers at a coarse level.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Product:
    name: str  # without the brand: "Rouge Velours"
    kind: dict[str, str]  # what it is, per language: {"fr": "rouge à lèvres", "en": "lipstick"}


@dataclass(frozen=True)
class Brand:
    name: str
    handle: str  # main account, without "@"
    care_handle: str  # customer-service account, without "@"
    site: str
    sector: str  # "beauty" or "lamp": chooses the defect, praise and fraud phrases
    french_share: float  # share of the brand's mentions written in French
    products: tuple[Product, ...]
    hashtags: tuple[str, ...]
    order_prefix: str


def _p(name: str, fr: str, en: str) -> Product:
    return Product(name, {"fr": fr, "en": en})


BRANDS: dict[str, Brand] = {
    "Aquarelle": Brand(
        name="Aquarelle",
        handle="aquarelle",
        care_handle="aquarelle_care",
        site="https://www.aquarelle-cosmetiques.fr",
        sector="beauty",
        french_share=0.7,
        products=(
            _p("Rouge Velours", "rouge à lèvres", "lipstick"),
            _p("Crème Nuage", "crème hydratante", "moisturiser"),
            _p("Sérum Éclat", "sérum", "serum"),
            _p("Teint Lumière", "fond de teint", "foundation"),
            _p("Mascara Plume", "mascara", "mascara"),
            _p("Baume Cerise", "baume à lèvres", "lip balm"),
            _p("Eau de Pluie", "parfum", "perfume"),
            _p("Palette Sous-Bois", "palette", "eyeshadow palette"),
        ),
        hashtags=("#Aquarelle", "#maquillage", "#beauté", "#makeup", "#skincare", "#routinebeauté", "#cosmétiques"),
        order_prefix="AQ",
    ),
    "Lumio": Brand(
        name="Lumio",
        handle="lumiohome",
        care_handle="lumio_help",
        site="https://www.lumio-home.com",
        sector="lamp",
        french_share=0.42,
        products=(
            _p("Halo", "lampe connectée", "smart lamp"),
            _p("Halo Mini", "lampe de chevet", "bedside lamp"),
            _p("Strip", "ruban LED", "LED strip"),
            _p("Bulb E27", "ampoule connectée", "smart bulb"),
            _p("Desk Pro", "lampe de bureau", "desk lamp"),
            _p("Hub", "passerelle", "hub"),
        ),
        hashtags=("#Lumio", "#smarthome", "#domotique", "#maisonconnectée", "#déco", "#gadget", "#homeoffice"),
        order_prefix="LM",
    ),
    "Nordlys": Brand(
        name="Nordlys",
        handle="nordlys",
        care_handle="nordlys_support",
        site="https://www.nordlys-design.com",
        sector="lamp",
        french_share=0.38,
        products=(
            _p("Aurora", "lampe d'ambiance", "ambient lamp"),
            _p("Aurora 2", "lampe connectée", "smart lamp"),
            _p("Polar", "ampoule connectée", "smart bulb"),
        ),
        hashtags=("#Nordlys", "#scandinavian", "#hygge", "#smarthome", "#déco"),
        order_prefix="NL",
    ),
}
# Nordlys is the competitor: mentioned alone or next to Lumio (lamps) or Aquarelle (its Fjord serum).
COMPETITOR = "Nordlys"
COMPETITOR_PRODUCT_AGAINST = {"Lumio": ("Aurora", "Aurora 2", "Polar"), "Aquarelle": ("Fjord",)}

AMBASSADORS = {"Aquarelle": "Inès Marchal", "Lumio": "Tom Keller", "Nordlys": "Sigrid Holm"}
CEOS = {"Aquarelle": "Hélène Vasseur", "Lumio": "David Okonjo", "Nordlys": "Lars Eide"}

FIRST_NAMES = {
    "fr": (
        "Camille Léa Manon Chloé Inès Sarah Jade Louise Emma Zoé Clara Lucie Julie Pauline Marion Anaïs Élodie "
        "Mélanie Laura Océane Maëlle Nina Yasmine Sofia Amel Fatou Aïcha Lina Agathe Margaux Justine Audrey "
        "Thomas Lucas Hugo Théo Maxime Antoine Nicolas Julien Kevin Romain Mathieu Karim Yanis Mehdi Adrien "
        "Baptiste Quentin Florian Sébastien Olivier Arthur Louis Gabriel Samuel Moussa Rayan Bastien Loïc"
    ).split(),
    "en": (
        "Emily Olivia Sophie Jessica Hannah Megan Chloe Grace Ava Mia Amelia Lily Ella Charlotte Lauren Rachel "
        "Ashley Brittany Priya Aisha Zara Naomi Kayla Jade Holly Abby Jenna Tara Nora Leah Maya Erin "
        "James Jack Oliver Harry Daniel Ryan Liam Noah Ethan Jacob Michael Tyler Connor Kyle Dylan Sam "
        "Marcus Andre Raj Omar Kenji Luke Nathan Owen Callum Josh Ben Adam Chris Matt"
    ).split(),
}
LAST_NAMES = {
    "fr": (
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
        "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François "
        "Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu "
        "Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Benali Diallo Nguyen Traoré"
    ).split(),
    "en": (
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson White Harris "
        "Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts "
        "Carter Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Patel Khan Chen "
        "Kim Singh Okafor Reyes O'Brien Walsh Hughes Price Bennett"
    ).split(),
}
HANDLE_SUFFIXES = ("", "", "_", "75", "69", "13", "33", "59", "92", "_off", "x", "_beauty", "_home", "2", "01", "99", "88", "_pro", "lol")

TROLL_HANDLES = (
    "vrai_patriote_1984", "le_vengeur_masqué", "xXdarkSasukeXx", "truthseeker_77", "anonyme_en_colere",
    "gros_lol_420", "no_filter_guy", "redpill_rick", "kevin_sans_filtre", "grumpy_cat_fr", "boycott_all_brands",
    "ratio_machine", "dr_complot", "mr_troll_officiel",
)
COUNTERFEIT_SELLERS = {
    "beauty": ("beauty_deals_outlet77", "luxe_cosmetiques_pas_cher", "glam_dupes_shop", "makeup_grossiste_fr"),
    "lamp": ("smart_deals_4u", "gadget_outlet_eu", "lampes_destockage", "techbargain_zone"),
}
SCAM_URLS = {
    "beauty": ("https://aquarelle-outlet-paris.shop/promo", "https://bit.ly/aqua-destock", "https://cosmeto-discount.store/aquarelle"),
    "lamp": ("https://lumio-official-sale.store", "https://bit.ly/lumio80", "https://smart-lamps-outlet.shop/halo"),
}
VIDEO_LEAK_URLS = ("https://streamleaks.tv/v/{brandslug}-campagne-2027", "https://fileshare-free.cc/{brandslug}_spot_HD.mp4", "https://t.me/leaks_pubs_fr")
MANUAL_LEAK_URLS = ("https://fileshare-free.cc/{brandslug}-manuel.pdf", "https://pdf-gratuit.net/{brandslug}-pro-manual", "https://apkmodhub.cc/{brandslug}-pro-unlocked")
SHOPS = {
    ("beauty", "fr"): ("Sephora", "Nocibé", "Marionnaud", "Amazon"), ("beauty", "en"): ("Boots", "Sephora", "Amazon", "Ulta"),
    ("lamp", "fr"): ("Boulanger", "Darty", "Fnac", "Amazon"), ("lamp", "en"): ("Currys", "Best Buy", "Amazon", "John Lewis"),
}
MARKETS = {
    ("beauty", "fr"): ("les soins visage", "le maquillage haut de gamme"), ("beauty", "en"): ("skincare", "premium make-up"),
    ("lamp", "fr"): ("les lampes connectées", "l'éclairage design"), ("lamp", "en"): ("smart lighting", "designer lamps"),
}
WEAKNESSES = {  # the "only downside" of a review
    ("beauty", "fr"): ("la tenue est moyenne", "le packaging fait cheap", "l'odeur est un peu forte", "le prix pique"),
    ("beauty", "en"): ("it doesn't last", "the packaging feels cheap", "the scent is a bit strong", "the price is steep"),
    ("lamp", "fr"): ("l'appli est lente", "la notice est illisible", "le wifi décroche parfois", "le prix pique"),
    ("lamp", "en"): ("the app is slow", "the manual is useless", "wifi drops now and then", "the price is steep"),
}
CHEAP_THINGS = {
    ("beauty", "fr"): ("un tube de gras", "de la crème parfumée", "trois grammes de poudre"), ("beauty", "en"): ("a tube of grease", "scented lotion"),
    ("lamp", "fr"): ("une lampe de chevet", "une ampoule", "une guirlande de Noël"), ("lamp", "en"): ("a bedside lamp", "a light bulb"),
}
CITIES = {
    "fr": ("Paris", "Lyon", "Marseille", "Lille", "Bordeaux", "Toulouse", "Nantes", "Strasbourg", "Rennes", "Montpellier", "Nice", "Grenoble", "Dijon", "Angers", "Tours", "Metz", "Brest", "Rouen"),
    "en": ("London", "Manchester", "Leeds", "Dublin", "Bristol", "Glasgow", "Brighton", "New York", "Chicago", "Toronto", "Boston", "Austin", "Seattle", "Melbourne"),
}
CARE_AGENTS = ("Léa", "Karim", "Sophie", "Julien", "Nadia", "Hugo", "Emma", "Max")

SUBREDDITS = {
    ("beauty", "fr"): ("france", "AskFrance", "conseiljuridique", "FrancePirate"),
    ("beauty", "en"): ("SkincareAddiction", "MakeupAddiction", "BeautyGuruChatter", "Scams"),
    ("lamp", "fr"): ("france", "domotique", "AskFrance", "conseiljuridique"),
    ("lamp", "en"): ("smarthome", "homeautomation", "BuyItForLife", "Scams"),
}
FORUMS = {
    ("beauty", "fr"): "https://forum.beaute-passion.fr/forum/maquillage",
    ("beauty", "en"): "https://www.makeuptalk-forum.com/forums/brands",
    ("lamp", "fr"): "https://forum.maison-connectee.fr/forum/eclairage",
    ("lamp", "en"): "https://www.homeautomation-forum.net/c/lighting",
}
MASTODON_INSTANCES = {"fr": ("piaille.fr", "mastodon.social", "framapiaf.org", "mamot.fr"), "en": ("mastodon.social", "mastodon.online", "fosstodon.org", "hachyderm.io")}
NEWS_OUTLETS = {
    "fr": (("Le Courrier Conso", "courrierconso.fr"), ("Hebdo Tech", "hebdotech.fr"), ("Beauté Business", "beautebusiness.fr"), ("La Dépêche Numérique", "depeche-numerique.fr")),
    "en": (("Gadget Ledger", "gadgetledger.com"), ("Retail Wire Daily", "retailwiredaily.com"), ("Beauty Trade Journal", "beautytradejournal.com")),
}
BLOGS = {
    ("beauty", "fr"): ("la-trousse-de-clara.fr", "lesjolisdimanches.fr", "beaute-au-naturel.fr"),
    ("beauty", "en"): ("glowdiaries.blog", "thelipsticklog.com"),
    ("lamp", "fr"): ("maison-geek.fr", "le-coin-domotique.fr"),
    ("lamp", "en"): ("smartnestreviews.com", "lightandcode.blog"),
}

EMOJI = {
    "positive": ("😍", "🥰", "✨", "👌", "🙌", "❤️", "💯", "😊", "🔥", "👏", "🤩", "💖"),
    "negative": ("😡", "🤬", "😤", "👎", "😠", "🙄", "💀", "😒", "😭", "🤡", "😩"),
    "neutral": ("🤔", "👀", "📦", "💡", "🧐", "📰"),
}
SECTOR_EMOJI = {"beauty": ("💄", "💋", "🌸", "🧴"), "lamp": ("💡", "🏠", "🌙", "🔌")}

DETAILS = {  # what people praise
    ("beauty", "fr"): (
        "tient toute la journée", "la texture est [incroyable|divine|trop agréable]", "ma peau n'a jamais été aussi douce",
        "la couleur est parfaite sur moi", "l'odeur est [divine|trop bonne]", "ne dessèche pas du tout",
        "aucune [réaction|irritation] sur ma peau sensible", "le packaging est trop beau", "ça dure des mois",
    ),
    ("beauty", "en"): (
        "lasts all day", "the texture is [amazing|so silky|unreal]", "my skin has never felt this soft",
        "the shade is perfect on me", "it smells [divine|so good]", "doesn't dry out [at all|]",
        "no [reaction|irritation] on my sensitive skin", "the packaging is gorgeous", "a little goes a long way",
    ),
    ("lamp", "fr"): (
        "la lumière est [super|hyper|vraiment] douce", "l'appli est [hyper|ultra] simple", "installée en 5 minutes chrono",
        "le mode réveil [est génial|a changé mes matins]", "marche nickel avec Google Home", "le design est [magnifique|canon|trop beau]",
        "les scènes du soir sont parfaites pour lire", "elle consomme [presque rien|trois fois rien]", "les couleurs sont [dingues|superbes]",
    ),
    ("lamp", "en"): (
        "the light is [so|really] soft", "the app is [dead|super] simple", "set up in five minutes",
        "the sunrise alarm [is a game changer|changed my mornings]", "works flawlessly with HomeKit", "the design is [gorgeous|stunning]",
        "the evening scenes are perfect for reading", "colours are [insane|beautiful]", "uses [next to nothing|barely any power]",
    ),
}
ISSUES = {  # what goes wrong with a product
    ("beauty", "fr"): (
        "le produit était [déjà ouvert|entamé]", "le produit est arrivé cassé", "le flacon fuyait dans [tout |]le colis",
        "le couvercle était fendu", "le boîtier est arrivé en miettes", "la pompe ne marche pas",
        "la texture a tourné au bout de 2 semaines", "c'est pas la bonne teinte qu'on m'a envoyé",
    ),
    ("beauty", "en"): (
        "it was [already open|used]", "it arrived broken", "the bottle leaked all over the box",
        "the lid was cracked", "the case arrived shattered", "the pump doesn't work", "they sent the wrong shade",
    ),
    ("lamp", "fr"): (
        "elle ne s'allume plus", "elle clignote sans arrêt", "impossible de la connecter au wifi", "elle est arrivée cassée",
        "le pied est fissuré", "depuis la mise à jour elle ne répond plus", "elle grésille [tout le temps|la nuit]",
        "l'appli plante [à chaque fois|en boucle]", "elle se rallume toute seule à 3h du mat",
    ),
    ("lamp", "en"): (
        "it won't turn on anymore", "it keeps flickering", "it won't connect to wifi", "it arrived broken",
        "the base is cracked", "since the firmware update it's unresponsive", "it buzzes [all the time|at night]",
        "the app crashes [every time|constantly]", "it turns itself on at 3am",
    ),
}

# Shared scenario texts. Sentiment/categories are those the words are written to express.
FR, EN = "fr", "en"


@dataclass(frozen=True)
class Scenario:
    name: str
    categories: tuple[str, ...]
    sentiment: str
    weight: float
    texts: dict[str, tuple[str, ...]]
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sectors: tuple[str, ...] = ("beauty", "lamp")
    platforms: dict[str, float] | None = None  # None: the default platform mix
    with_competitor: bool = False  # mentions the brand and the competitor


SOCIAL = {"twitter": 34, "instagram": 14, "facebook": 12, "reddit": 8, "youtube": 8, "mastodon": 6, "bluesky": 7, "forum": 8, "blog": 3}
REVIEWING = {"youtube": 18, "blog": 14, "instagram": 16, "reddit": 12, "forum": 10, "twitter": 18, "facebook": 6, "bluesky": 3, "mastodon": 3}
PRESS = {"news": 70, "blog": 30}
SELLING = {"instagram": 45, "facebook": 30, "twitter": 25}

COMPLAINT_TITLES = {
    FR: ("{brand} : [commande jamais reçue|colis fantôme|SAV aux abonnés absents], des recours ?", "Problème avec {product}, quelqu'un a eu pareil ?",
         "Coup de gueule contre {brand}", "[Arnaque ?|Galère] {brand} : {days} jours sans nouvelles"),
    EN: ("{brand} order never arrived, what are my options?", "Anyone else having issues with the {product}?", "Rant: {brand} customer service", "{brand} refund nightmare"),
}
REVIEW_TITLES = {
    FR: ("Test : {product} après {weeks} semaines", "Mon avis [honnête |]sur {product}", "{product} : vaut-il son prix ?", "J'ai testé {product} pour vous"),
    EN: ("{product} review after {weeks} weeks", "Honest review: {product}", "Is the {product} worth it?", "I tested the {product} so you don't have to"),
}
PRAISE_TITLES = {
    FR: ("Coup de cœur : {product}", "Mes favoris du mois (spoiler : {brand})", "Pourquoi j'adore {brand}"),
    EN: ("Obsessed with the {product}", "Monthly favourites: {brand} edition", "Why I love {brand}"),
}
COMPARE_TITLES = {
    FR: ("{product} vs {cproduct} : le match", "Comparatif : {brand} ou {competitor} ?"),
    EN: ("{product} vs {cproduct}: which one?", "Comparison: {brand} or {competitor}?"),
}
GENERIC_TITLES = {
    FR: ("À propos de {brand}", "{brand} : votre avis ?", "Question sur {product}"),
    EN: ("About {brand}", "{brand}: thoughts?", "Question about the {product}"),
}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("complaint_delivery", ("complaint",), "negative", 7.0, {
        FR: (
            "{at} commande {order} passée il y a {days} jours, toujours pas reçue. [C'est normal ?|Vous comptez me répondre ?|Sérieux ?] {emo_neg}",
            "Ça fait {days} jours que j'attends mon colis {brand}, le suivi n'a pas bougé depuis [lundi|une semaine|le {days2}]. [Inadmissible.|Ras le bol.|Super…]",
            "[Bonjour|Bjr|Hello] {at}, ma commande {order} est [bloquée|perdue] [chez le transporteur|quelque part] depuis {days} jours. Quelqu'un peut m'aider ?",
            "Livraison \"en 48h\" qu'ils disaient… {days} jours plus tard toujours rien. Merci {brand} {emo_neg}",
            "Colis {brand} marqué livré mais jamais reçu. [Le service client me balade.|Personne ne répond.|On me dit d'attendre.] #colisperdu",
            "jamais reçu ma commande {brand} et ils veulent pas me rembourser [tant que l'enquête est pas finie|avant 30 jours] [mdr|lol] c une blague",
            "{days} jours de retard pour {product}, c'était un cadeau d'anniversaire. [Bravo|Merci beaucoup] {brand} [👏|🙃]",
            "Encore un retard de livraison chez {brand}… c'est la [deuxième|troisième] fois cette année. [Je commande plus chez eux.|Dernière fois.]",
        ),
        EN: (
            "{at} order {order} placed {days} days ago and still nothing. [Is this normal?|Hello??|Anyone there?] {emo_neg}",
            "Been waiting {days} days for my {brand} parcel, tracking hasn't moved since [Monday|last week]. [Unacceptable.|Done with this.]",
            "Hi {at}, my order {order} has been stuck [with the courier|in transit] for {days} days. Can someone help?",
            "\"2-day shipping\" they said… {days} days later still nothing. Thanks {brand} {emo_neg}",
            "{brand} parcel marked as delivered but never arrived. [Customer service keeps stalling.|Nobody answers.] #missingparcel",
            "{days} days late for the {product}, it was a birthday gift. [Great job|Well done] {brand} 🙃",
        ),
    }, COMPLAINT_TITLES, platforms=SOCIAL),
    Scenario("complaint_broken", ("complaint",), "negative", 6.0, {
        FR: (
            "{at} [j'ai reçu|reçu] {product} [hier|ce matin|aujourd'hui] et {issue}. [Je fais quoi ?|Super la qualité.|Déçue.] {emo_neg}",
            "{product} reçu il y a {weeks} semaines : {issue}. {price} € [à la poubelle|pour ça]… [Déçu|Déçue|Franchement déçue].",
            "Alors {brand}, {issue} ({product}), c'est [normal|prévu] ? [Produit défectueux.|Qualité en chute libre.]",
            "2e produit {brand} défectueux en {months} mois. {issue}. [Je comprends plus cette marque.|Plus jamais.]",
            "[Bon bah|Bon ben|Et voilà] {issue}. {product} [n'aura pas tenu longtemps|a duré {weeks} semaines] {emo_neg} {at}",
            "lamp::Ma lampe {brand} ne fonctionne plus : {issue}. Garantie {brand} = [parcours du combattant|mission impossible].",
        ),
        EN: (
            "{at} got my {product} [yesterday|this morning|today] and {issue}. [What now?|Great quality.|So disappointed.] {emo_neg}",
            "Bought the {product} {weeks} weeks ago: {issue}. ${price} [down the drain|for this]… disappointed.",
            "Hey {brand}, {issue} on my {product}, is that [normal|a known issue]? [Defective product.|Quality has gone downhill.]",
            "Second {brand} {ptype} broken in {months} months. {issue}. [Never again.|I'm done.]",
            "[Well|Aaand] {issue}. My {product} lasted {weeks} weeks {emo_neg} {at}",
        ),
    }, COMPLAINT_TITLES, platforms=SOCIAL),
    Scenario("complaint_refund", ("complaint",), "negative", 3.5, {
        FR: (
            "{brand} refuse de me rembourser {product} [alors qu'il est arrivé cassé|pourtant jamais ouvert|sous garantie]. [Scandaleux.|C'est du vol.|Inadmissible.] {at}",
            "Remboursement refusé par {brand} sans [explication|raison] après {weeks} semaines d'échanges. Je vais [voir une asso de conso|saisir le médiateur].",
            "{at} [on m'a promis|promis] un remboursement le {days2}, toujours rien sur mon compte. Commande {order}.",
            "Retour accepté, colis reçu chez eux, et maintenant {brand} dit que le produit est \"utilisé\" donc pas de remboursement. [Sérieusement ?|La blague.]",
            "{brand} me propose un avoir au lieu d'un remboursement pour {product} défectueux. [Non merci.|Je veux mon argent.]",
        ),
        EN: (
            "{brand} refuses to refund my {product} [even though it arrived broken|still sealed|under warranty]. [Disgraceful.|Daylight robbery.] {at}",
            "Refund denied by {brand} with no explanation after {weeks} weeks of emails. Going to [my bank|small claims] next.",
            "{at} you promised a refund [two weeks ago|last Monday], still nothing. Order {order}.",
            "Return accepted, parcel received, and now {brand} says it's \"used\" so no refund. [Seriously?|What a joke.]",
        ),
    }, COMPLAINT_TITLES, platforms=SOCIAL),
    Scenario("complaint_service", ("complaint",), "negative", 4.5, {
        FR: (
            "{minutes} minutes d'attente au service client {brand} pour [être raccroché au nez|qu'on me dise de rappeler|rien]. {emo_neg}",
            "{care} [3e|4e|5e] mail sans réponse. Vous existez ? Commande {order}.",
            "Impossible de joindre le service client {brand} : [le chat bug|le numéro sonne dans le vide|formulaire en erreur]. [Génial.|Au top.]",
            "[Ça fait|Depuis] {days} jours que j'essaie de joindre {brand}. Personne. Pas un mail. Rien. #serviceclient",
            "Le SAV {brand} c'est vraiment [une catastrophe|le néant|une blague]. [On me renvoie d'un service à l'autre.|Toujours pas de réponse à ma réclamation.]",
            "{at} bonjour, vous répondez aux DM ou c'est décoratif ? [Toujours rien depuis {days} jours.|Réclamation {order}.]",
        ),
        EN: (
            "{minutes} minutes on hold with {brand} customer service [just to get cut off|to be told to call back|for nothing]. {emo_neg}",
            "{care} [3rd|4th|5th] email with no reply. Do you exist? Order {order}.",
            "Impossible to reach {brand} support: [the chat is broken|the phone just rings|the form errors out]. [Great.|Amazing.]",
            "Been trying to reach {brand} for {days} days. Nothing. Not one email. #customerservice",
            "{at} hi, do you actually read DMs? [Still nothing after {days} days.|Ticket {order}.]",
        ),
    }, COMPLAINT_TITLES, platforms=SOCIAL),
    Scenario("complaint_rant", ("complaint", "troll"), "negative", 1.2, {
        FR: (
            "{brand} et son service client de merde. {days} jours pour une réponse automatique. [Bande de guignols.|Bouffons.]",
            "Franchement {at} vous êtes des escrocs, produit cassé et pas de remboursement. [Allez vous faire voir.|Nuls à chier.]",
            "Marre de ces connards de chez {brand} qui répondent jamais. Commande {order}, {days} jours. {emo_neg}",
        ),
        EN: (
            "{brand} and their crap customer service. {days} days for an auto-reply. [Clowns.|Morons.]",
            "Honestly {at} you're scammers, broken {product} and no refund. [Screw you.|Absolute shit.]",
        ),
    }, COMPLAINT_TITLES, platforms=SOCIAL),
    Scenario("praise", ("positive",), "positive", 15.0, {
        FR: (
            "[Coup de cœur|Gros coup de cœur|Nouveau chouchou] pour {product} {emo_pos} {detail}",
            "{product} : {detail}. [Merci|Bravo] {at} {emo_pos}",
            "Je [recommande|valide] {product} à 100%, {detail} {emo_pos}",
            "[Honnêtement|Franchement|Sérieux] {brand} c'est [top|la meilleure marque|le feu]. {detail}.",
            "3e {ptype} {brand} et toujours aussi [ravie|content|contente]. {detail} {emo_pos}",
            "Le service client {brand} [a été adorable|m'a répondu en 10 min|a renvoyé un colis direct]. [Merci|Chapeau] {care} {emo_pos}",
            "[Petit|Gros] craquage chez {brand} aujourd'hui {emo_pos} [hâte de tester|trop contente de mes achats]",
            "Vendeuse {brand} de {city} [au top|adorable|super pro], elle m'a trouvé {product} parfait. [Merci !|Je reviendrai.]",
            "{product} + {detail} = [bonheur|amour|parfait] {emo_pos}{emo_pos}",
            "j'adore trop {product} {emo_pos} [{detail}|meilleur achat de l'année]",
        ),
        EN: (
            "[Obsessed|In love] with the {product} {emo_pos} {detail}",
            "{product}: {detail}. [Thank you|Bravo] {at} {emo_pos}",
            "Can't recommend the {product} enough, {detail} {emo_pos}",
            "[Honestly|Ngl] {brand} is [the best|top tier|amazing]. {detail}.",
            "{brand} customer service [was lovely|replied in 10 minutes|sent a replacement right away]. [Thanks|Kudos] {care} {emo_pos}",
            "Little {brand} haul today {emo_pos} [can't wait to try everything|so happy with it]",
            "best purchase of the year: {product} {emo_pos} {detail}",
        ),
    }, PRAISE_TITLES, platforms=SOCIAL),
    Scenario("review_positive", ("review", "positive"), "positive", 5.0, {
        FR: (
            "J'ai testé {product} pendant {weeks} semaines : {detail}, [rapport qualité/prix excellent|vraiment efficace]. [Je recommande !|Validé.] {emo_pos}",
            "Avis après {weeks} semaines sur {product} ({price} €) : {detail}. Seul bémol, {weak}. [Bon achat quand même.|Je rachète.]",
            "Test complet de {product} [en vidéo|sur le blog] : {detail}, et [franchement|honnêtement] c'est [top|parfait]. [Lien en bio|Tout est expliqué].",
            "[Mon avis|Verdict] sur {product} : {detail}. Note : [9|8|8,5]/10 {emo_pos}",
        ),
        EN: (
            "I tested the {product} for {weeks} weeks: {detail}, [great value|really effective]. [Recommend!|Worth it.] {emo_pos}",
            "Review after {weeks} weeks with the {product} (${price}): {detail}. Only downside, {weak}. [Still a great buy.|Would buy again.]",
            "Full review of the {product} [on the channel|on the blog]: {detail}, [honestly|really] excellent. {emo_pos}",
            "[My take|Verdict] on the {product}: {detail}. [9|8|8.5]/10",
        ),
    }, REVIEW_TITLES, platforms=REVIEWING),
    Scenario("review_mixed", ("review",), "neutral", 3.0, {
        FR: (
            "Avis mitigé sur {product} après {weeks} semaines : {detail}, mais {weak}. [À voir.|Bof bof.]",
            "{product} : [points positifs|les +] {detail} ; [points négatifs|les -] {weak}. [Correct sans plus.|Ni bien ni mal.]",
            "Test de {product} : ça fait le job mais [rien d'exceptionnel|pas de quoi s'extasier] pour {price} €.",
        ),
        EN: (
            "Mixed feelings about the {product} after {weeks} weeks: {detail}, but {weak}. [It's ok.|Meh.]",
            "{product} pros and cons: {detail}; but {weak}. [Decent, not great.|Fine I guess.]",
        ),
    }, REVIEW_TITLES, platforms=REVIEWING),
    Scenario("review_negative", ("review",), "negative", 2.0, {
        FR: (
            "Test de {product} après {weeks} semaines : [déçue|déçu]. {issue}, et pour {price} € c'est [abusé|pas acceptable]. Note : [3|4|2]/10",
            "Avis honnête : {product} ne vaut pas son prix, {weak}. Je [déconseille|ne rachèterai pas].",
        ),
        EN: (
            "Tested the {product} for {weeks} weeks: disappointed. {issue}, and at ${price} that's [not ok|a rip-off]. [3|4|2]/10",
            "Honest review: the {product} isn't worth it, {weak}. Would not recommend.",
        ),
    }, REVIEW_TITLES, platforms=REVIEWING),
    Scenario("tip", ("review",), "positive", 4.0, {
        FR: (
            "beauty::Astuce : pour faire tenir {product} [plus longtemps|toute la journée], [une couche fine puis on tamponne|on le garde au frais]. {emo_pos}",
            "Petite astuce {brand} : {detail}, [à condition de bien suivre la notice|testé sur un mois]. [Testé et approuvé.|Ça change tout.]",
            "beauty::Conseil du jour : {product} [le soir|le matin] avant le reste de la routine, {detail}. [Merci qui ?|De rien 😉]",
            "lamp::Conseil du jour : activez le mode nuit de {product} à partir de [21h|22h], {detail}. [Merci qui ?|De rien 😉]",
            "lamp::Tuto rapide {product} : appui long sur le bouton 5 secondes pour la réinitialiser, puis on refait l'appairage. [Ça m'a sauvé.|Vous me remercierez.]",
            "beauty::Tuto rapide {product} : appliquer au doigt, pas au pinceau, et laisser poser une minute. [Ça m'a sauvé.|Vous me remercierez.]",
        ),
        EN: (
            "beauty::Tip: to make the {product} [last longer|last all day], [thin layer then blot|keep it in the fridge]. {emo_pos}",
            "lamp::Quick {brand} tip: {detail}, but only if you update the firmware first. [Game changer.|Trust me.]",
            "lamp::How to reset the {product}: [hold the button for 5 seconds|unplug it for 10 seconds then pair again]. [Saved me.|You're welcome.]",
            "beauty::How I use the {product}: [fingertips, not a brush|a tiny amount after serum]. {detail}. [Game changer.|Trust me.]",
        ),
    }, REVIEW_TITLES, platforms=REVIEWING),
    Scenario("comparison_positive", ("review", "positive"), "positive", 2.5, {
        FR: (
            "J'ai comparé {product} et {cproduct} : [pour moi|au final] {brand} gagne, {detail}. {emo_pos}",
            "{product} vs {cproduct} après {weeks} semaines : {brand} [largement devant|meilleur rapport qualité/prix], {competitor} [plus cher|moins complet].",
            "Pour ceux qui hésitent entre {brand} et {competitor} : prenez {product}, {detail}.",
        ),
        EN: (
            "Compared the {product} and the {cproduct}: {brand} wins for me, {detail}. {emo_pos}",
            "{product} vs {cproduct} after {weeks} weeks: {brand} [clearly ahead|better value], {competitor} [pricier|less polished].",
            "If you're torn between {brand} and {competitor}: get the {product}, {detail}.",
        ),
    }, COMPARE_TITLES, platforms=REVIEWING, with_competitor=True),
    Scenario("comparison_switch", ("complaint",), "negative", 1.0, {
        FR: (
            "Après {weeks} semaines de galère avec {product}, je passe chez {competitor}. [Adieu|Bye] {brand}.",
            "{brand} ne répond plus, {competitor} m'a remplacé mon produit en 2 jours. Le choix est vite fait.",
        ),
        EN: (
            "After {weeks} weeks of trouble with the {product}, switching to {competitor}. Bye {brand}.",
            "{brand} stopped answering, {competitor} replaced my unit in 2 days. Easy choice.",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL, with_competitor=True),
    Scenario("question", ("neutral",), "neutral", 6.0, {
        FR: (
            "Quelqu'un a [testé|essayé] {product} ? [Ça vaut le coup ?|Vos avis ?|Je suis tentée.]",
            "lamp::{at} est-ce que {product} [est compatible avec Alexa|marche sans le hub|existe en blanc] ?",
            "beauty::{at} est-ce que {product} [convient aux peaux sensibles|existe en plus grand format|est testé sous contrôle dermatologique] ?",
            "beauty::[Question bête|Petite question] : {product} c'est [fabriqué en France|vegan|sans parfum] ?",
            "lamp::[Question bête|Petite question] : {product} c'est garanti combien de temps ?",
            "Vous savez si {brand} fait des soldes [ce week-end|bientôt|pour le Black Friday] ?",
            "[Besoin d'aide|Help] : {product} [ou|vs] {competitor} pour un cadeau ? {emo_neu}",
            "La boutique {brand} de {city} est ouverte le dimanche ?",
        ),
        EN: (
            "Has anyone [tried|tested] the {product}? [Worth it?|Thoughts?|Tempted.]",
            "lamp::{at} is the {product} [compatible with Alexa|usable without the hub]?",
            "beauty::{at} is the {product} [ok for sensitive skin|available in a bigger size]?",
            "Quick question: is {brand} [cruelty free|made in Europe|doing a Black Friday sale]?",
            "Does the {brand} store in {city} open on Sundays? {emo_neu}",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("casual", ("neutral",), "neutral", 7.0, {
        FR: (
            "Je passe chez {brand} après le taf[ pour récupérer ma commande|| pour voir la nouvelle collection]",
            "Ma sœur m'a offert {product}, je teste demain {emo_neu}",
            "Nouvelle collection {brand} en boutique à {city} [depuis ce matin|aujourd'hui]",
            "Vu une pub {brand} dans le métro [ce matin|tout à l'heure]",
            "{brand} sort [une nouvelle teinte|une nouvelle version] de {product} le {days2}, [à suivre|on verra]",
            "[En train de|J'hésite à] commander {product} chez {brand}",
            "Unboxing {product} [ce soir en live|demain sur la chaîne] {emo_neu}",
        ),
        EN: (
            "Popping into {brand} after work[ to pick up my order|]",
            "My sister got me the {product}, trying it tomorrow {emo_neu}",
            "Saw a {brand} ad on the tube [this morning|earlier]",
            "{brand} is launching a new version of the {product} [next week|next month|on Friday]",
            "Unboxing the {product} [tonight on stream|tomorrow on the channel]",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("deal", ("neutral",), "neutral", 2.0, {
        FR: (
            "Bon plan : {product} à {price} € [au lieu de|contre] {price2} € chez {shop} [jusqu'à dimanche|ce week-end] {short}",
            "Code promo {brand} -{percent}% [jusqu'à ce soir|ce week-end] [sur tout le site|sur {product}]",
        ),
        EN: (
            "Deal: {product} for ${price} instead of ${price2} at {shop} [this weekend|until Sunday] {short}",
            "{brand} promo code -{percent}% [until tonight|this weekend] on [everything|the {product}]",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("news", ("neutral",), "neutral", 4.0, {
        FR: (
            (
                "{brand} ouvre une boutique à {city} || {brand} annonce l'ouverture d'une boutique à {city} [au printemps|d'ici la fin de l'année]. "
                "La marque compte désormais [une vingtaine|une trentaine] de points de vente en France et prévoit de recruter [quinze|une dizaine de] personnes."
            ),
            (
                "{brand} dévoile {pname} || {brand} lance {pname}, nouveauté de sa gamme, au prix de {price} €. La marque mise sur "
                "[le fabriqué en France|l'éco-conception|un positionnement accessible] pour séduire [une clientèle plus jeune|de nouveaux clients]."
            ),
            (
                "{brand} en forte croissance || Selon [nos informations|un communiqué], {brand} aurait réalisé un chiffre d'affaires en hausse de "
                "{percent} % sur un an, porté par {pname}. La marque vise désormais l'international."
            ),
            (
                "Entretien avec {ceo} ({brand}) || Dans un entretien, {ceo}, à la tête {of_brand}, revient sur [la stratégie de la marque|les "
                "difficultés logistiques du dernier trimestre|l'arrivée de {competitor} sur le marché français]. « Nous avons [beaucoup appris|dû "
                "nous adapter] », résume la direction."
            ),
            (
                "{brand} face à {competitor} || {competitor} et {brand} se livrent une bataille des prix sur {market}, à quelques semaines des "
                "fêtes. [Les deux marques n'ont pas souhaité commenter.|Les distributeurs s'attendent à des promotions agressives.]"
            ),
        ),
        EN: (
            (
                "{brand} to open {city} store || {brand} is opening a flagship store in {city} [next spring|by the end of the year], the company "
                "said on [Monday|Tuesday]. It will be the brand's [first|second] shop outside France."
            ),
            "{brand} unveils the {pname} || {brand} launches the {pname}, a new {ptype} priced at ${price}, betting on [sustainable design|first-time buyers].",
            (
                "{brand} revenue jumps {percent}% || {brand} reported revenue up {percent}% year on year, driven by the {pname}, according to "
                "[a statement|people familiar with the matter]."
            ),
            (
                "{brand} vs {competitor}: the price war || {competitor} and {brand} are locked in a price war on {market} ahead of the holidays. "
                "[Neither company would comment.|Retailers expect aggressive discounts.]"
            ),
        ),
    }, platforms=PRESS),
    Scenario("troll", ("troll",), "negative", 4.0, {
        FR: (
            "{brand} c'est [de la merde|nul à chier|de la daube] et ceux qui achètent sont des [pigeons|débiles|abrutis] {emo_neg}",
            "[Mdr|Ptdr] les clients {brand} [bande de moutons|les bouffons], vous payez {price} € pour {cheap}",
            "{at} ta gueule avec tes pubs [partout|à chaque vidéo] sérieux",
            "Les crétins qui font la queue chez {brand} à {city}… [la France d'aujourd'hui|pathétique] {emo_neg}",
            "{brand} = marque de [bobos|influenceuses] pour [cerveaux vides|abrutis]. [Voilà c'est dit.|Fin du débat.]",
        ),
        EN: (
            "{brand} is [absolute crap|garbage] and anyone who buys it is [an idiot|a moron] {emo_neg}",
            "lmao {brand} fans are such [losers|morons], paying ${price} for {cheap}",
            "{at} shut up with your ads [everywhere|on every video] ffs",
            "{brand} = brand for [stupid|braindead] influencers. [That's it.|End of story.]",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("counterfeit_seller", ("counterfeit",), "neutral", 2.0, {
        FR: (
            "Répliques {brand} 1:1 dispo {emo_pos} {product} à {price_low} € seulement, DM pour commander. Livraison rapide [toute la France|48h]",
            "Destockage {brand} -{fake_percent}% !! {product} [neuf|neuve] sous blister, [quantité limitée|dernières pièces] {scam_url}",
            "Copies parfaites {brand} (qualité AAA) {product}, [paiement Paypal amis|paiement par virement], écrivez-moi en privé",
            "{product} à prix cassé -{fake_percent}% 🔥 [stock limité|vente flash] 👉 {scam_url}",
        ),
        EN: (
            "{brand} replicas 1:1 available {emo_pos} {product} only ${price_low}, DM to order. Fast shipping worldwide",
            "{brand} clearance -{fake_percent}%!! {product} brand new sealed, [limited stock|last units] {scam_url}",
            "AAA quality {brand} {product} copies, [PayPal friends only|crypto accepted], message me",
        ),
    }, GENERIC_TITLES, platforms=SELLING),
    Scenario("counterfeit_warning", ("counterfeit",), "negative", 1.0, {
        FR: (
            "Attention aux faux {brand} vendus sur [Instagram|Vinted|Marketplace] à -{fake_percent}% ! J'en ai acheté [un|une], {issue}. C'est de la contrefaçon.",
            "{at} des comptes vendent des contrefaçons de {product} avec votre logo, vous faites quelque chose ? {scam_url}",
            "J'ai reçu une fausse {product}, [le logo est de travers|l'emballage est différent|aucun numéro de série]. Arnaque !!",
        ),
        EN: (
            "Watch out for fake {brand} sold on [Instagram|Facebook Marketplace] at -{fake_percent}%! Bought one, {issue}. Counterfeit.",
            "{at} accounts are selling counterfeit {product} with your logo, are you doing anything about it? {scam_url}",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("false_information", ("false_information",), "negative", 2.0, {
        FR: (
            "beauty::[Partagez !!|À partager] : le {pname} {of_brand} contiendrait du plomb, [un ami pharmacien me l'a confirmé|c'est prouvé]. Ils nous cachent tout.",
            "beauty::Les produits {brand} sont [cancérigènes|toxiques], [on nous cache la vérité|les médias n'en parlent pas]. Jetez-les !",
            "lamp::Une {pname} {of_brand} aurait explosé chez [une famille|quelqu'un] à {city}, [incendie|appartement détruit]. Ils étouffent l'affaire.",
            "lamp::Rumeur qui tourne : {brand} [espionne vos conversations avec ses lampes|vend vos données à la Chine]. Complot confirmé.",
        ),
        EN: (
            "beauty::SHARE: {brand}'s {pname} contains [lead|toxic chemicals], [a pharmacist friend confirmed it|it's proven]. They don't want you to know.",
            "lamp::A {brand} {pname} exploded in a family home in {city}, [house fire|kid injured]. Total cover-up.",
            "lamp::Rumour: {brand} lamps [record your conversations|send your data to China]. Wake up people.",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("debunk", ("neutral",), "neutral", 0.6, {
        FR: (
            "beauty::Non, le {pname} {of_brand} ne contient pas de plomb : [l'analyse du labo|la DGCCRF] [ne montre rien|dément]. Vérifiez avant de partager.",
            "lamp::Fact-check : la prétendue explosion d'une {pname} à {city} [n'a jamais eu lieu|est une photo de 2019].",
        ),
        EN: (
            "beauty::No, {brand}'s {pname} does not contain lead: the lab results [show nothing|say otherwise]. Check before sharing.",
            "lamp::Fact check: the so-called exploding {pname} in {city} [never happened|is a 2019 photo].",
        ),
    }, {FR: ("Vrai ou faux : {brand} et la rumeur qui enflamme les réseaux",), EN: ("Fact check: the {brand} rumour",)},
        platforms={"news": 40, "twitter": 30, "blog": 30}),
    Scenario("copyright", ("copyright",), "neutral", 1.5, {
        FR: (
            "La pub {brand} [du printemps|de Noël] a leaked avant la sortie 👀 vidéo complète ici {video_url}",
            "lamp::Manuel {product} en PDF gratuit (version piratée de l'appli pro incluse) 👉 {manual_url}",
            "Téléchargement gratuit de la campagne {brand} en HD, [pas encore sortie|avant tout le monde] {video_url}",
            "Vidéo pub {brand} [fuitée|leaked] par un mec du tournage, [regardez vite avant suppression|lien en bio] {video_url}",
        ),
        EN: (
            "{brand}'s [spring|holiday] campaign video leaked before release 👀 full video here {video_url}",
            "lamp::Free download: {product} manual PDF + cracked pro app 👉 {manual_url}",
            "Leaked {brand} ad, full HD torrent, [grab it before it's taken down|link in bio] {video_url}",
        ),
    }, GENERIC_TITLES, platforms={"twitter": 40, "reddit": 20, "forum": 20, "instagram": 10, "bluesky": 10}),
    Scenario("discrimination", ("legal_violation", "troll"), "negative", 0.6, {
        FR: (
            "{brand} a choisi {ambassador} comme égérie ? Les gens comme elle n'ont rien à faire [dans nos pubs|en France]. Racisme anti-Français, boycott.",
            "Une égérie [voilée|noire|handicapée] chez {brand}, c'est de la propagande. Retournez dans votre pays {emo_neg}",
            "{ambassador} en pub {brand}, sérieusement ? Ces gens-là [devraient se cacher|ne méritent rien]. Discrimination ? Oui et j'assume.",
        ),
        EN: (
            "{brand} hired {ambassador} as ambassador? People like that don't belong in [our ads|this country]. Boycott.",
            "{brand} putting a gay couple in their ad. Disgusting propaganda, [they should be ashamed|go back where you came from].",
        ),
    }, GENERIC_TITLES, platforms=SOCIAL),
    Scenario("doxxing", ("legal_violation",), "negative", 0.4, {
        FR: (
            "J'ai trouvé l'adresse perso de {ceo} (PDG {brand}) : [12|27|4] rue des [Lilas|Acacias], {city}. Allez lui rendre visite 😈",
            "Voici le numéro perso de la responsable SAV {of_brand} : 06 [11 22 33 44|98 76 54 32]. Harcelez-la jusqu'à ce qu'elle rembourse.",
        ),
        EN: (
            "Found the home address of {ceo} ({brand} CEO): [42|17] [Oak|Elm] Street, {city}. Go pay a visit.",
            "Here's the personal number of {brand}'s support manager: 555-[0142|0199]. Call her until she refunds everyone.",
        ),
    }, GENERIC_TITLES, platforms={"twitter": 50, "reddit": 20, "forum": 20, "facebook": 10}),
)

# Replies in a thread: keyed by what they answer. "brand" replies are posted by the brand's care account.
REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "brand_reply": {
        FR: (
            "@{user} Bonjour {first}, nous sommes désolés [pour ce désagrément|de ce retard]. Pouvez-vous nous envoyer votre numéro de commande en DM ? ^{agent}",
            "@{user} Bonjour, nous comprenons votre frustration. Notre équipe revient vers vous [dans la journée|sous 24h] par message privé. ^{agent}",
            "@{user} Merci pour votre signalement {first}, nous regardons cela tout de suite. ^{agent}",
        ),
        EN: (
            "@{user} Hi {first}, we're sorry about this. Could you DM us your order number so we can look into it? ^{agent}",
            "@{user} Hi, we understand your frustration. Our team will get back to you [today|within 24 hours] via DM. ^{agent}",
        ),
    },
    "brand_thanks": {
        FR: ("@{user} Merci {first} ! Ravis que ça vous plaise {emo_pos} ^{agent}", "@{user} Merci beaucoup pour ce retour, ça fait plaisir à toute l'équipe ! ^{agent}"),
        EN: ("@{user} Thanks {first}! So glad you love it {emo_pos} ^{agent}", "@{user} Thank you for the kind words, the team will be thrilled! ^{agent}"),
    },
    "me_too": {
        FR: ("Pareil pour moi, [commande bloquée depuis {days} jours|même problème avec {product}]. [Ça devient n'importe quoi.|Honteux.]",
             "Moi aussi !! [Toujours pas de réponse.|Ils m'ont jamais remboursée.] {emo_neg}",
             "Idem, [j'attends depuis {days} jours|même souci], c'est vraiment [lamentable|inadmissible]."),
        EN: ("Same here, [order stuck for {days} days|same issue with my {product}]. [Ridiculous.|Shameful.]",
             "Me too!! [Still no reply.|Never got my refund.] {emo_neg}"),
    },
    "follow_up": {
        FR: ("DM envoyé il y a {days} jours, toujours rien…", "Toujours aucune nouvelle [malgré le DM|depuis votre message]. {emo_neg}",
             "Merci, c'est réglé ! [Colis reçu ce matin.|Remboursement reçu.]"),
        EN: ("Sent the DM {days} days ago, still nothing…", "Still no news [after the DM|since your reply]. {emo_neg}", "Thanks, sorted! [Parcel arrived this morning.|Refund received.]"),
    },
    "advice": {
        FR: ("Essaie par mail [plutôt|directement], ils répondent plus vite", "Passe par la boutique de {city}, ils m'ont fait un échange direct",
             "Fais une réclamation auprès de ta banque si ça bouge pas"),
        EN: ("Try email instead, they answer faster", "Go to the {city} store, they swapped mine on the spot", "Do a chargeback if nothing moves"),
    },
    "agree": {
        FR: ("[Trop d'accord|Grave], {detail} {emo_pos}", "Je confirme, [meilleur achat de l'année|j'en suis à mon 3e] {emo_pos}", "Ahh faut que je teste alors !"),
        EN: ("[So true|Agreed], {detail} {emo_pos}", "Can confirm, [best purchase this year|on my third one] {emo_pos}", "Ok now I need to try it!"),
    },
    "ask_more": {
        FR: ("Tu l'as payé combien ?", "C'est quelle teinte/version ?", "Tu l'as pris où ?"),
        EN: ("How much did you pay?", "Which version is it?", "Where did you get it?"),
    },
    "counter_troll": {
        FR: ("T'as vraiment rien d'autre à faire de ta soirée ?", "Signalé.", "Personne t'oblige à acheter hein"),
        EN: ("Don't you have anything better to do?", "Reported.", "Nobody's forcing you to buy it lol"),
    },
    "counterfeit_reply": {
        FR: ("Ce sont des contrefaçons, signalé. Achetez sur le site officiel.", "Arnaque, j'ai reçu un faux {product} par ce compte."),
        EN: ("These are counterfeits, reported. Buy from the official store.", "Scam, I got a fake {product} from this account."),
    },
    "debunk_reply": {
        FR: ("Source ? Parce que la DGCCRF dit l'inverse.", "C'est faux, arrêtez de partager ça sans vérifier."),
        EN: ("Source? Because the lab results say otherwise.", "This is false, stop sharing it without checking."),
    },
}
# (categories, sentiment) of each reply kind
REPLY_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "brand_reply": (("neutral",), "neutral"),
    "brand_thanks": (("positive",), "positive"),
    "me_too": (("complaint",), "negative"),
    "follow_up": (("complaint",), "negative"),
    "advice": (("neutral",), "neutral"),
    "agree": (("positive",), "positive"),
    "ask_more": (("neutral",), "neutral"),
    "counter_troll": (("neutral",), "negative"),
    "counterfeit_reply": (("counterfeit",), "negative"),
    "debunk_reply": (("neutral",), "neutral"),
}

# --- The crisis: an allergic reaction to Crème Nuage, ignored by the brand, goes viral on day two. ---
CRISIS_BRAND = "Aquarelle"
CRISIS_PRODUCT = "Crème Nuage"
CRISIS_HASHTAG = "#BoycottAquarelle"
CRISIS_TRENDING_TERMS = ("#BoycottAquarelle", "allergie", "Crème Nuage")
CRISIS_VICTIM = ("camille_rssl", "Camille Roussel")
CRISIS_AMPLIFIER = ("lea_makeup", "Léa • makeup & skincare")
CRISIS_ORIGIN_TEXT = (
    "@aquarelle j'ai fait une grosse réaction allergique avec la Crème Nuage : visage gonflé, plaques partout, "
    "nuit aux urgences 😢 Je vous ai écrit 3 fois, aucune réponse. Photos en DM si besoin. Faites attention svp."
)
CRISIS_FOLLOW_UP_TEXT = "Toujours aucune réponse de @aquarelle presque 24h après. Mon visage commence à peine à dégonfler. Merci à tous pour vos messages ❤️"
CRISIS_AMPLIFIER_TEXT = (
    "Une abonnée finit aux urgences après la Crème Nuage et @aquarelle ne daigne même pas répondre. "
    "Je retire tous mes contenus sponsorisés Aquarelle. Partagez. #BoycottAquarelle"
)
CRISIS_STATEMENT = {
    FR: "Nous avons pris connaissance des témoignages concernant la Crème Nuage. Nous avons contacté Camille et suspendons les ventes le temps d'une analyse indépendante. Nous vous tiendrons informés.",
    EN: "We are aware of reports regarding Crème Nuage. We have contacted the customer and are pausing sales pending an independent review. We will keep you updated.",
}

# (name, categories, sentiment, weight, texts)
CRISIS_SCENARIOS: tuple[tuple[str, tuple[str, ...], str, float, dict[str, tuple[str, ...]]], ...] = (
    ("crisis_outrage", ("complaint",), "negative", 24.0, {
        FR: (
            "Honteux. Une cliente finit aux urgences et @aquarelle ne répond même pas. {hashtag}",
            "[{days} jours|Deux jours|24h] sans réponse pour une cliente aux urgences ?? [Bravo|Chapeau] @aquarelle {emo_neg} {hashtag}",
            "Comment une marque peut ignorer une allergie pareille ?! Répondez à Camille @aquarelle {hashtag}",
            "Le silence d'Aquarelle est [scandaleux|indécent|inadmissible]. Crème Nuage = danger ? {hashtag}",
            "Aquarelle qui se tait pendant que sa Crème Nuage envoie des gens aux urgences… [la honte|lamentable] {emo_neg}",
            "Je viens de voir les photos de Camille [😳|😱]. @aquarelle vous attendez quoi pour réagir ? {hashtag}",
            "{hashtag} tant qu'ils n'auront pas répondu à Camille. [Point.|Simple.]",
            "Plus jamais un euro chez Aquarelle. {hashtag} {emo_neg}",
        ),
        EN: (
            "A customer ends up in the ER and @aquarelle doesn't even reply?? Disgraceful. {hashtag}",
            "Aquarelle staying silent while their Crème Nuage sends people to hospital… shameful {emo_neg} {hashtag}",
            "How does a brand ignore an allergic reaction like that? Answer her @aquarelle {hashtag}",
        ),
    }),
    ("crisis_boycott", ("complaint",), "negative", 12.0, {
        FR: (
            "Je jette toutes mes crèmes Aquarelle. {hashtag} {emo_neg}",
            "On arrête d'acheter Aquarelle tant qu'il n'y a pas d'explication. Partagez {hashtag}",
            "Désabonnée de @aquarelle, carte fidélité découpée. {hashtag}",
            "Qui d'autre boycotte ? {hashtag} #CrèmeNuage",
        ),
        EN: (
            "Throwing away all my Aquarelle products. {hashtag}",
            "Not buying Aquarelle again until they explain themselves. {hashtag}",
        ),
    }),
    ("crisis_me_too", ("complaint",), "negative", 10.0, {
        FR: (
            "Moi aussi j'ai eu des [plaques|rougeurs|démangeaisons] avec la Crème Nuage [l'an dernier|le mois dernier], je pensais que c'était moi… {hashtag}",
            "Allergie à la Crème Nuage aussi, [paupières gonflées|eczéma] pendant une semaine. Aquarelle ne m'avait jamais répondu non plus.",
            "Témoignage : réaction allergique après 2 jours de Crème Nuage, [dermato|médecin] m'a dit d'arrêter direct. {hashtag}",
        ),
        EN: (
            "Same thing happened to me with Crème Nuage [last year|last month], [rash all over|swollen eyelids]. Aquarelle never answered me either. {hashtag}",
        ),
    }),
    ("crisis_troll", ("troll",), "negative", 7.0, {
        FR: (
            "Aquarelle = produits de merde pour pigeonnes, fallait pas acheter [mdr|lol] {hashtag}",
            "Elle cherche juste le buzz la Camille, mytho [de base|comme d'hab]. Bande de moutons.",
            "Les débiles qui se tartinent de crème chimique et pleurent après [😂|🤡]",
            "Aquarelle c'est des escrocs et leurs clientes des abruties {hashtag}",
        ),
        EN: ("lmao imagine paying for Aquarelle crap and crying about it, morons", "She's clearly faking it for clout, stupid sheep"),
    }),
    ("crisis_rumour", ("false_information",), "negative", 6.0, {
        FR: (
            "La Crème Nuage contient [du plomb|des métaux lourds|un produit cancérigène], ils le savent depuis des mois, on nous cache tout {hashtag}",
            "D'après un pote labo, Aquarelle a déjà eu 200 plaintes cachées. Complot pour étouffer l'affaire.",
            "Rumeur : Aquarelle va retirer TOUS ses produits, ils sont toxiques. Partagez avant suppression !!",
        ),
        EN: ("Crème Nuage contains [lead|toxic chemicals], they've known for months, total cover-up {hashtag}",),
    }),
    ("crisis_defender", ("positive",), "positive", 5.0, {
        FR: (
            "J'utilise la Crème Nuage depuis [2|3] ans, jamais eu le moindre souci. Une allergie ça arrive avec n'importe quel produit, calmez-vous.",
            "Je reste fidèle à Aquarelle, leurs produits sont top. Courage à Camille mais pas besoin de lyncher une marque entière.",
        ),
        EN: ("Been using Crème Nuage for [2|3] years, never had any problem. Allergies happen, calm down people.",),
    }),
    ("crisis_question", ("neutral",), "neutral", 4.0, {
        FR: ("C'est quoi l'histoire avec Aquarelle ? Pourquoi {hashtag} est en TT ?", "Quelqu'un peut m'expliquer {hashtag} ? Je vois ça partout {emo_neu}",
             "Du coup on arrête la Crème Nuage ou pas ? 🤔"),
        EN: ("What's going on with Aquarelle? Why is {hashtag} trending?", "Can someone explain {hashtag}? It's all over my feed"),
    }),
    ("crisis_doxxing", ("legal_violation",), "negative", 0.6, {
        FR: ("La CM d'Aquarelle s'appelle Julie M., elle habite [rue Paul Bert|cours Gambetta] à Lyon, [allez la voir|son Insta perso c'est @julie_m_lyon]. {hashtag}",),
        EN: ("Aquarelle's social media manager lives on [Paul Bert street|Gambetta avenue] in Lyon, go tell her what you think. {hashtag}",),
    }),
)
CRISIS_NEWS = {
    FR: (
        ("Aquarelle : un appel au boycott après une réaction allergique à la Crème Nuage",
         ("Le mot-dièse {hashtag} s'est hissé en tête des tendances mardi soir après le témoignage d'une cliente affirmant avoir fait une "
          "réaction allergique sévère à la Crème Nuage. La marque, sollicitée, n'avait pas répondu à l'heure où nous écrivions ces lignes.")),
        ("Bad buzz pour Aquarelle, accusée d'avoir ignoré une cliente",
         ("Des centaines d'internautes dénoncent le silence de la marque de cosmétiques Aquarelle. Des dermatologues rappellent qu'une "
          "réaction allergique peut survenir avec tout produit et conseillent un test sur une petite zone de peau.")),
    ),
    EN: (
        ("French cosmetics brand Aquarelle faces boycott calls over allergic reaction",
         ("The hashtag {hashtag} trended on Tuesday evening after a customer said she suffered a severe allergic reaction to the brand's "
          "Crème Nuage moisturiser and received no answer. Aquarelle did not respond to a request for comment.")),
    ),
}
CRISIS_LANGUAGE_FR = 0.8
CRISIS_RT_PREFIXES = {FR: ("RT @{victim}: ", "Partagez svp ⬇️ ", "😡😡 ", "", "Ça fait froid dans le dos. "), EN: ("RT @{victim}: ", "This is awful: ")}
