"""Training on small synthetic data: reproducible, thresholds tuned, saved and reloaded without change, feedback used."""

import random

import numpy as np
import pytest

from pipeline.tagging.bundle import load_bundle, model_paths, probabilities, save_bundle
from pipeline.tagging.datasets import Split
from pipeline.tagging.features import Featurizer
from pipeline.tagging.feedback import FeedbackRecord
from pipeline.tagging.training import (
    FALSE_INFORMATION_TOPIC,
    FEEDBACK_WEIGHT,
    HeadData,
    add_feedback,
    category_head,
    OFFSET_TOLERANCE,
    train_bundle,
    tune_offsets,
    tune_threshold,
)

WORDS = {
    "en_pos": ["love", "great", "awesome", "perfect", "thanks", "brilliant"],
    "en_neg": ["hate", "awful", "broken", "terrible", "worst", "useless"],
    "en_neu": ["store", "opens", "monday", "the", "new", "catalogue", "arrives"],
    "fr_pos": ["adore", "génial", "parfait", "merci", "superbe", "bravo"],
    "fr_neg": ["nul", "horrible", "cassé", "pire", "honte", "déçu"],
    "fr_neu": ["magasin", "ouvre", "lundi", "le", "nouveau", "catalogue", "arrive"],
    "de": ["der", "die", "das", "und", "ist", "nicht", "mit", "auf", "für", "ein", "eine"],
}


def sentence(rng: random.Random, *pools: str) -> str:
    return " ".join(rng.choice(WORDS[p]) for p in pools for _ in range(3))


def binary_split(rng: random.Random, yes_words: list[str], n: int = 60) -> Split:
    split = Split()
    for i in range(n):
        base = sentence(rng, rng.choice(["en_neu", "en_pos", "en_neg", "fr_neu", "fr_pos", "fr_neg"]))
        split.add(f"{base} {rng.choice(yes_words)} {rng.choice(yes_words)}" if i % 2 else base, "yes" if i % 2 else "no")
    return split


def tiny_heads(seed: int = 0, troll_per_language: bool = False, gated: bool = False) -> dict[str, HeadData]:
    """Every head on made-up words; with ``troll_per_language`` troll is two heads, ``troll_en`` (English insults)
    and ``troll_fr`` (French insults), as in the shipped model; with ``gated`` false information has a topic gate
    (texts with "virus" or "vaccine" are on topic), as in the shipped model."""
    rng = random.Random(seed)
    heads = {}
    lang = HeadData("lang", ("en", "fr", "other"))
    for _ in range(30):
        lang.extend(Split([sentence(rng, "en_neu", rng.choice(["en_pos", "en_neg"])),
                           sentence(rng, "fr_neu", rng.choice(["fr_pos", "fr_neg"])), sentence(rng, "de")],
                          ["en", "fr", "other"]))
    lang.validation = {"val": Split([sentence(rng, "en_neu"), sentence(rng, "fr_neu"), sentence(rng, "de")], ["en", "fr", "other"])}
    heads["lang"] = lang
    for code in ("en", "fr"):
        head = HeadData(f"sentiment_{code}", ("negative", "neutral", "positive"))
        for _ in range(30):
            head.extend(Split([sentence(rng, f"{code}_neg"), sentence(rng, f"{code}_neu"), sentence(rng, f"{code}_pos")],
                              ["negative", "neutral", "positive"]))
        head.validation = {"val": Split([sentence(rng, f"{code}_neg"), sentence(rng, f"{code}_pos")], ["negative", "positive"])}
        heads[head.name] = head
    for name, words in (("troll", ["idiot", "moron"]), ("complaint", ["refund", "waiting"]),
                        ("false_information", ["hoax", "coverup"]), ("legal_violation", ["racist", "sexist"])):
        head = HeadData(name, ("no", "yes"))
        head.extend(binary_split(rng, words))
        head.validation = {"val": binary_split(rng, words, 20)}
        heads[name] = head
    if troll_per_language:
        del heads["troll"]
        for code, words in (("en", ["idiot", "moron"]), ("fr", ["connard", "abruti"])):
            head = HeadData(f"troll_{code}", ("no", "yes"), tune_on=2)
            head.extend(binary_split(rng, words))
            head.validation = {"val": binary_split(rng, words, 20), "other_val": binary_split(rng, words, 20)}
            heads[head.name] = head
    if gated:
        topic = HeadData(FALSE_INFORMATION_TOPIC, ("no", "yes"), tune=False)
        topic.extend(binary_split(rng, ["virus", "vaccine"]))
        topic.validation = {"val": binary_split(rng, ["virus", "vaccine"], 20)}
        heads[FALSE_INFORMATION_TOPIC] = topic
        heads["false_information"].gate = FALSE_INFORMATION_TOPIC
    return heads


