"""The trained tagger (``veille-linear-v9``): linear heads on hashed n-grams, polarity and profanity columns,
lexicon evidence and the CM playbook.

Per batch: one feature matrix, one sparse-dense product for every head, then per mention the playbook lookup.
Language is French, English or other; other languages get their ISO code (py3langid, only called for them) and
neutral sentiment, and only lexicon categories. A category with a trained head is decided by that head: the shipped
lexicon patterns are among its features, not verdicts. Brand sections of the lexicons (``brands:``) and categories
without a head in the model are still applied as patterns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.categories import not_praise
from pipeline.tagging import TagInput, Tags
from pipeline.tagging.bundle import MODEL_NAME, ModelBundle, category_head, load_bundle
from pipeline.tagging.features import polarity_lexicons, profanity_features
from pipeline.tagging.lexicons import ANY_LANGUAGE, Lexicons, load_lexicons, load_organisation_lexicons, union
from pipeline.tagging.playbook import Playbook, load_playbook

log = logging.getLogger(__name__)

MODEL_LANGUAGES = ("en", "fr")
# Categories a trained head can decide: one head for both languages (``legal_violation``) or one per language
# (``troll_en``, ``troll_fr``), whichever the bundle has; a category without a head is left to the lexicons.
HEAD_CATEGORIES = ("complaint", "troll", "legal_violation", "false_information", "counterfeit", "copyright", "review")
# A declared language wins unless the detector is at least this sure of another one.
DECLARED_LANGUAGE_OVERRIDE = 0.9
# Codes sources use for "unknown", "no linguistic content", "several": not a hint.
NOT_A_LANGUAGE = {"und", "zxx", "mul", "mis", "qme", "qht", "art"}
# Categories under which a positive sentiment is not praise.
NOT_PRAISE = not_praise()


def _other_language_code(text: str) -> str:
    """ISO code from py3langid (too slow for every mention, fine for the few the detector calls "other")."""
    try:
        import py3langid
    except ImportError:
        return "und"
    code, _ = py3langid.classify(text)
    return code


def resolve_language(p_lang: np.ndarray, classes: Sequence[str], declared: str | None, text: str) -> str:
    """Detected language, deferring to the source's declared language unless the detector is very sure."""
    best = int(p_lang.argmax())
    detected, confidence = classes[best], float(p_lang[best])
    declared = declared.replace("_", "-").split("-")[0].lower() if declared else None
    if declared in NOT_A_LANGUAGE or (declared and not declared.isalpha()):
        declared = None
    if declared and declared != detected and confidence < DECLARED_LANGUAGE_OVERRIDE:
        return declared
    if detected == "other":
        return declared or _other_language_code(text)
    return detected


def _joined(first: dict[str, re.Pattern[str]], second: dict[str, re.Pattern[str]]) -> dict[str, re.Pattern[str]]:
    """Per language, a regex matching where either table's pattern matches."""
    return {lang: union(p for p in (first.get(lang), second.get(lang)) if p is not None) for lang in {*first, *second}}


class TrainedTagger:
    name = MODEL_NAME

    def __init__(self, bundle: ModelBundle, lexicons: Lexicons | None = None, playbook: Playbook | None = None,
                 organisation: Lexicons | None = None):
        """``lexicons``: the shipped lexicons (merged with an organisation's file, if any); ``organisation``: that
        file alone, whose patterns apply as verdicts even for categories a head decides (the organisation asked)."""
        self.bundle = bundle
        polarity_lexicons()  # loaded now so a missing package fails at start-up, not on the first batch
        profanity_features(["warm-up"])
        lexicons = lexicons or load_lexicons()
        # what the heads do not decide: brand sections, the organisation's own patterns, and the patterns of a
        # category in a language without its head
        categories = {name: self._unheaded(name, by_lang) for name, by_lang in lexicons.categories.items()}
        for name, by_lang in (organisation.categories if organisation else {}).items():
            categories[name] = _joined(categories.get(name, {}), by_lang)
        self.lexicons = Lexicons(categories, lexicons.brands)
        self.playbook = playbook or load_playbook()
        self.name = bundle.version

    def _unheaded(self, category: str, patterns: dict) -> dict:
        headed = {lang for lang in MODEL_LANGUAGES if category in HEAD_CATEGORIES
                  and category_head(self.bundle.heads, category, lang)}
        return {lang: pattern for lang, pattern in patterns.items()
                if lang not in headed and not (lang == ANY_LANGUAGE and headed)}

    @classmethod
    def load(cls, model_dir: Path, lexicon_file: Path | None = None, playbook_file: Path | None = None) -> TrainedTagger:
        organisation = load_organisation_lexicons(lexicon_file) if lexicon_file is not None else None
        return cls(load_bundle(model_dir), load_lexicons(lexicon_file), load_playbook(playbook_file), organisation)

    def threshold(self, head: str) -> float:
        return self.bundle.threshold(head)

    def tag_batch(self, items: Sequence[TagInput]) -> list[Tags]:
        if not items:
            return []
        bundle = self.bundle
        logits = bundle.all_logits(bundle.featurizer.transform([item.text for item in items]))
        p_lang = bundle.head_probabilities(logits, "lang")
        sentiment = {lang: bundle.head_probabilities(logits, f"sentiment_{lang}") for lang in MODEL_LANGUAGES}
        head_of = {(category, lang): category_head(bundle.heads, category, lang)
                   for category in HEAD_CATEGORIES for lang in MODEL_LANGUAGES}
        binary = {head: bundle.head_probabilities(logits, head) for head in set(head_of.values()) if head}
        thresholds = {head: self.threshold(head) for head in binary}
        lang_classes = bundle.heads["lang"]["classes"]
        sentiment_classes = bundle.heads["sentiment_en"]["classes"]
        negative, positive = sentiment_classes.index("negative"), sentiment_classes.index("positive")

        out = []
        for row, item in enumerate(items):
            lang = resolve_language(p_lang[row], lang_classes, item.lang, item.text)
            scores: dict[str, float] = {}
            if lang in MODEL_LANGUAGES:
                probs = sentiment[lang][row]
                label = sentiment_classes[int(probs.argmax())]
                score = float(probs[positive] - probs[negative])
                categories = []
                for category in HEAD_CATEGORIES:
                    head = head_of[category, lang]
                    if head is None:
                        continue
                    scores[category] = float(binary[head][row])
                    if scores[category] >= thresholds[head]:
                        categories.append(category)
            else:
                label, score, probs = "neutral", 0.0, None
                categories = []
            for category in self.lexicons.match(item.text, lang, item.watch):
                scores[category] = 1.0
                if category not in categories:
                    categories.append(category)
            if probs is not None:
                scores["positive"] = float(probs[positive])
                if label == "positive" and not NOT_PRAISE & set(categories):
                    categories.append("positive")
            if not categories:
                categories.append("neutral")
            scores["neutral"] = round(1.0 - max((v for k, v in scores.items() if k != "neutral"), default=0.0), 4)
            plan = self.playbook.plan(categories, item.platform, item.created_at)
            out.append(Tags(
                lang=lang, sentiment=label, sentiment_score=round(max(-1.0, min(1.0, score)), 4),
                categories=categories, scores={k: round(v, 4) for k, v in scores.items()},
                action=plan.action, priority=plan.priority, reply_by=plan.reply_by,
            ))
        return out
