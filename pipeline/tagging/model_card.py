"""Speed measurement and the model card (data, licences, validation scores, speed) written by ``veille train``."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pipeline.tagging import TagInput
from pipeline.tagging.bundle import ModelBundle

DATA_SOURCES = [
    ("en_sentiment_semeval2017_train", "English sentiment (train); 15,000 of them as off-topic examples for the false-information topic gate", "SemEval 2013-2016 Task 4A tweets; Twitter ToS, research use, do not redistribute"),
    ("en_airline_sentiment_crowdflower", "English sentiment (train, weight 0.3); complaint (negative = weak 'yes', weight 0.05); legal violation (the negative ones as 'no', weight 0.5: an angry customer is not a legal violation); language detector (English examples)", "CrowdFlower / Kaggle Twitter US Airline Sentiment; CC BY-NC-SA 4.0 (non-commercial)"),
    ("tweeteval_sentiment_semeval2017", "English sentiment (validation)", "TweetEval; no explicit licence, Twitter ToS"),
    ("fr_sentiment_deft2017_xlmt", "French sentiment (train, validation)", "DEFT 2017 via XLM-T (Apache-2.0 repo, dataset restrictions may apply)"),
    ("fr_sentiment_deft2017_full", "French sentiment (train)", "DEFT 2017 Task 1 training set; CeCILL"),
    ("fr_sentiment_french_tweets_translated", "troll, French head: 20,000 everyday tweets as 'no' (weight 0.3; texts only, their emoticon labels unused)", "Sentiment140 machine-translated to French (Kaggle French Twitter Sentiment Analysis, MIT, (c) 2017 Sailesh Choyal); Sentiment140 itself is research use only"),
    ("tweeteval_offensive_olid", "troll, English head (train, validation; its threshold tuned on OLID and the English brand validation split together)", "OLID / OffensEval 2019 via TweetEval; no explicit licence, cite OLID"),
    ("fr_hate_mlma", "troll (French head), legal violation (folds 0-6 train, fold 7 validation)", "MLMA French; MIT"),
    ("fr_toxic_cyberagressionado_v1", "troll, French head (scenario-split train/validation)", "CyberAgressionAdo-v1; no licence stated, research use"),
    ("tweeteval_hate_hateval2019", "legal violation (train, validation)", "HatEval 2019 via TweetEval; no explicit licence"),
    ("complaints_preotiuc2019", "complaint (folds 0-6 train, fold 7 validation)", "Preotiuc-Pietro et al. 2019; no licence stated, research use"),
    ("en_covid_fakenews_constraint2021", "false information (train, validation); its topic gate (all of it as on-topic, against ordinary tweets: SemEval, complaint and OLID training tweets)", "CONSTRAINT@AAAI-2021 (CodaLab terms; MIT repo copy)"),
    ("data/brand_mentions ({brand_files})",
     "written by the project (invented brands, no scraped posts): every head but lang (one text in five, by the md5 "
     "of its text, validates and tunes; each training text also as a noisy copy: pipeline/tagging/augment.py; "
     "weight 3; French sentiment 1; troll, English complaint, English sentiment and legal violation 6; "
     "brand rumours 0.5 in the false-information head); "
     "the only training data of the French complaint, counterfeit, copyright and review heads",
     "the project's own (Apache-2.0); its heldout* folders are never read by training"),
    ("spaCy example sentences and stop words", "language detector 'other' class", "spaCy, MIT"),
    ("alt-profanity-check (PyPI package, its shipped model)", "profanity-probability feature column (all heads)",
     "MIT; its authors trained it on Davidson et al. 2017 offensive-language tweets and Jigsaw Wikipedia comments"),
]

TARGETS = {
    ("sentiment_en", "tweeteval_sentiment_val"): ("macro_recall", 70.0, "FastText 62.9, VADER 57 (test)"),
    ("sentiment_fr", "deft2017_xlmt_val"): ("macro_f1", 65.0, "FastText 54.8 (test)"),
    ("troll_en", "olid"): ("macro_f1", 78.0, "FastText 73.4 (test)"),
    ("complaint_en", "preotiuc2019_fold7"): ("macro_f1", 80.0, "Preotiuc-Pietro 2019 LR 78 (10-fold CV)"),
    ("false_information", "constraint2021_val"): ("weighted_f1", 94.0, "SVM 93.3 (test)"),
}


def measure_speed(bundle: ModelBundle, texts: Sequence[str], batch_size: int = 500, repeats: int = 3) -> dict:
    """Mentions per second through :class:`TrainedTagger` on one process, in batches; best of ``repeats``."""
    from pipeline.tagging.trained import TrainedTagger

    tagger = TrainedTagger(bundle)
    items = [TagInput(text=t, platform="twitter", created_at=datetime(2026, 1, 1, tzinfo=UTC)) for t in texts]
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for start in range(0, len(items), batch_size):
            tagger.tag_batch(items[start: start + batch_size])
        best = min(best, time.perf_counter() - started)
    return {"mentions_per_second": round(len(items) / best), "mentions": len(items), "batch_size": batch_size,
            "cpus_visible": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}


def never_seen_scores(bundle: ModelBundle) -> dict:
    """The trained tagger on the brand-mention sets no training or tuning reads (reported, never tuned on)."""
    from pipeline.tagging.brand_eval import never_seen_sets, score_mentions, summary
    from pipeline.tagging.trained import TrainedTagger

    tagger = TrainedTagger(bundle)
    return {name: summary(score_mentions(tagger.tag_batch, mentions)) for name, mentions in never_seen_sets().items()}


def brand_files_summary(folder: Path | None = None) -> str:
    """The brand-mention training files and how many mentions of each language they hold, as the card lists them."""
    from pipeline.tagging.datasets import BRAND_MENTIONS_DIR, read_brand_mentions

    files = sorted((folder or BRAND_MENTIONS_DIR).glob("*.jsonl"))
    mentions = [m for path in files for m in read_brand_mentions(path)]
    french, english = sum(m.lang == "fr" for m in mentions), sum(m.lang == "en" for m in mentions)
    return f"{', '.join(path.stem for path in files)}: {french:,} French and {english:,} English mentions"


def write_model_card(bundle: ModelBundle, path: Path, model_files: Sequence[Path]) -> Path:
    report = bundle.report
    size_mb = sum(p.stat().st_size for p in model_files) / 1e6
    brand_files = brand_files_summary()
    lines = [
        f"# Model card: {bundle.version}",
        "",
        (f"Written by `veille train` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({platform.python_implementation()} "
         f"{platform.python_version()}). Do not edit by hand: rerun `veille train --data ../shared/datasets`."),
        "",
        "## What it is",
        ("Logistic-regression heads on one shared feature space (hashed word 1-2grams + char_wb 2-5grams with "
        "sublinear TF-IDF, plus 11 polarity-lexicon columns from VADER's English and Pattern's French lexicons, "
        "1 column of alt-profanity-check's profanity probability (its PyPI package ships that linear model) and "
        "6 lexicon-evidence columns (does a pattern of `pipeline/tagging/lexicons.yaml` for complaint, counterfeit, "
        "copyright, legal violation, review or false information occur: the heads weigh that evidence, a pattern "
        f"alone decides nothing); {bundle.featurizer.n_features:,} features): language (en / fr / other), sentiment, "
        "troll and complaint (one head per language), legal violation, false information, counterfeit, copyright "
        "and review (one head for both languages; the false-information score is scaled down where its topic gate, "
        "a head trained on CONSTRAINT's tweets and the brand rumours against ordinary texts, says P(on topic) < 0.5). "
        "`positive` is praise = positive sentiment without a problem category; `neutral` only when nothing else "
        "applies; brand sections of the lexicons still add their category directly. Binary thresholds and the "
        "sentiment heads' per-class logit offsets are tuned on the mean over each head's first validation sets "
        "(research set and brand-mention validation split, shown below), and the regularisation strength was "
        "picked on the same sets: those scores are optimistic. The never-seen figures are in "
        "bench/results/tagging.json (brand mentions of other sectors, written apart and never read by training). "
        "Test splits were never used."),
        "",
        (f"Files: {', '.join(p.name for p in model_files)} ({size_mb:.1f} MB, numpy arrays + JSON, no pickle). "
         f"Training time: {report.get('training_seconds')} s. CM feedback records used: {report.get('feedback_records', 0)}."),
        "",
        "## Data and licences",
        "| set | used for | licence / terms |",
        "| --- | --- | --- |",
        *[f"| {name.format(brand_files=brand_files)} | {use} | {licence} |" for name, use, licence in DATA_SOURCES],
        "",
        ("Several sets are research-only or non-commercial (airline: CC BY-NC-SA; SemEval/TweetEval: Twitter ToS). "
         "A commercial deployment must check these terms or retrain without those sets."),
        "",
        "## Validation scores (×100)",
        "| head | validation set | n | metric | score | F1 of 'yes' | threshold | target (test) | published peer |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for head, sets in report.items():
        if not isinstance(sets, dict) or head in ("speed", "training_examples", "never_seen"):
            continue
        for set_name, scores in sets.items():
            if not isinstance(scores, dict):
                continue
            metric = next(k for k in scores if k not in ("n", "f1_yes"))
            target = TARGETS.get((head, set_name))
            lines.append(
                f"| {head} | {set_name} | {scores['n']} | {metric} | {scores[metric]} | {scores.get('f1_yes', '')} | "
                f"{sets.get('threshold', '')} | {target[1] if target else ''} | {target[2] if target else ''} |"
            )
    lines += ["", "`flagged_pct`: share of ordinary tweets (no label expected) that the head tags; lower is better."]
    never_seen = report.get("never_seen") or {}
    if never_seen:
        lines += ["", "## Never-seen brand mentions (×100)",
                  ("Brand mentions of other sectors and voices, written apart (`data/brand_mentions/heldout*`): no "
                   "training, threshold or setting reads them; this is the figure to trust."),
                  "", "| set | lang | n | complaint macro-F1 | sentiment macro-F1 | troll P / R | complaints not troll % "
                  "| counterfeit P / R | copyright P / R | legal violation P / R | false information P / R |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, by_lang in never_seen.items():
            for lang, d in by_lang.items():
                pr = {k: " / ".join("–" if v is None else str(v) for v in d[f"{k}_precision_recall"])
                      for k in ("counterfeit", "copyright", "legal_violation", "false_information")}
                lines.append(f"| {name} | {lang} | {d['n']} | {d['complaint_macro_f1']} | {d['sentiment_macro_f1']} | "
                             f"{d['troll_precision']} / {d['troll_recall']} | {d['complaints_not_called_troll_pct']} | "
                             f"{pr['counterfeit']} | {pr['copyright']} | {pr['legal_violation']} | {pr['false_information']} |")
    untuned = [f"{head} {key.removeprefix('untuned_')} {value} without offsets"
               for head, sets in report.items() if isinstance(sets, dict)
               for key, value in sets.items() if key.startswith("untuned_")]
    if untuned:
        lines += ["", "Before tuning the class offsets on validation: " + "; ".join(untuned) + "."]
    speed = report.get("speed", {})
    lines += [
        "",
        "## Speed",
        (f"{speed.get('mentions_per_second')} mentions/s through `TrainedTagger.tag_batch` (batches of "
         f"{speed.get('batch_size')}, {speed.get('mentions')} TweetEval validation tweets, one process, "
         "measured at the end of training). See bench/results/tagging.json for the benchmark on one pinned core."),
        "",
        "## Known limits",
        ("- French complaint, counterfeit, copyright and review learn only the project's own brand mentions (a few "
         "hundred examples each at most); French false information has ~70 brand rumours beside CONSTRAINT's English."),
        ("- The false-information head learnt COVID-19 news (CONSTRAINT 2021); off that topic treat it as weak. "
         "Its topic gate keeps it from flagging ordinary tweets (the share shown above), and also from flagging "
         "false claims on topics far from CONSTRAINT's: CM corrections that add the category teach the gate too."),
        ("- Troll: OLID validation macro-F1 is below the 78 target. Tried (OLID validation macro-F1, thresholds "
         "tuned there): linear variants (SVM, NB weighting, HatEval as extra positives, C 0.3-3) 72-73; the "
         "alt-profanity-check column 76.4 (kept); all-MiniLM-L6-v2 fine-tuned 1 epoch on OLID train 77.5 (76.4 as "
         "int8 ONNX at 6.5 ms a tweet on one thread, 30 times the whole linear tagger); averaging its probability "
         "with the linear head's 78.0 at best, so no student of it can be expected to clear 79; a cascade sending "
         "only uncertain English mentions to it: 74.8 with 22 % of OLID routed, 76.2 with 34 %, while the 3,000 "
         "mentions/s budget leaves room for a few %; distilling it into the linear head (17k pseudo-labelled "
         "tweets) 75.6-75.7; static MiniLM token vectors (model2vec-style: each WordPiece token run alone through "
         "the fine-tuned or the base model) mean- or max-pooled as 384 extra columns 74.6-75.7, and a static-"
         "embedding student (token table fine-tuned, OLID train) 73.4 alone, 71.9 with the pseudo-labels after 2 "
         "epochs; averaged with the linear head 75.8-76.7, no gain; stacking the troll head's out-of-fold logit "
         "with the other heads' logits and the profanity column 77.0 at best; fastText (trained on OLID train) "
         "averaged with the linear head 74.0-76.3 at weights 0.5-0.8; HatEval as extra training data for the "
         "current head (all of it or its positives, weights 0.1 and 0.3) 75.6-76.2; hatesonar's ONNX model "
         "cannot load without the en_US.UTF-8 locale."),
        ("- Troll has one head per language since v3: trained together, French CyberAgressionAdo fell to 73.9 "
         "while English gained nothing."),
        "- Legal violation: HatEval covers hate against immigrants and women only; the rest is lexicon.",
        ("- Static sentence embeddings (WordLlama's 256-dimension token table, MIT, shipped in its wheel) were "
         "measured as extra columns and are not used: see bench/results/tagging_candidates.json."),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
