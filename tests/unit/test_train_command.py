"""``veille train`` on a tiny synthetic copy of the datasets layout: writes the model, the card, and uses feedback."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from typer.testing import CliRunner

import pipeline.settings
import pipeline.tagging.features
from pipeline.cli import app, load_commands
from pipeline.tagging import datasets
from pipeline.tagging.augment import noisy_copies
from pipeline.tagging.bundle import load_bundle
from pipeline.tagging.feedback import FeedbackRecord, append_feedback, feedback_path
from pipeline.tagging.training import SEED

load_commands()

POS = ["love", "great", "perfect", "adore", "génial"]
NEG = ["hate", "awful", "broken", "nul", "horrible"]
NEU = ["store", "monday", "catalogue", "magasin", "lundi"]


def _tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def _text(rng: random.Random, words: list[str], extra: str = "") -> str:
    return " ".join(rng.choice(words) for _ in range(4)) + (f" {extra}" if extra else "")


def make_datasets(root: Path, n: int = 24) -> None:
    rng = random.Random(1)
    sentiment = [[_text(rng, w), label] for _ in range(n) for w, label in ((POS, "positive"), (NEG, "negative"), (NEU, "neutral"))]
    _tsv(root / "en_sentiment_semeval2017_train" / "train.tsv", ["text", "label"], sentiment)
    _tsv(root / "tweeteval_sentiment_semeval2017" / "val.tsv", ["idx", "text", "label"], [[str(i), *r] for i, r in enumerate(sentiment[:9])])
    _tsv(root / "en_airline_sentiment_crowdflower" / "tweets.tsv", ["text", "label", "negativereason", "airline"],
         [[r[0], r[1], "", "X"] for r in sentiment[:9]])
    for folder in ("fr_sentiment_deft2017_xlmt",):
        _tsv(root / folder / "train.tsv", ["idx", "text", "label"], [[str(i), *r] for i, r in enumerate(sentiment)])
        _tsv(root / folder / "val.tsv", ["idx", "text", "label"], [[str(i), *r] for i, r in enumerate(sentiment[:9])])
    _tsv(root / "fr_sentiment_deft2017_full" / "train.tsv", ["text", "label"],
         [[t, {"neutral": "objective"}.get(label, label)] for t, label in sentiment])

    def binary(yes: str, no: str, word: str) -> list[list[str]]:
        return [[_text(rng, NEU + POS, word if i % 2 else ""), yes if i % 2 else no, str(i % 10)] for i in range(4 * n)]

    for folder, yes, no in (("tweeteval_offensive_olid", "offensive", "not-offensive"), ("tweeteval_hate_hateval2019", "hate", "not-hate")):
        rows = binary(yes, no, "idiot")
        _tsv(root / folder / "train.tsv", ["text", "label"], [r[:2] for r in rows])
        _tsv(root / folder / "val.tsv", ["text", "label"], [r[:2] for r in rows[:20]])
    rows = binary("toxic", "normal", "débile")
    _tsv(root / "fr_hate_mlma" / "fr_train.tsv", ["text", "label", "hostility_multilabel", "target", "fold_md5"],
         [[t, label, "hateful" if label == "toxic" else "normal", "origin", fold] for t, label, fold in rows])
    _tsv(root / "fr_toxic_cyberagressionado_v1" / "messages.tsv", ["text", "label", "verbal_abuse", "scenario"],
         [[t, "yes" if label == "toxic" else "no", "none", f"scenario_{fold}"] for t, label, fold in rows])
    _tsv(root / "complaints_preotiuc2019" / "complaints_train.tsv", ["text", "label", "fold_md5"],
         [[t, "complaint" if label == "yes" else "not_complaint", fold] for t, label, fold in binary("yes", "no", "refund")])
    fake = binary("fake", "real", "hoax")
    _tsv(root / "en_covid_fakenews_constraint2021" / "train.tsv", ["text", "label"], [r[:2] for r in fake])
    _tsv(root / "en_covid_fakenews_constraint2021" / "val.tsv", ["text", "label"], [r[:2] for r in fake[:20]])


def make_brand_mentions(folder: Path, n: int = 40) -> int:
    """A few labelled brand mentions per language and category; returns how many English ones train (not validate)."""
    rng = random.Random(2)
    rows = []
    for i in range(n):
        for lang, complaint_word in (("en", "refund"), ("fr", "remboursez")):
            category = ["complaint", "troll", "counterfeit", "copyright", "review", "legal_violation",
                        "false_information", "positive", "neutral"][i % 9]
            word = {"complaint": complaint_word, "troll": "idiot", "counterfeit": "replica", "copyright": "torrent",
                    "review": "stars", "legal_violation": "racist", "false_information": "hoax"}.get(category, "")
            sentiment = "positive" if category == "positive" else "neutral" if category == "neutral" else "negative"
            rows.append({"text": f"{_text(rng, NEU, word)} {lang} {i}", "lang": lang, "platform": "twitter",
                         "sentiment": sentiment, "categories": [category], "case": "plain"})
    folder.mkdir(parents=True)
    (folder / "mentions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "heldout").mkdir()
    (folder / "heldout" / "fr.jsonl").write_text("not read by training\n", encoding="utf-8")
    train, _ = datasets.brand_mentions(folder)
    train = train + noisy_copies(train, SEED)  # training also reads a noisy copy of each (pipeline.tagging.augment)
    return sum(m.lang == "en" for m in train)


@pytest.fixture
def small_features(monkeypatch):
    """Small hashing spaces keep this test quick; the code path is the same."""
    init = pipeline.tagging.features.Featurizer.__init__
    monkeypatch.setattr(init, "__defaults__", (2**12, 2**12, *init.__defaults__[2:]))


async def _no_erasures(settings, timeout=30.0):
    from pipeline.privacy import ErasureSet

    return ErasureSet()


def test_train_command_writes_model_card_and_uses_feedback(tmp_path, monkeypatch, small_features):
    data, model_dir, brand = tmp_path / "datasets", tmp_path / "models", tmp_path / "brand"
    make_datasets(data)
    english_brand_train = make_brand_mentions(brand)
    settings = pipeline.settings.Settings(data_dir=tmp_path / "state", model_dir=model_dir)
    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    monkeypatch.setattr("pipeline.privacy.load_erasures", _no_erasures)  # no Kafka here: nobody is erased
    append_feedback(feedback_path(settings.data_dir), FeedbackRecord(text="store monday refund", lang="en", add=["complaint"]))

    result = CliRunner().invoke(app, ["train", "--data", str(data), "--brand-data", str(brand)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert report["feedback_records"] == 1
    complaint_rows_in_folds_0_to_6 = sum(1 for i in range(4 * 24) if i % 10 < 7)
    airline_weak_labels = len(datasets.airline_complaints(datasets.airline_sentiment(data)))
    assert airline_weak_labels == 9
    assert (report["training_examples"]["complaint_en"]
            == complaint_rows_in_folds_0_to_6 + airline_weak_labels + english_brand_train + 1)
    card = (model_dir / "MODEL_CARD.md").read_text()
    assert "## Validation scores" in card and "complaint" in card and "mentions/s" in card
    bundle = load_bundle(model_dir)
    assert set(bundle.heads) == {"lang", "sentiment_en", "sentiment_fr", "troll_en", "troll_fr", "complaint_en",
                                 "complaint_fr", "false_information", "false_information_topic", "legal_violation",
                                 "counterfeit", "copyright", "review"}
    assert "brand_mentions_fr_val" in report["complaint_fr"]
    assert bundle.heads["false_information"]["gate"] == "false_information_topic"


def test_train_command_rejects_missing_data_folder(tmp_path):
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code != 0
