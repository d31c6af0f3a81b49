"""First, rule-based tagger: stop-word language detection, a small bilingual sentiment lexicon and
keyword patterns per category. Transparent and fast; the trained taggers replace it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.tagging import TagInput, Tags

_WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ']+", re.IGNORECASE)

STOPWORDS = {
    "fr": set(
        "le la les un une des du de et est sont pas ne je tu il elle nous vous ils elles ce cette ces mon ma mes "
        "votre vos notre nos pour avec sur dans par qui que quoi mais ou donc car très plus moins tout tous "
        "j'ai c'est n'est qu'il au aux été être avoir fait encore toujours jamais rien merci".split()
    ),
    "en": set(
        "the a an and is are was were not no i you he she we they it this that these those my your our their "
        "for with on in by who what but or so because very more less all just have has had been be do does "
        "did still never nothing thanks can't don't it's i'm".split()
    ),
}

LEXICON = {
    # positive words
    **{w: 1.0 for w in (
        "love adore great excellent amazing awesome perfect fantastic best good nice happy recommend thanks thank "
        "parfait génial excellent super top merci adore aime bravo magnifique recommande ravi ravie content contente "
        "incroyable meilleur meilleure bon bonne top qualité efficace rapide".split()
    )},
    # negative words
    **{w: -1.0 for w in (
        "hate awful terrible worst bad broken late never refund scam angry disappointed disappointing useless "
        "horrible nul nulle pire déçu déçue déception cassé cassée retard arnaque honte inadmissible scandale "
        "scandaleux lamentable remboursement remboursez jamais problème panne défectueux défectueuse catastrophe "
        "poor slow rude disgusting".split()
    )},
}
NEGATORS = {"not", "no", "never", "don't", "didn't", "isn't", "pas", "jamais", "plus", "ni"}

CATEGORY_PATTERNS = {
    "complaint": re.compile(
        r"\b(refund|still waiting|never (arrived|received)|customer service|broken|doesn't work|not working|"
        r"rembours\w*|toujours pas (reçu|livré)|service client|en panne|ne marche pas|ne fonctionne (pas|plus)|"
        r"retard|cassée?|défectueu\w+|réclamation|worst service|jamais reçu)\b",
        re.IGNORECASE,
    ),
    "troll": re.compile(
        r"\b(idiots?|morons?|stupid|losers?|shut up|crap|shit|fuck\w*|connards?|crétins?|débiles?|abrutis?|"
        r"ta gueule|nuls? à chier|merde|bouffons?)\b",
        re.IGNORECASE,
    ),
    "counterfeit": re.compile(
        r"\b(replicas?|fake|knock-?offs?|counterfeits?|copies? (conformes?|parfaites?)|contrefa\w+|répliques?|"
        r"faux|fausses?|1:1|aaa quality|dm (me )?(for|to) (order|buy)|prix cassés?)\b",
        re.IGNORECASE,
    ),
    "false_information": re.compile(
        r"\b(hoax|they don't want you to know|cover[- ]?up|cancer|toxic chemicals?|rumeur|complot|on nous cache|"
        r"ils nous cachent|cancérigène|fake news)\b",
        re.IGNORECASE,
    ),
    "copyright": re.compile(
        r"\b(free download|full (movie|album|pdf)|leaked|torrent|téléchargement gratuit|pdf gratuit|piraté?e?)\b",
        re.IGNORECASE,
    ),
    "legal_violation": re.compile(
        r"\b(racis\w+|sexis\w+|homophob\w+|discrimin\w+|nazi\w*|doxx\w*|adresse perso\w*|home address)\b",
        re.IGNORECASE,
    ),
    "review": re.compile(
        r"\b(review|tested|tip|tips|how to|i tried|after \d+ (days|weeks|months)|pros and cons|avis|test complet|"
        r"astuce|conseil|j'ai testé|après \d+ (jours|semaines|mois)|tuto)\b",
        re.IGNORECASE,
    ),
}


def detect_language(text: str, declared: str | None = None) -> str:
    words = [w.lower() for w in _WORD.findall(text)]
    counts = {lang: sum(1 for w in words if w in stop) for lang, stop in STOPWORDS.items()}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        if declared:
            return declared.split("-")[0].lower()
        return "und"
    if counts["fr"] == counts["en"] and declared:
        return declared.split("-")[0].lower()
    return best


def sentiment_of(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    total = 0.0
    hits = 0
    for i, word in enumerate(words):
        polarity = LEXICON.get(word)
        if polarity is None:
            continue
        if any(w in NEGATORS for w in words[max(0, i - 3) : i]):
            polarity = -polarity
        total += polarity
        hits += 1
    if "!" in text and hits:
        total *= 1.2
    return max(-1.0, min(1.0, total / (hits + 1))) if hits else 0.0


class RuleTagger:
    name = "rules-v1"

    def tag_one(self, item: TagInput) -> Tags:
        lang = detect_language(item.text, item.lang)
        score = sentiment_of(item.text) if lang in ("fr", "en") else 0.0
        sentiment = "positive" if score >= 0.25 else "negative" if score <= -0.25 else "neutral"
        categories = [name for name, pattern in CATEGORY_PATTERNS.items() if pattern.search(item.text)]
        if sentiment == "positive" and not {"troll", "complaint"} & set(categories):
            categories.append("positive")
        if "complaint" not in categories and sentiment == "negative" and re.search(r"@\w+|\?", item.text):
            categories.append("complaint")
        if not categories:
            categories.append("neutral")
        scores = {c: 1.0 for c in categories}
        return Tags(lang=lang, sentiment=sentiment, sentiment_score=round(score, 3), categories=categories, scores=scores)

    def tag_batch(self, items: Sequence[TagInput]) -> list[Tags]:
        return [self.tag_one(item) for item in items]