@pytest.fixture(scope="module")
def bundle():
    return train_bundle(tiny_heads(), featurizer=Featurizer(2**12, 2**12))


def test_train_bundle_is_reproducible(bundle):
    again = train_bundle(tiny_heads(), featurizer=Featurizer(2**12, 2**12))
    assert np.array_equal(bundle.weights, again.weights)
    assert bundle.heads == again.heads


def test_train_bundle_layout_covers_every_head(bundle):
    widths = {name: bundle.head_width(name) for name in bundle.heads}
    assert widths["lang"] == 3 and widths["sentiment_en"] == 3 and widths["troll"] == 1
    assert sum(widths.values()) == bundle.weights.shape[1] == bundle.bias.shape[0]
    assert bundle.weights.dtype == np.float32


def test_train_bundle_tunes_binary_thresholds_only(bundle):
    assert bundle.heads["lang"]["threshold"] is None
    for name in ("troll", "complaint", "false_information", "legal_violation"):
        assert 0.05 <= bundle.heads[name]["threshold"] <= 0.95
        assert bundle.report[name]["val"]["macro_f1"] > 80


def test_train_bundle_save_and_load_predict_the_same(bundle, tmp_path):
    save_bundle(bundle, tmp_path)
    loaded = load_bundle(tmp_path)
    texts = ["i love this, thanks", "c'est nul et cassé", "der die das"]
    assert np.allclose(bundle.all_logits(bundle.featurizer.transform(texts)),
                       loaded.all_logits(loaded.featurizer.transform(texts)), atol=1e-5)
    assert loaded.heads == bundle.heads


def test_train_bundle_load_missing_raises_file_not_found(tmp_path):
    assert not any(p.exists() for p in model_paths(tmp_path))
    with pytest.raises(FileNotFoundError):
        load_bundle(tmp_path)


def test_train_tune_threshold_finds_the_separating_cut():
    labels = ["no"] * 5 + ["yes"] * 5
    p_yes = np.array([0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55])
    threshold, score = tune_threshold(labels, p_yes, lambda t, p: float(np.mean(np.array(t) == np.array(p))))
    assert 0.3 < threshold <= 0.35
    assert score == 1.0


def test_train_feedback_becomes_weighted_examples():
    heads = tiny_heads()
    before = {name: len(head.texts) for name, head in heads.items()}
    add_feedback(heads, [
        FeedbackRecord(text="where is my parcel", lang="en", add=["complaint"], remove=["neutral", "troll"], sentiment="negative"),
        FeedbackRecord(text="quelle bande de nuls", lang="fr", add=["troll"]),
    ])
    assert heads["complaint"].texts[-1] == "where is my parcel" and heads["complaint"].labels[-1] == "yes"
    assert heads["complaint"].weights[-1] == FEEDBACK_WEIGHT
    assert heads["troll"].labels[-2:] == ["no", "yes"]
    assert heads["sentiment_en"].labels[-1] == "negative"
    assert len(heads["sentiment_fr"].texts) == before["sentiment_fr"]
    assert len(heads["legal_violation"].texts) == before["legal_violation"]


def test_train_tune_threshold_on_several_sets_maximises_their_mean():
    metric = lambda t, p: float(np.mean(np.array(t) == np.array(p)))  # noqa: E731
    first = (["no", "yes", "yes"], np.array([0.2, 0.5, 0.9]))  # best anywhere in (0.2, 0.5]
    second = (["no", "no", "yes"], np.array([0.2, 0.5, 0.9]))  # best anywhere in (0.5, 0.9]
    alone, _ = tune_threshold(*first, metric)
    assert alone <= 0.5
    threshold, score = tune_threshold(*first, metric, others=[second, second])
    assert 0.5 < threshold <= 0.9
    assert score == pytest.approx((2 / 3 + 1 + 1) / 3)


def test_train_bundle_per_language_heads_tuned_on_all_their_sets():
    bundle = train_bundle(tiny_heads(troll_per_language=True), featurizer=Featurizer(2**12, 2**12))
    assert "troll" not in bundle.heads
    for code in ("en", "fr"):
        assert 0.05 <= bundle.heads[f"troll_{code}"]["threshold"] <= 0.95
        assert set(bundle.report[f"troll_{code}"]) >= {"val", "other_val"}


def test_train_category_head_prefers_the_language_head():
    heads = tiny_heads(troll_per_language=True)
    assert category_head(heads, "troll", "fr") == "troll_fr"
    assert category_head(heads, "troll", "de") is None
    assert category_head(heads, "complaint", "fr") == "complaint"


def test_train_feedback_goes_to_the_language_head():
    heads = tiny_heads(troll_per_language=True)
    before = len(heads["troll_en"].texts)
    add_feedback(heads, [FeedbackRecord(text="quelle bande de nuls", lang="fr", add=["troll"])])
    assert heads["troll_fr"].texts[-1] == "quelle bande de nuls" and heads["troll_fr"].labels[-1] == "yes"
    assert len(heads["troll_en"].texts) == before


