"""Dataset loaders never hand held-back folds to training and keep validation apart."""

from pathlib import Path

import pytest

from pipeline.tagging import datasets

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"no labelled data at {DATA}")


def test_tagging_datasets_fold_sets_skip_held_back_folds(tmp_path):
    folder = tmp_path / "complaints_preotiuc2019"
    folder.mkdir()
    rows = ["tweet_id\ttext\tlabel\tlabel_id\tdomain\tfold_md5"]
    rows += [f"{i}\ttweet {i}\t{'complaint' if i % 2 else 'not_complaint'}\t{i % 2}\tfood\t{i % 10}" for i in range(40)]
    (folder / "complaints_train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    train, val = datasets.complaints(tmp_path)
    assert sorted(val.texts) == sorted(f"tweet {i}" for i in range(40) if i % 10 == 7)
    assert sorted(train.texts) == sorted(f"tweet {i}" for i in range(40) if i % 10 < 7)
    assert train.labels[train.texts.index("tweet 1")] == "yes"


def test_tagging_datasets_airline_complaints_are_negative_tweets_minus_the_complaint_set(tmp_path):
    folder = tmp_path / "en_airline_sentiment_crowdflower"
    folder.mkdir()
    rows = ["text\tlabel\tnegativereason\tairline",
            "@united lost my bag again\tnegative\tLost Luggage\tUnited",
            "@united lost my bag again\tnegative\tLost Luggage\tUnited",
            "@united thanks, great crew\tpositive\t\tUnited",
            "@united what time is boarding\tneutral\t\tUnited",
            "@delta Flight delayed 3 hours\tnegative\tLate Flight\tDelta"]
    (folder / "tweets.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    split = datasets.airline_complaints(datasets.airline_sentiment(tmp_path), exclude=["@DELTA flight delayed 3 hours "])
    assert list(zip(split.texts, split.labels)) == [("@united lost my bag again", "yes"),
                                                    ("@united thanks, great crew", "no"),
                                                    ("@united what time is boarding", "no")]


@needs_data
def test_tagging_datasets_sentiment_labels_are_three_classes():
    en_train, en_val = datasets.english_sentiment(DATA)
    xlmt_train, deft, fr_val = datasets.french_sentiment(DATA)
    for split in (en_train, en_val, xlmt_train, deft, fr_val):
        assert set(split.labels) == {"negative", "neutral", "positive"}
    assert "mixed" not in deft.labels


def test_tagging_datasets_brand_mentions_split_by_text_and_never_read_heldout():
    from pipeline.tagging.brand_eval import never_seen_sets

    train, val = datasets.brand_mentions()
    train_texts, val_texts = {m.text for m in train}, {m.text for m in val}
    assert train and val and not train_texts & val_texts
    assert 0.1 < len(val) / (len(train) + len(val)) < 0.3
    assert {m.lang for m in train} == {"fr", "en"}
    sets = never_seen_sets()
    assert {"heldout", "heldout_b"} <= set(sets)
    heldout = {m.text for mentions in sets.values() for m in mentions}
    assert heldout and not heldout & (train_texts | val_texts)


def test_tagging_datasets_brand_mentions_reject_bad_lines_with_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "lang": "fr", "sentiment": "neutral", "categories": ["neutral"]}\n'
                    '{"text": "x", "lang": "fr", "sentiment": "angry", "categories": ["complaint"]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        datasets.read_brand_mentions(path)
    path.write_text('{"text": "x", "lang": "fr", "sentiment": "negative", "categories": ["spam"]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: unknown label.*spam"):
        datasets.read_brand_mentions(path)


@needs_data
def test_tagging_datasets_no_heldout_brand_mention_reaches_any_head():
    from pipeline.tagging.brand_eval import never_seen_sets
    from pipeline.tagging.training import build_head_data

    heldout = {m.text for mentions in never_seen_sets().values() for m in mentions}
    for name, head in build_head_data(DATA).items():
        seen = set(head.texts) | {t for split in head.validation.values() for t in split.texts}
        assert not heldout & seen, name


def test_tagging_datasets_ordinary_french_tweets_are_non_trolls_without_their_sentiment(tmp_path):
    folder = tmp_path / "fr_sentiment_french_tweets_translated"
    folder.mkdir()
    (folder / "sample20k.tsv").write_text("text\tlabel\nJe vous aime, les gars!\tpositive\n\t0\nQuelqu'un va au ciné ce soir ?\tnegative\n",
                                          encoding="utf-8")
    split = datasets.ordinary_french_tweets(tmp_path)
    assert split.texts == ["Je vous aime, les gars!", "Quelqu'un va au ciné ce soir ?"]
    assert split.labels == ["no", "no"]
    assert len(datasets.ordinary_french_tweets(tmp_path / "absent")) == 0
