"""Tagging quality on the VALIDATION splits, side by side with the peers a user would otherwise pick, and speed.

Run from the repository root:  python -m bench.bench_tagging [--data ../shared/datasets]
Writes bench/results/tagging.json. Peers: fastText trained here on each task's training split (the model behind the
published test baselines, see bench/fasttext_peer.py), VADER (English sentiment), textblob-fr (French sentiment) and
the project's first rule tagger; each row gives Veille's ratio to the strongest of them.
Speed is measured on ONE pinned core, batches of 500, best of 5 runs.
Validation scores of the trained heads are slightly optimistic: their decision thresholds were tuned there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.settings import get_settings
from pipeline.tagging import (
    TagInput,
    Tags,
    datasets,
)
from pipeline.tagging.bundle import load_bundle, model_paths
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.trained import TrainedTagger
from pipeline.tagging.training import macro_f1, macro_recall, positive_f1, weighted_f1

from bench import fasttext_peer
from pipeline.tagging.brand_eval import heldout_mentions, never_seen_sets, score_mentions

BATCH = 500
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def tag_all(tag_batch: Callable[[Sequence[TagInput]], list[Tags]], texts: Sequence[str], lang: str | None = None,
            platform_name: str = "twitter") -> list[Tags]:
    items = [TagInput(text=t, lang=lang, platform=platform_name, created_at=CREATED) for t in texts]
    out: list[Tags] = []
    for start in range(0, len(items), BATCH):
        out.extend(tag_batch(items[start: start + BATCH]))
    return out


def vader_labels(texts: Sequence[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]  # thresholds from VADER's README
        labels.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
    return labels


def textblob_fr_labels(texts: Sequence[str]) -> list[str]:
    from textblob import Blobber
    from textblob_fr import PatternAnalyzer, PatternTagger

    blob = Blobber(pos_tagger=PatternTagger(), analyzer=PatternAnalyzer())
    labels = []
    for text in texts:
        polarity = blob(text).sentiment[0]
        labels.append("positive" if polarity > 0 else "negative" if polarity < 0 else "neutral")
    return labels


def has(category: str, tags: Sequence[Tags]) -> list[str]:
    return ["yes" if category in t.categories else "no" for t in tags]


def with_fasttext_and_ratio(row: dict, veille: str, train: datasets.Split, val: datasets.Split,
                            metric: Callable[[Sequence[str], Sequence[str]], float],
                            grid: Sequence[dict] = fasttext_peer.GRID) -> dict:
    """Add the fastText peer's scores to a task's row, then Veille's score over the strongest other score in it."""
    peer = fasttext_peer.score_peer(train.texts, train.labels, val.texts, val.labels, metric, grid)
    row.update(peer.as_row())
    others = {name: value for name, value in row.items()
              if name not in (veille, "n", "target_test") and isinstance(value, float) and not name.endswith("_f1_yes")}
    strongest = max(others, key=others.get)
    row["strongest_baseline"] = strongest
    row["ratio_to_strongest_baseline"] = round(row[veille] / others[strongest], 3) if others[strongest] else None
    print(f"{row['set']}: {veille} {row[veille]}, strongest baseline {strongest} {others[strongest]}", file=sys.stderr)
    return row