def test_train_bundle_gate_scales_the_gated_head_down_off_topic_only():
    bundle = train_bundle(tiny_heads(gated=True), featurizer=Featurizer(2**12, 2**12))
    assert bundle.heads["false_information"]["gate"] == FALSE_INFORMATION_TOPIC
    assert bundle.heads[FALSE_INFORMATION_TOPIC]["threshold"] is None  # tune=False: the gate opens at 0.5
    assert "gate" not in bundle.heads["complaint"]
    texts = ["hoax coverup hoax coverup", "virus vaccine hoax coverup", "store opens monday virus vaccine"]
    X = bundle.featurizer.transform(texts)
    logits = bundle.all_logits(X)
    start = bundle.heads["false_information"]["start"]
    ungated = probabilities(logits[:, start: start + 1])
    p_topic = bundle.head_scores(X, FALSE_INFORMATION_TOPIC)
    gated = bundle.head_scores(X, "false_information")
    assert p_topic[0] < 0.5 < p_topic[1]
    assert gated[0] == pytest.approx(ungated[0] * p_topic[0] / 0.5, rel=1e-5) and gated[0] < ungated[0]
    assert gated[1] == pytest.approx(ungated[1], rel=1e-5)
    assert np.allclose(bundle.head_probabilities(logits, "false_information"), gated, rtol=1e-5)


def test_train_feedback_adding_a_gated_category_teaches_its_gate_too():
    heads = tiny_heads(gated=True)
    topic_before = len(heads[FALSE_INFORMATION_TOPIC].texts)
    add_feedback(heads, [FeedbackRecord(text="the bulbs cause cancer", lang="en", add=["false_information"]),
                         FeedbackRecord(text="official recall notice", lang="en", remove=["false_information"])])
    assert heads["false_information"].labels[-2:] == ["yes", "no"]
    topic = heads[FALSE_INFORMATION_TOPIC]
    assert len(topic.texts) == topic_before + 1
    assert (topic.texts[-1], topic.labels[-1], topic.weights[-1]) == ("the bulbs cause cancer", "yes", FEEDBACK_WEIGHT)


def test_train_tune_offsets_keeps_the_smallest_shift_that_scores_as_well():
    classes = ["negative", "neutral", "positive"]
    # Every text is clear: no shift is needed, and shifts up to the margin score as well.
    logits = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] * 3)
    labels = classes * 3
    accuracy = lambda t, p: float(np.mean(np.array(t) == np.array(p)))  # noqa: E731
    offsets, score = tune_offsets(labels, logits, classes, accuracy)
    assert offsets == [0.0, 0.0, 0.0] and score == 1.0


def test_train_tune_offsets_shifts_when_the_gain_is_beyond_the_tolerance():
    classes = ["negative", "neutral", "positive"]
    # Negative texts read as neutral by 0.35: a shift of at least 0.4 on negative recovers them.
    logits = np.array([[0.65, 1.0, 0.0]] * 4 + [[0.0, 1.0, 0.0]] * 4 + [[0.0, 0.0, 1.0]] * 4)
    labels = ["negative"] * 4 + ["neutral"] * 4 + ["positive"] * 4
    accuracy = lambda t, p: float(np.mean(np.array(t) == np.array(p)))  # noqa: E731
    offsets, score = tune_offsets(labels, logits, classes, accuracy)
    assert score == 1.0 > 2 / 3 + OFFSET_TOLERANCE
    assert offsets[0] == pytest.approx(0.4) and offsets[1] == 0.0 and abs(offsets[2]) < 0.4


def test_train_tune_offsets_scores_another_set_with_its_own_metric():
    classes = ["negative", "neutral", "positive"]
    clear = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] * 3)
    shy = np.array([[0.65, 1.0, 0.0]] * 4 + [[0.0, 1.0, 0.0]] * 4 + [[0.0, 0.0, 1.0]] * 4)  # negatives read as neutral
    shy_labels = ["negative"] * 4 + ["neutral"] * 4 + ["positive"] * 4
    indifferent = lambda t, p: 0.5  # noqa: E731
    accuracy = lambda t, p: float(np.mean(np.array(t) == np.array(p)))  # noqa: E731
    unmoved, _ = tune_offsets(classes * 3, clear, classes, indifferent, others=[(shy_labels, shy)])
    assert unmoved == [0.0, 0.0, 0.0]  # the other set scored with the head's (indifferent) metric
    moved, score = tune_offsets(classes * 3, clear, classes, indifferent, others=[(shy_labels, shy, accuracy)])
    assert moved[0] == pytest.approx(0.4) and score == pytest.approx(0.75)
