"""Score a tagger on labelled brand mentions the way a community manager meets them.

Used by ``veille train`` (the model card) and ``bench/bench_tagging.py`` on the project's validation split (``data/brand_mentions``, thresholds tuned
there) and on its never-seen set (``data/brand_mentions/heldout``, which no training, threshold or setting reads),
and on the sample stream's labels. Per language: complaint macro-F1 (complaint against not), sentiment macro-F1,
troll precision and recall, the share of complaints not called troll, and precision / recall of every category.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.metrics import f1_score

from pipeline.tagging import TagInput, Tags
from pipeline.tagging.datasets import BRAND_CATEGORIES, BRAND_MENTIONS_DIR, BrandMention, read_brand_mentions

HELDOUT_DIR = BRAND_MENTIONS_DIR / "heldout"


def heldout_mentions(folder: Path = HELDOUT_DIR) -> list[BrandMention]:
    return [m for path in sorted(folder.glob("*.jsonl")) for m in read_brand_mentions(path)]


def never_seen_sets() -> dict[str, list[BrandMention]]:
    """The never-seen brand-mention sets present in the source tree (its ``heldout*`` folders, which training never
    reads: it reads only the ``*.jsonl`` files beside them), by folder name."""
    return {folder.name: heldout_mentions(folder)
            for folder in sorted(BRAND_MENTIONS_DIR.glob("heldout*")) if folder.is_dir()}


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


def category_scores(truth: Sequence[set[str]], predicted: Sequence[set[str]], categories: Sequence[str]) -> dict:
    """Precision and recall (×100) and supports of each category."""
    out = {}
    for category in categories:
        tp = sum(category in t and category in p for t, p in zip(truth, predicted))
        n_true = sum(category in t for t in truth)
        n_pred = sum(category in p for p in predicted)
        out[category] = {"precision": _ratio(tp, n_pred), "recall": _ratio(tp, n_true), "n": n_true, "tagged": n_pred}
    return out


def score_mentions(tag_batch: Callable[[Sequence[TagInput]], list[Tags]], mentions: Sequence[BrandMention],
                   batch: int = 500) -> dict:
    """Scores per language ('fr', 'en') and for both together."""
    tags: list[Tags] = []
    items = [TagInput(text=m.text, platform=m.platform) for m in mentions]
    for start in range(0, len(items), batch):
        tags.extend(tag_batch(items[start: start + batch]))
    report = {}
    for lang in ("fr", "en", None):
        rows = [(m, t) for m, t in zip(mentions, tags) if lang is None or m.lang == lang]
        if not rows:
            continue
        truth = [set(m.categories) for m, _ in rows]
        predicted = [set(t.categories) for _, t in rows]
        # complaints that are not also trolls (an insult to the staff makes a complaint both)
        complaints = [(m, t) for m, t in rows if "complaint" in m.categories and "troll" not in m.categories]
        report[lang or "all"] = {
            "n": len(rows),
            "complaint_macro_f1": round(100 * f1_score(["complaint" in s for s in truth],
                                                       ["complaint" in s for s in predicted], average="macro"), 1),
            "sentiment_macro_f1": round(100 * f1_score([m.sentiment for m, _ in rows], [t.sentiment for _, t in rows],
                                                       average="macro"), 1),
            "complaints_not_called_troll_pct": _ratio(sum("troll" not in t.categories for _, t in complaints),
                                                      len(complaints)),
            "language_correct_pct": _ratio(sum(t.lang == m.lang for m, t in rows), len(rows)),
            "categories": category_scores(truth, predicted, BRAND_CATEGORIES),
        }
    return report


def summary(scores: dict) -> dict:
    """The figures the targets name, per language, from :func:`score_mentions`."""
    out = {}
    for lang, d in scores.items():
        cats = d["categories"]
        out[lang] = {"n": d["n"], "complaint_macro_f1": d["complaint_macro_f1"],
                     "sentiment_macro_f1": d["sentiment_macro_f1"],
                     "troll_precision": cats["troll"]["precision"], "troll_recall": cats["troll"]["recall"],
                     "complaints_not_called_troll_pct": d["complaints_not_called_troll_pct"],
                     **{f"{c}_precision_recall": [cats[c]["precision"], cats[c]["recall"]]
                        for c in ("counterfeit", "copyright", "legal_violation", "false_information", "review")}}
    return out
