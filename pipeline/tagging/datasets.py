"""Read the labelled research sets (``../shared/datasets``) into (text, label) pairs with train/validation splits.

Every loader returns :class:`Split` objects and never touches held-back material: fold-based sets keep
folds 0-6 for training and use fold 7 for validation (folds 8 and 9 are held back and skipped).
Files are UTF-8 TSV with a header row and no quoting.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HELD_BACK_FOLDS = {"8", "9"}
VALIDATION_FOLD = "7"

csv.field_size_limit(sys.maxsize)


@dataclass
class Split:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, text: str, label: str) -> None:
        self.texts.append(text)
        self.labels.append(label)

    def __len__(self) -> int:
        return len(self.texts)

    def with_label(self, label: str) -> Split:
        return Split(list(self.texts), [label] * len(self.texts))


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _fold_of_text(text: str) -> str:
    return str(int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 10)


def _by_fold(rows: list[dict[str, str]], label_of) -> tuple[Split, Split]:
    train, val = Split(), Split()
    for row in rows:
        fold = row["fold_md5"]
        if fold in HELD_BACK_FOLDS:
            continue
        label = label_of(row)
        if label is None:
            continue
        (val if fold == VALIDATION_FOLD else train).add(row["text"], label)
    return train, val


def _simple(path: Path, mapping: dict[str, str] | None = None) -> Split:
    split = Split()
    for row in read_tsv(path):
        label = mapping.get(row["label"]) if mapping else row["label"]
        if label is not None and row["text"].strip():
            split.add(row["text"], label)
    return split


def english_sentiment(root: Path) -> tuple[Split, Split]:
    """SemEval-2017 training compilation; TweetEval validation."""
    return (_simple(root / "en_sentiment_semeval2017_train" / "train.tsv"),
            _simple(root / "tweeteval_sentiment_semeval2017" / "val.tsv"))


def airline_sentiment(root: Path) -> Split:
    """Brand-directed airline tweets, deduplicated on text: English sentiment (lightly weighted), weak complaint
    labels and the language detector's English examples."""
    split, seen = Split(), set()
    for row in read_tsv(root / "en_airline_sentiment_crowdflower" / "tweets.tsv"):
        if row["text"] not in seen:
            seen.add(row["text"])
            split.add(row["text"], row["label"])
    return split


def airline_complaints(airline: Split, exclude: Iterable[str] = ()) -> Split:
    """The airline tweets (:func:`airline_sentiment`) as weak complaint labels: negative → 'yes' (their
    annotators named a reason: late flight, lost luggage, customer service…), neutral and positive → 'no'.
    Texts in ``exclude`` (the complaint set's own tweets) are left out so one tweet never carries two labels."""
    excluded = {text.strip().lower() for text in exclude}
    split = Split()
    for text, sentiment in zip(airline.texts, airline.labels):
        if text.strip().lower() not in excluded:
            split.add(text, "yes" if sentiment == "negative" else "no")
    return split


def french_sentiment(root: Path) -> tuple[Split, Split, Split]:
    """DEFT 2017 as packaged by XLM-T (train, validation) and the full DEFT 2017 training set ('mixed' dropped).

    Returns (xlmt_train, deft_full_train, xlmt_val). Allociné reviews and the machine-translated tweets were
    tried and lowered validation macro-F1 (other domain / noisy labels), so they are not used.
    """
    xlmt_train = _simple(root / "fr_sentiment_deft2017_xlmt" / "train.tsv")
    deft = _simple(root / "fr_sentiment_deft2017_full" / "train.tsv",
                   {"objective": "neutral", "positive": "positive", "negative": "negative"})
    val = _simple(root / "fr_sentiment_deft2017_xlmt" / "val.tsv")
    return xlmt_train, deft, val


def ordinary_french_tweets(root: Path) -> Split:
    """Everyday French tweets (Sentiment140 machine-translated to French), texts only, labelled 'no' for the French
    troll head: what ordinary French reads like (questions, plans, small talk), which neither the hate-keyword MLMA
    nor the role-played CyberAgressionAdo show. Their sentiment labels (from emoticons) are not used."""
    path = root / "fr_sentiment_french_tweets_translated" / "sample20k.tsv"
    return Split([row["text"] for row in read_tsv(path) if row.get("text", "").strip()]).with_label("no") \
        if path.exists() else Split()


