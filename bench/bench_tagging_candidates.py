"""Representations and training data for the tagger, compared in one run: quality where it matters and speed.

Run from the repository root:  python -m bench.bench_tagging_candidates [--data ../shared/datasets]  (about 30 min
on 2 cores). Writes bench/results/tagging_candidates.json. Every candidate is trained here from scratch with the same
seed, by the same code as ``veille train`` (:func:`pipeline.tagging.training.train_bundle`):

- ``research-sets-only``: the recipe of the model shipped until v3 (hashed n-grams, polarity lexicons, profanity;
  the research sets only), with today's code;
- ``v4``: + the project's brand mentions and the lexicon evidence columns: the shipped model, loaded (``veille train``
  builds it with the same code and seed; v5 now, accent-folded n-grams);
- ``v4-retrained``: the shipped recipe (:func:`pipeline.tagging.training.default_featurizer`, today's data) trained
  in this run: the baseline the next two differ from by their embedding columns only (the loaded model may predate
  the data now in the repository);
- ``v4+wordllama``: + WordLlama's static sentence embedding (256 columns; MIT, its weights shipped in the wheel);
  trained, like the next one, with the shipped featurizer (:func:`pipeline.tagging.training.default_featurizer`) and
  the embedding columns on;
- ``v4+use-static``: + the 256-column table distilled from Google's multilingual Universal Sentence Encoder v3
  (Apache-2.0; ``tools/distil_static_table.py``), whose vectors carry meaning across French and English.

``--only v4-retrained v4+use-static`` runs some of them; the others already in the results file are kept.

Each is scored on the validation splits its thresholds were tuned on, and on what no candidate ever saw: the brand
mentions of ``data/brand_mentions/heldout`` and ``heldout_b``. Speed: the whole tagger on one pinned core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.settings import get_settings
from pipeline.tagging import datasets
from pipeline.tagging import embeddings
from pipeline.tagging.bundle import load_bundle
from pipeline.tagging.features import Featurizer
from pipeline.tagging.trained import TrainedTagger
from pipeline.tagging.training import build_head_data, train_bundle

from bench.bench_tagging import speed
from pipeline.tagging.brand_eval import never_seen_sets, score_mentions, summary

SHIPPED_FEATURES = {"evidence": True, "fold_accents": True}  # default_featurizer(), embedding columns aside
# name: (build_head_data options, Featurizer options, representation of the embedding columns); None: the shipped model
CANDIDATES = {
    "research-sets-only": ({"brand_dir": None}, {}, None),
    "v4": None,
    "v4-retrained": ({}, SHIPPED_FEATURES, None),
    "v4+wordllama": ({}, {**SHIPPED_FEATURES, "embedding_scale": 1.0}, embeddings.EMBEDDING_NAME),
    "v4+use-static": ({}, {**SHIPPED_FEATURES, "embedding_scale": 1.0}, embeddings.USE_STATIC_NAME),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tagging_candidates.json")
    parser.add_argument("--only", nargs="*", choices=list(CANDIDATES), help="candidates to run (default: all)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        sys.exit(f"no datasets at {args.data}: nothing to benchmark")
    _, validation = datasets.brand_mentions()
    never_seen = never_seen_sets()
    _, en_val = datasets.english_sentiment(args.data)
    _, _, fr_val = datasets.french_sentiment(args.data)
    mixed = en_val.texts + fr_val.texts * 3
    results = {}
    for name in args.only or CANDIDATES:
        started = time.perf_counter()
        if CANDIDATES[name] is None:
            bundle = load_bundle(get_settings().model_dir)
        else:
            data_options, feature_options, representation = CANDIDATES[name]
            embeddings.select_representation(representation or embeddings.EMBEDDING_NAME)
            print(f"[{name}] training", file=sys.stderr, flush=True)
            bundle = train_bundle(build_head_data(args.data, **data_options), featurizer=Featurizer(**feature_options))
        tagger = TrainedTagger(bundle)
        row = {"training_seconds": bundle.report.get("training_seconds", round(time.perf_counter() - started)),
               "features": bundle.featurizer.n_features,
               "representation": (embeddings.selected_representation()
                                  if bundle.featurizer.embedding_scale else None),
               "validation_report": {head: sets for head, sets in bundle.report.items()
                                     if isinstance(sets, dict) and head != "training_examples"},
               "brand_validation_tuned_on": summary(score_mentions(tagger.tag_batch, validation)),
               **{f"brand_{key}_never_seen": summary(score_mentions(tagger.tag_batch, mentions))
                  for key, mentions in never_seen.items()}}
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        if affinity:
            os.sched_setaffinity(0, {min(affinity)})
        row["mentions_per_second_one_core"] = speed(tagger.tag_batch, mixed, repeats=3)
        if affinity:
            os.sched_setaffinity(0, affinity)
        results[name] = row
        print(f"[{name}] {json.dumps(row['brand_heldout_never_seen'])}", file=sys.stderr, flush=True)
    if args.only and args.out.exists():  # a partial run adds to the candidates already measured
        results = {**json.loads(args.out.read_text(encoding="utf-8")).get("candidates", {}), **results}
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": f"2 cores shared with other jobs ({platform.machine()}, Python {platform.python_version()})",
              "candidates": results,
              "note": "validation figures are tuned on; heldout and heldout_b were never read by training or tuning"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
