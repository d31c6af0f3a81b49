"""The web app's words in French and English, and how a request chooses its language.

The language comes from ``?lang=``, then the ``veille_lang`` cookie, then ``Accept-Language``, then
English. Every key exists in both catalogues (a unit test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "veille_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app.tagline": "Social listening",
        "nav.overview": "Overview",
        "nav.crisis": "Crisis alerts",
        "nav.inbox": "Inbox",
        "nav.legal": "Legal risk",
        "nav.trends": "Trends",
        "nav.compare": "Competitors",
        "nav.logout": "Log out",
        "filter.query": "Filter (search syntax)",
        "filter.query_placeholder": "e.g. lang:fr category:complaint livraison",
        "filter.since": "Period",
        "filter.watch": "Watch",
        "filter.all_watches": "All watches",
        "filter.apply": "Apply",
        "period.24h": "last 24 hours",
        "period.7d": "last 7 days",
        "period.30d": "last 30 days",
        "period.all": "all time",
        "kpi.mentions": "Mentions",
        "kpi.reach": "Reach",
        "kpi.reach_help": "sum of the authors' followers",
        "kpi.interactions": "Interactions",
        "kpi.interactions_help": "likes + shares + replies",
        "kpi.negative": "Negative",
        "kpi.open_alerts": "Open alerts",
        "kpi.to_answer": "To answer",
        "chart.volume": "Volume over time",
        "chart.sentiment": "Sentiment over time",
        "chart.categories": "Categories",
        "chart.platforms": "Platforms",
        "chart.share_of_voice": "Share of voice",
        "chart.sentiment_mix": "Sentiment mix",
        "chart.category_mix": "Category mix",
        "chart.no_data": "No mention in this period.",
        "sentiment.negative": "negative",
        "sentiment.neutral": "neutral",
        "sentiment.positive": "positive",
        "crisis.title": "Crisis alerts",
        "crisis.none": "No alert needs you. Alerts appear here as soon as the crisis agent raises them.",
        "crisis.live": "Live: this page updates by itself.",
        "crisis.live_lost": "Live updates interrupted; reload the page.",
        "crisis.show_resolved": "Show resolved alerts",
        "crisis.hide_resolved": "Hide resolved alerts",
        "crisis.evidence": "Evidence",
        "crisis.top_terms": "Top terms",
        "crisis.observed": "observed",
        "crisis.baseline": "baseline",
        "crisis.score": "score",
        "crisis.opened": "opened",
        "crisis.updated": "updated",
        "crisis.acknowledge": "Acknowledge",
        "crisis.resolve": "Resolve",
        "crisis.who": "Your name",
        "crisis.acknowledged_by": "acknowledged by {who} at {at}",
        "crisis.resolved_by": "resolved by {who} at {at}",
        "crisis.troll_raid": "Troll raid",
        "crisis.organic": "Organic",
        "crisis.done_acknowledged": "Alert acknowledged.",
        "crisis.done_resolved": "Alert resolved.",
        "state.open": "open",
        "state.acknowledged": "acknowledged",
        "state.resolved": "resolved",
        "severity.info": "info",
        "severity.warning": "warning",
        "severity.critical": "critical",
        "inbox.title": "Mentions to answer",
        "inbox.intro": "Sorted by reply deadline, most urgent first.",
        "inbox.none": "Nothing to answer in this period.",
        "inbox.due": "due",
        "inbox.overdue": "overdue",
        "inbox.action": "Recommended action",
        "inbox.correct": "Correct the tags",
        "inbox.add": "Add",
        "inbox.remove": "Remove",
        "inbox.sentiment": "Sentiment",
        "inbox.unchanged": "unchanged",
        "inbox.save": "Save correction",
        "inbox.saved": "Correction recorded; the next training run uses it.",
        "legal.title": "Legal-risk queue",
        "legal.intro": "Counterfeit, copyright and legal violations, with the evidence to keep: URL, time and content hash.",
        "legal.none": "No legal-risk mention in this period.",
        "legal.export": "Export CSV",
        "trends.title": "Trending terms",
        "trends.detected": "Bursting terms (trends agent)",
        "trends.none_detected": "The trends agent has not reported bursting terms for this period.",
        "trends.frequent": "Most frequent terms in the newest mentions",
        "trends.burst": "burst score",
        "trends.emerging": "new",
        "compare.title": "Competitor watch",
        "compare.brand": "Brand",
        "compare.against": "Against",
        "compare.pick": "Choose a brand and at least one competitor.",
        "compare.net": "net sentiment",
        "col.time": "Time",
        "col.platform": "Platform",
        "col.author": "Author",
        "col.text": "Mention",
        "col.categories": "Categories",
        "col.sentiment": "Sentiment",
        "col.priority": "Priority",
        "col.reply_by": "Reply by",
        "col.url": "URL",
        "col.hash": "Content hash",
        "col.watch": "Watch",
        "col.mentions": "Mentions",
        "col.share": "Share",
        "col.reach": "Reach",
        "col.interactions": "Interactions",
        "col.term": "Term",
        "col.count": "Mentions",
        "login.title": "Sign in",
        "login.token": "Access token",
        "login.submit": "Sign in",
        "login.wrong": "That token is not the right one.",
        "login.too_many": "Too many attempts from your address: wait a minute and try again.",
        "error.query": "This filter is not valid",
        "error.elasticsearch": "Elasticsearch could not answer",
        "error.not_found": "Not found",
        "error.forbidden": "This request was refused (cross-site request or expired form). Reload the page and try again.",
        "error.conflict": "This alert cannot change that way",
        "lang.switch": "Français",
    },
    "fr": {
        "app.tagline": "Veille des réseaux sociaux",
        "nav.overview": "Vue d'ensemble",
        "nav.crisis": "Alertes de crise",
        "nav.inbox": "À traiter",
        "nav.legal": "Risque juridique",
        "nav.trends": "Tendances",
        "nav.compare": "Concurrents",
        "nav.logout": "Se déconnecter",
        "filter.query": "Filtre (syntaxe de recherche)",
        "filter.query_placeholder": "ex. lang:fr category:complaint livraison",
        "filter.since": "Période",
        "filter.watch": "Veille",
        "filter.all_watches": "Toutes les veilles",
        "filter.apply": "Appliquer",
        "period.24h": "dernières 24 heures",
        "period.7d": "7 derniers jours",
        "period.30d": "30 derniers jours",
        "period.all": "depuis le début",
        "kpi.mentions": "Mentions",
        "kpi.reach": "Portée",
        "kpi.reach_help": "somme des abonnés des auteurs",
        "kpi.interactions": "Interactions",
        "kpi.interactions_help": "j'aime + partages + réponses",
        "kpi.negative": "Négatives",
        "kpi.open_alerts": "Alertes ouvertes",
        "kpi.to_answer": "À répondre",
        "chart.volume": "Volume dans le temps",
        "chart.sentiment": "Tonalité dans le temps",
        "chart.categories": "Catégories",
        "chart.platforms": "Plateformes",
        "chart.share_of_voice": "Part de voix",
        "chart.sentiment_mix": "Répartition de la tonalité",
        "chart.category_mix": "Répartition des catégories",
        "chart.no_data": "Aucune mention sur cette période.",
        "sentiment.negative": "négatif",
        "sentiment.neutral": "neutre",
        "sentiment.positive": "positif",
        "crisis.title": "Alertes de crise",
        "crisis.none": "Aucune alerte ne vous attend. Elles apparaissent ici dès que l'agent de crise les lève.",
        "crisis.live": "En direct : cette page se met à jour toute seule.",
        "crisis.live_lost": "Mises à jour interrompues ; rechargez la page.",
        "crisis.show_resolved": "Afficher les alertes résolues",
        "crisis.hide_resolved": "Masquer les alertes résolues",
        "crisis.evidence": "Preuves",
        "crisis.top_terms": "Termes principaux",
        "crisis.observed": "observé",
        "crisis.baseline": "habituel",
        "crisis.score": "score",
        "crisis.opened": "ouverte",
        "crisis.updated": "mise à jour",
        "crisis.acknowledge": "Prendre en charge",
        "crisis.resolve": "Résoudre",
        "crisis.who": "Votre nom",
        "crisis.acknowledged_by": "prise en charge par {who} à {at}",
        "crisis.resolved_by": "résolue par {who} à {at}",
        "crisis.troll_raid": "Raid de trolls",
        "crisis.organic": "Organique",
        "crisis.done_acknowledged": "Alerte prise en charge.",
        "crisis.done_resolved": "Alerte résolue.",
        "state.open": "ouverte",
        "state.acknowledged": "prise en charge",
        "state.resolved": "résolue",
        "severity.info": "info",
        "severity.warning": "attention",
        "severity.critical": "critique",
        "inbox.title": "Mentions à traiter",
        "inbox.intro": "Triées par échéance de réponse, la plus urgente d'abord.",
        "inbox.none": "Rien à traiter sur cette période.",
        "inbox.due": "échéance",
        "inbox.overdue": "en retard",
        "inbox.action": "Action recommandée",
        "inbox.correct": "Corriger les étiquettes",
        "inbox.add": "Ajouter",
        "inbox.remove": "Retirer",
        "inbox.sentiment": "Tonalité",
        "inbox.unchanged": "inchangée",
        "inbox.save": "Enregistrer la correction",
        "inbox.saved": "Correction enregistrée ; le prochain entraînement l'utilisera.",
        "legal.title": "File du risque juridique",
        "legal.intro": "Contrefaçon, droit d'auteur et infractions, avec les preuves à conserver : URL, date et empreinte du contenu.",
        "legal.none": "Aucune mention à risque juridique sur cette période.",
        "legal.export": "Exporter en CSV",
        "trends.title": "Termes en tendance",
        "trends.detected": "Termes en forte hausse (agent de tendances)",
        "trends.none_detected": "L'agent de tendances n'a signalé aucun terme en hausse sur cette période.",
        "trends.frequent": "Termes les plus fréquents dans les dernières mentions",
        "trends.burst": "score de hausse",
        "trends.emerging": "nouveau",
        "compare.title": "Veille concurrentielle",
        "compare.brand": "Marque",
        "compare.against": "Face à",
        "compare.pick": "Choisissez une marque et au moins un concurrent.",
        "compare.net": "tonalité nette",
        "col.time": "Date",
        "col.platform": "Plateforme",
        "col.author": "Auteur",
        "col.text": "Mention",
        "col.categories": "Catégories",
        "col.sentiment": "Tonalité",
        "col.priority": "Priorité",
        "col.reply_by": "Répondre avant",
        "col.url": "URL",
        "col.hash": "Empreinte du contenu",
        "col.watch": "Veille",
        "col.mentions": "Mentions",
        "col.share": "Part",
        "col.reach": "Portée",
        "col.interactions": "Interactions",
        "col.term": "Terme",
        "col.count": "Mentions",
        "login.title": "Connexion",
        "login.token": "Jeton d'accès",
        "login.submit": "Se connecter",
        "login.wrong": "Ce jeton n'est pas le bon.",
        "login.too_many": "Trop d'essais depuis votre adresse : attendez une minute avant de réessayer.",
        "error.query": "Ce filtre n'est pas valide",
        "error.elasticsearch": "Elasticsearch n'a pas pu répondre",
        "error.not_found": "Introuvable",
        "error.forbidden": "Requête refusée (requête d'un autre site ou formulaire expiré). Rechargez la page et réessayez.",
        "error.conflict": "Cette alerte ne peut pas changer ainsi",
        "lang.switch": "English",
    },
}

CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "en": {"complaint": "complaint", "troll": "troll", "counterfeit": "counterfeit", "positive": "positive",
           "review": "review", "neutral": "neutral", "false_information": "false information",
           "copyright": "copyright", "legal_violation": "legal violation"},
    "fr": {"complaint": "réclamation", "troll": "troll", "counterfeit": "contrefaçon", "positive": "positif",
           "review": "avis", "neutral": "neutre", "false_information": "fausse information",
           "copyright": "droit d'auteur", "legal_violation": "infraction"},
}


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language codes of an ``Accept-Language`` header, highest quality first."""
    if not header:
        return []
    ranked = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        code = pieces[0].strip().split("-")[0].lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and code != "*" and quality > 0:
            ranked.append((-quality, position, code))
    return [code for _, _, code in sorted(ranked)]


def choose_language(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    for code in parse_accept_language(accept_language):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Translator:
    """``t("key", who="Ana")``: the message in this language, formatted; a missing key shows itself."""

    def __init__(self, lang: str, messages: Mapping[str, Mapping[str, str]] = MESSAGES):
        self.lang = lang
        self._messages = messages[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key, key)
        return text.format(**values) if values else text

    def category(self, name: str) -> str:
        return CATEGORY_NAMES[self.lang].get(name, name.replace("_", " "))