def offensive(root: Path) -> dict[str, tuple[Split, Split]]:
    """Troll / offensive: OLID (English) and MLMA + CyberAgressionAdo (French), label 'yes'/'no'."""
    olid = (_simple(root / "tweeteval_offensive_olid" / "train.tsv", {"offensive": "yes", "not-offensive": "no"}),
            _simple(root / "tweeteval_offensive_olid" / "val.tsv", {"offensive": "yes", "not-offensive": "no"}))
    mlma = _by_fold(read_tsv(root / "fr_hate_mlma" / "fr_train.tsv"), lambda r: "yes" if r["label"] == "toxic" else "no")
    cyber_train, cyber_val = Split(), Split()
    for row in read_tsv(root / "fr_toxic_cyberagressionado_v1" / "messages.tsv"):
        label = "yes" if row["label"] == "yes" or row["verbal_abuse"] not in ("none", "") else "no"
        target = cyber_val if _fold_of_text(row["scenario"]) == VALIDATION_FOLD else cyber_train
        target.add(row["text"], label)
    return {"olid": olid, "mlma": mlma, "cyberagressionado": (cyber_train, cyber_val)}


PROTECTED_TARGETS = {"origin", "religion", "gender", "sexual_orientation", "disability"}


def hate(root: Path) -> dict[str, tuple[Split, Split]]:
    """Legal violation (hate, discrimination): HatEval (English) and MLMA hateful rows aimed at a protected group."""
    hateval = (_simple(root / "tweeteval_hate_hateval2019" / "train.tsv", {"hate": "yes", "not-hate": "no"}),
               _simple(root / "tweeteval_hate_hateval2019" / "val.tsv", {"hate": "yes", "not-hate": "no"}))
    mlma = _by_fold(
        read_tsv(root / "fr_hate_mlma" / "fr_train.tsv"),
        lambda r: "yes" if "hateful" in r["hostility_multilabel"] and r["target"] in PROTECTED_TARGETS else "no",
    )
    return {"hateval": hateval, "mlma": mlma}


def complaints(root: Path) -> tuple[Split, Split]:
    """Preotiuc-Pietro 2019 complaints: folds 0-6 train, fold 7 validation."""
    return _by_fold(read_tsv(root / "complaints_preotiuc2019" / "complaints_train.tsv"),
                    lambda r: "yes" if r["label"] == "complaint" else "no")


def false_information(root: Path) -> tuple[Split, Split]:
    """CONSTRAINT 2021 COVID fake news: official train and validation."""
    folder = root / "en_covid_fakenews_constraint2021"
    mapping = {"fake": "yes", "real": "no"}
    return _simple(folder / "train.tsv", mapping), _simple(folder / "val.tsv", mapping)


# The project's own brand mentions (data/brand_mentions/*.jsonl, see its README): written for training and validation.
# Its heldout/ folder is for evaluation only (bench/bench_tagging.py): nothing here reads it.
BRAND_MENTIONS_DIR = Path(__file__).resolve().parents[2] / "data" / "brand_mentions"
BRAND_VALIDATION_SHARE = 5  # one text in 5 (by the md5 of its text) validates and tunes, the others train
BRAND_CATEGORIES = ("complaint", "troll", "counterfeit", "positive", "review", "neutral", "false_information",
                    "copyright", "legal_violation")


@dataclass(frozen=True)
class BrandMention:
    text: str
    lang: str
    platform: str
    sentiment: str
    categories: tuple[str, ...]
    case: str = "plain"
    sector: str = ""

    def label(self, category: str) -> str:
        return "yes" if category in self.categories else "no"


def read_brand_mentions(path: Path) -> list[BrandMention]:
    """One labelled mention per JSON line; a line that is not one raises ValueError naming the file and line."""
    import json

    mentions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            mention = BrandMention(row["text"], row["lang"], row.get("platform", "twitter"), row["sentiment"],
                                   tuple(row["categories"]), row.get("case", "plain"), row.get("sector", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled brand mention ({exc})") from exc
        unknown = set(mention.categories) - set(BRAND_CATEGORIES)
        if unknown or mention.sentiment not in ("negative", "neutral", "positive") or not mention.text.strip():
            raise ValueError(f"{path}:{number}: unknown label(s) {sorted(unknown) or mention.sentiment!r}")
        mentions.append(mention)
    return mentions


def brand_mentions(folder: Path = BRAND_MENTIONS_DIR) -> tuple[list[BrandMention], list[BrandMention]]:
    """(train, validation) of the project's brand mentions, split by text so a text is always on the same side."""
    train, val = [], []
    for path in sorted(folder.glob("*.jsonl")):
        for mention in read_brand_mentions(path):
            digest = int(hashlib.md5(mention.text.encode("utf-8")).hexdigest(), 16)
            (val if digest % BRAND_VALIDATION_SHARE == 0 else train).append(mention)
    return train, val


def brand_split(mentions: Iterable[BrandMention], lang: str | None, label) -> Split:
    """Texts of ``lang`` (None: every language) with ``label(mention)`` as their label (None: left out)."""
    split = Split()
    for mention in mentions:
        if lang is None or mention.lang == lang:
            value = label(mention)
            if value is not None:
                split.add(mention.text, value)
    return split