def quality(data: Path, trained: TrainedTagger, rules: RuleTagger) -> dict:
    results: dict = {}
    taggers = {trained.name: trained.tag_batch, "rules-v1": rules.tag_batch}

    en_train, en_val = datasets.english_sentiment(data)
    row = {"set": "tweeteval_sentiment_semeval2017/val.tsv", "n": len(en_val), "metric": "macro_recall",
           "target_test": 70.0, "published_test": {"FastText": 62.9, "VADER": 57}}
    for name, tag_batch in taggers.items():
        row[name] = round(100 * macro_recall(en_val.labels, [t.sentiment for t in tag_all(tag_batch, en_val.texts)]), 1)
    row["vader"] = round(100 * macro_recall(en_val.labels, vader_labels(en_val.texts)), 1)
    results["sentiment_en"] = with_fasttext_and_ratio(row, trained.name, en_train, en_val, macro_recall)

    fr_train, fr_deft, fr_val = datasets.french_sentiment(data)
    row = {"set": "fr_sentiment_deft2017_xlmt/val.tsv", "n": len(fr_val), "metric": "macro_f1",
           "target_test": 65.0, "published_test": {"FastText": 54.8}}
    for name, tag_batch in taggers.items():
        row[name] = round(100 * macro_f1(fr_val.labels, [t.sentiment for t in tag_all(tag_batch, fr_val.texts)]), 1)
    row["textblob_fr"] = round(100 * macro_f1(fr_val.labels, textblob_fr_labels(fr_val.texts)), 1)
    fr_both = datasets.Split(fr_train.texts + fr_deft.texts, fr_train.labels + fr_deft.labels)
    results["sentiment_fr"] = with_fasttext_and_ratio(row, trained.name, fr_both, fr_val, macro_f1)

    offensive = datasets.offensive(data)
    complaints = datasets.complaints(data)
    false_information = datasets.false_information(data)
    hateval = datasets.hate(data)["hateval"]
    binary_tasks = [
        ("troll", "olid", offensive["olid"], "tweeteval_offensive_olid/val.tsv", macro_f1, "macro_f1", 78.0, {"FastText": 73.4}),
        ("troll", "mlma_fr", offensive["mlma"], "fr_hate_mlma fold 7", macro_f1, "macro_f1", None, {}),
        ("troll", "cyberagressionado_fr", offensive["cyberagressionado"], "fr_toxic_cyberagressionado_v1 scenario split", macro_f1, "macro_f1", None, {}),
        ("complaint", "preotiuc2019", complaints, "complaints_preotiuc2019 fold 7", macro_f1, "macro_f1", 80.0, {"Preotiuc-Pietro 2019 LR (CV)": 78.0}),
        ("false_information", "constraint2021", false_information, "en_covid_fakenews_constraint2021/val.tsv", weighted_f1, "weighted_f1", 94.0, {"SVM": 93.3}),
        ("legal_violation", "hateval", hateval, "tweeteval_hate_hateval2019/val.tsv", macro_f1, "macro_f1", None, {"FastText": 50.6}),
    ]
    for category, key, (train, split), set_name, metric, metric_name, target, published in binary_tasks:
        row = {"set": set_name, "n": len(split), "metric": metric_name, "target_test": target, "published_test": published}
        for name, tag_batch in taggers.items():
            predicted = has(category, tag_all(tag_batch, split.texts))
            row[name] = round(100 * metric(split.labels, predicted), 1)
            row[f"{name}_f1_yes"] = round(100 * positive_f1(split.labels, predicted), 1)
        results[f"{category}_{key}"] = with_fasttext_and_ratio(row, trained.name, train, split, metric)
    ordinary = en_val.texts + complaints[1].texts + offensive["olid"][1].texts
    row = {"set": "ordinary tweets: TweetEval sentiment val + complaints fold 7 + OLID val", "n": len(ordinary),
           "metric": "percent tagged false_information (lower is better; none is expected to be)"}
    for name, tag_batch in taggers.items():
        row[name] = round(100 * has("false_information", tag_all(tag_batch, ordinary)).count("yes") / len(ordinary), 1)
    peer_params = results["false_information_constraint2021"]["fasttext_tuned_params"]
    row["fasttext_tuned_on_validation"] = fasttext_peer.share_tagged(
        false_information[0].texts, false_information[0].labels, peer_params, ordinary)
    results["false_information_flagged_on_ordinary_tweets"] = row
    return results


SAMPLE = ROOT / "data" / "sample"


