"""FastText, the peer TweetEval and XLM-T publish for our test targets, trained and scored in the same run as Veille.

The published FastText figures (OLID 73.4, TweetEval sentiment 62.9, DEFT 54.8) are on the held-back test splits,
which we never read. Training the same kind of model on the same training split and scoring it on the same
validation split as Veille gives a like-for-like ratio, and shows how far the validation split sits from the
test split for a known model.

Two figures per task: the library's defaults, and the best of a small grid chosen on the validation split itself
(optimistic, as Veille's tuned thresholds are). Text is lower-cased and split into words, @mentions, #tags, URLs
and single punctuation marks, because fastText itself only splits on whitespace (measured on OLID validation:
defaults 66.7 on lower-cased raw text, 68.0 tokenised; best grid point 68.3 raw, 71.1 tokenised).
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TOKEN = re.compile(r"@\w+|#\w+|https?://\S+|\w+(?:'\w+)?|[^\w\s]", re.UNICODE)
LABEL_PREFIX = "__label__"
DEFAULTS = {"epoch": 5, "lr": 0.1, "wordNgrams": 1}
GRID = [{"epoch": epoch, "lr": lr, "wordNgrams": word_ngrams}
        for epoch, lr, word_ngrams in itertools.product((5, 25), (0.1, 0.5), (1, 2))]
SEED = 1


def fasttext_line(text: str) -> str:
    return " ".join(TOKEN.findall(text.lower()))


def train(texts: Sequence[str], labels: Sequence[str], params: dict, workdir: Path):
    import fasttext

    if len(texts) != len(labels) or not texts:
        raise ValueError(f"fastText needs as many labels as texts, and at least one: {len(texts)} texts, {len(labels)} labels")
    path = workdir / "train.txt"
    with path.open("w", encoding="utf-8") as handle:
        for text, label in zip(texts, labels):
            if not label or any(c.isspace() for c in label):
                raise ValueError(f"fastText labels cannot be empty or contain whitespace: {label!r}")
            handle.write(f"{LABEL_PREFIX}{label} {fasttext_line(text)}\n")
    # One thread and a fixed seed: fastText's hogwild training is only reproducible single-threaded.
    return fasttext.train_supervised(str(path), seed=SEED, thread=1, verbose=0, **params)


def predict(model, texts: Sequence[str]) -> list[str]:
    # Top-1 only: fasttext-wheel 0.9.2's batch predict repeats the first probability when asked for k > 1.
    labels, _ = model.predict([fasttext_line(text) for text in texts])
    return [row[0].removeprefix(LABEL_PREFIX) if row else "" for row in labels]


@dataclass(frozen=True)
class PeerScores:
    defaults: float
    best_of_grid: float
    best_params: dict

    def as_row(self) -> dict:
        return {"fasttext_defaults": self.defaults, "fasttext_tuned_on_validation": self.best_of_grid,
                "fasttext_tuned_params": self.best_params}


def score_peer(train_texts: Sequence[str], train_labels: Sequence[str], val_texts: Sequence[str],
               val_labels: Sequence[str], metric: Callable[[Sequence[str], Sequence[str]], float],
               grid: Sequence[dict] = GRID) -> PeerScores:
    """Train fastText with its defaults and with every grid point; score each on the validation split (×100)."""
    scores: dict[tuple, float] = {}
    with tempfile.TemporaryDirectory(prefix="veille-fasttext-") as workdir:
        for params in [DEFAULTS, *grid]:
            key = tuple(sorted(params.items()))
            if key not in scores:
                model = train(train_texts, train_labels, params, Path(workdir))
                scores[key] = round(100 * metric(val_labels, predict(model, val_texts)), 1)
    best_key = max((tuple(sorted(p.items())) for p in grid), key=lambda k: scores[k])
    return PeerScores(defaults=scores[tuple(sorted(DEFAULTS.items()))], best_of_grid=scores[best_key],
                      best_params=dict(best_key))


def share_tagged(train_texts: Sequence[str], train_labels: Sequence[str], params: dict, texts: Sequence[str],
                 label: str = "yes") -> float:
    """Percent of `texts` a fastText model trained with `params` gives `label` (its false alarms on ordinary text)."""
    with tempfile.TemporaryDirectory(prefix="veille-fasttext-") as workdir:
        predicted = predict(train(train_texts, train_labels, params, Path(workdir)), texts)
    return round(100 * predicted.count(label) / len(texts), 1) if texts else 0.0
