import random

import pytest

from bench import fasttext_peer
from bench.bench_tagging import with_fasttext_and_ratio
from pipeline.tagging.datasets import Split
from pipeline.tagging.training import macro_f1

POSITIVE_WORDS = ["great", "love", "perfect", "merci", "super", "bravo"]
NEGATIVE_WORDS = ["awful", "broken", "hate", "nul", "arnaque", "honte"]
FILLER = ["the", "order", "delivery", "today", "la", "commande", "@user", "!", "?"]


def toy_split(n: int, seed: int, noise: float = 0.0) -> Split:
    rng = random.Random(seed)
    split = Split()
    for _ in range(n):
        label = rng.choice(["yes", "no"])
        words = rng.sample(FILLER, 4) + [rng.choice(NEGATIVE_WORDS if label == "yes" else POSITIVE_WORDS)]
        rng.shuffle(words)
        if rng.random() < noise:
            label = "no" if label == "yes" else "yes"
        split.add(" ".join(words), label)
    return split


def test_fasttext_peer_line_separates_punctuation_mentions_tags_and_urls():
    line = fasttext_peer.fasttext_line("@Brand your app is BROKEN!!! #fail https://t.co/x1 don't")
    assert line == "@brand your app is broken ! ! ! #fail https://t.co/x1 don't"


def test_fasttext_peer_learns_a_separable_task():
    train, val = toy_split(400, seed=1), toy_split(100, seed=2)
    scores = fasttext_peer.score_peer(train.texts, train.labels, val.texts, val.labels, macro_f1,
                                      grid=[{"epoch": 25, "lr": 0.5, "wordNgrams": 1}])
    assert scores.best_of_grid == 100.0
    assert scores.best_params == {"epoch": 25, "lr": 0.5, "wordNgrams": 1}


def test_fasttext_peer_training_is_reproducible(tmp_path):
    train = toy_split(300, seed=3, noise=0.3)
    rng = random.Random(4)
    ambiguous = [f"{rng.choice(POSITIVE_WORDS)} {rng.choice(NEGATIVE_WORDS)} {' '.join(rng.sample(FILLER, 3))}"
                 for _ in range(300)]
    predictions = [fasttext_peer.predict(fasttext_peer.train(train.texts, train.labels, {"epoch": 25, "lr": 0.5}, tmp_path),
                                         ambiguous) for _ in range(2)]
    assert predictions[0] == predictions[1]
    assert set(predictions[0]) == {"yes", "no"}


def test_fasttext_peer_best_of_grid_reports_the_grid_point_that_scores_highest():
    train, val = toy_split(200, seed=5, noise=0.1), toy_split(200, seed=6)
    starved = {"epoch": 1, "lr": 0.001, "wordNgrams": 1}  # barely moves from its random start
    trained = {"epoch": 25, "lr": 0.5, "wordNgrams": 1}
    scores = fasttext_peer.score_peer(train.texts, train.labels, val.texts, val.labels, macro_f1, grid=[starved, trained])
    assert scores.best_params == trained
    assert scores.best_of_grid > 90.0
    starved_alone = fasttext_peer.score_peer(train.texts, train.labels, val.texts, val.labels, macro_f1, grid=[starved])
    assert starved_alone.best_of_grid < scores.best_of_grid


def test_fasttext_peer_share_tagged_counts_the_label_on_unseen_text():
    train = toy_split(400, seed=9)
    params = {"epoch": 25, "lr": 0.5}
    assert fasttext_peer.share_tagged(train.texts, train.labels, params, ["awful hate", "great love", "broken", "merci"]) == 50.0
    assert fasttext_peer.share_tagged(train.texts, train.labels, params, []) == 0.0


@pytest.mark.parametrize("label", ["", "not offensive", "yes\t"])
def test_fasttext_peer_refuses_labels_fasttext_would_misread(label, tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        fasttext_peer.train(["some text"], [label], fasttext_peer.DEFAULTS, tmp_path)


def test_fasttext_peer_refuses_mismatched_texts_and_labels(tmp_path):
    with pytest.raises(ValueError, match="2 texts, 1 labels"):
        fasttext_peer.train(["a", "b"], ["yes"], fasttext_peer.DEFAULTS, tmp_path)


def test_bench_tagging_ratio_is_taken_over_the_strongest_other_score():
    train, val = toy_split(400, seed=7), toy_split(100, seed=8)
    row = {"set": "toy", "n": len(val), "metric": "macro_f1", "target_test": 78.0, "published_test": {"FastText": 73.4},
           "veille": 90.0, "veille_f1_yes": 99.0, "rules-v1": 50.0, "rules-v1_f1_yes": 99.5}
    row = with_fasttext_and_ratio(row, "veille", train, val, macro_f1, grid=[{"epoch": 25, "lr": 0.5, "wordNgrams": 1}])
    assert row["fasttext_tuned_on_validation"] == 100.0
    assert row["strongest_baseline"].startswith("fasttext")
    assert row["ratio_to_strongest_baseline"] == 0.9
