"""Text for the language detector's "other" class, built offline from what spaCy ships.

The labelled sets are all French or English; to teach the detector what "neither" looks like we take
spaCy's example sentences and stop-word lists for other languages and make short pseudo-sentences from
the stop words (seeded, so training is reproducible).
"""

from __future__ import annotations

import importlib
import random

OTHER_LANGUAGES = (
    "de", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "ro", "tr", "id", "cs", "hu", "fi",
    "ru", "uk", "el", "ar", "fa", "he", "hi", "ja", "zh", "ko", "ca", "hr", "sk", "sl", "lt",
)


def _stop_words(lang: str) -> list[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
    except ImportError:
        return []
    return sorted(getattr(module, "STOP_WORDS", ()))


def _example_sentences(lang: str) -> list[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.examples")
    except ImportError:
        return []
    return list(getattr(module, "sentences", []))


def other_language_texts(per_language: int = 120, seed: int = 0) -> list[str]:
    """Example sentences plus ``per_language`` stop-word pseudo-sentences for each non-French, non-English language."""
    rng = random.Random(seed)
    texts: list[str] = []
    for lang in OTHER_LANGUAGES:
        texts.extend(_example_sentences(lang))
        words = _stop_words(lang)
        if len(words) < 20:
            continue
        for _ in range(per_language):
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(4, 16))))
    return texts