def sample_stream_scores(tag_batch: Callable[[Sequence[TagInput]], list[Tags]]) -> dict:
    """Per-category precision and recall on the bundled sample stream's labels (data/sample/labels.jsonl), French and
    English apart. The sample was written by the project's generator, not tuned on."""
    import orjson

    from pipeline.tagging.brand_eval import category_scores
    from pipeline.tagging.datasets import BRAND_CATEGORIES

    labels = {row["id"]: row for row in map(orjson.loads, (SAMPLE / "labels.jsonl").read_bytes().splitlines())}
    mentions = [row for row in map(orjson.loads, (SAMPLE / "mentions.jsonl").read_bytes().splitlines()) if row["id"] in labels]
    tags: list[Tags] = []
    items = [TagInput(text=m["text"], lang=m.get("language"), platform=m["platform"], watch=tuple(m.get("watch", ())))
             for m in mentions]
    for start in range(0, len(items), BATCH):
        tags.extend(tag_batch(items[start: start + BATCH]))
    out = {}
    for lang in ("fr", "en"):
        rows = [(labels[m["id"]], t) for m, t in zip(mentions, tags) if labels[m["id"]]["lang"] == lang]
        out[lang] = {"n": len(rows), "categories": category_scores(
            [set(label["intended_categories"]) for label, _ in rows], [set(t.categories) for _, t in rows], BRAND_CATEGORIES),
            "sentiment_macro_f1": round(100 * macro_f1([label["intended_sentiment"] for label, _ in rows],
                                                       [t.sentiment for _, t in rows]), 1)}
    return out


def brand_mention_scores(tag_batch: Callable[[Sequence[TagInput]], list[Tags]]) -> dict:
    """The project's brand mentions: the validation split (thresholds tuned there) and the never-seen set."""
    _, validation = datasets.brand_mentions()
    return {"validation_tuned_on": score_mentions(tag_batch, validation),
            "heldout_never_seen": score_mentions(tag_batch, heldout_mentions()),
            **{f"{name}_never_seen": score_mentions(tag_batch, mentions)
               for name, mentions in never_seen_sets().items() if name != "heldout"}}


def speed(tag_batch: Callable, texts: Sequence[str], repeats: int = 5) -> float:
    items = [TagInput(text=t, platform="twitter", created_at=CREATED) for t in texts]
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for start in range(0, len(items), BATCH):
            tag_batch(items[start: start + BATCH])
        best = min(best, time.perf_counter() - started)
    return round(len(items) / best)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tagging.json")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        sys.exit(f"no datasets at {args.data}: nothing to benchmark")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    model_dir = get_settings().model_dir
    started = time.perf_counter()
    trained = TrainedTagger(load_bundle(model_dir))
    trained.tag_batch([TagInput(text="warm-up: lexicons and playbook are loaded on first use")])
    load_seconds = round(time.perf_counter() - started, 2)
    size_mb = round(sum(p.stat().st_size for p in model_paths(model_dir)) / 1e6, 1)
    rules = RuleTagger()

    results = quality(args.data, trained, rules)
    brand = {name: brand_mention_scores(tagger.tag_batch) for name, tagger in ((trained.name, trained), ("rules-v1", rules))}
    sample = {name: sample_stream_scores(tagger.tag_batch) for name, tagger in ((trained.name, trained), ("rules-v1", rules))}
    _, en_val = datasets.english_sentiment(args.data)
    _, _, fr_val = datasets.french_sentiment(args.data)
    mixed = en_val.texts + fr_val.texts * 3
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"2 cores shared with other jobs ({platform.machine()}, Python {platform.python_version()}); speed on 1 pinned core",
        "model": trained.name,
        "model_size_mb": size_mb,
        "model_load_seconds": load_seconds,
        "speed_mentions_per_second_one_core": {
            trained.name: speed(trained.tag_batch, mixed),
            "rules-v1": speed(rules.tag_batch, mixed),
            "vader_sentiment_only": round(len(en_val) / _timed(lambda: vader_labels(en_val.texts))),
            "textblob_fr_sentiment_only": round(len(fr_val) / _timed(lambda: textblob_fr_labels(fr_val.texts))),
            "texts": f"{len(mixed)} validation tweets (TweetEval en + DEFT fr x3), batches of {BATCH}",
        },
        "quality_on_validation_x100": results,
        "brand_mentions_x100": brand,
        "sample_stream_x100": sample,
        "note": "Trained heads' thresholds (and the regularisation strength) were chosen on these validation splits, "
                "so their scores are optimistic, as is fastText's best grid point (fasttext_tuned_on_validation); "
                "fasttext_defaults is the library's defaults. Targets and published_test refer to held-back test "
                "splits, never used here.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1, ensure_ascii=False))


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
