"""Turn texts into the one sparse feature matrix every trained head reads.

Hashed word 1-2grams plus hashed character 2-5grams (within word boundaries), weighted by an IDF
vector fitted on the training texts. Hashing keeps the shipped model small and needs no vocabulary,
so the same features serve language detection, sentiment and every category head at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

WORD_FEATURES = 2**18
CHAR_FEATURES = 2**18

_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{3,}")


def normalise_text(text: str) -> str:
    """Lower case, URLs and @handles replaced by placeholders, long letter runs shortened ("soooooo" → "sooo")."""
    text = _URL.sub(" http ", text)
    text = _USER.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    return text.lower()


class Featurizer:
    """Hashed word + char n-grams with a fitted IDF; ``transform`` is stateless apart from the IDF."""

    def __init__(self, word_features: int = WORD_FEATURES, char_features: int = CHAR_FEATURES) -> None:
        self.word_features, self.char_features = word_features, char_features
        self.words = HashingVectorizer(
            n_features=word_features, analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[!?]",
            alternate_sign=False, norm=None, lowercase=False,
        )
        self.chars = HashingVectorizer(
            n_features=char_features, analyzer="char_wb", ngram_range=(2, 5),
            alternate_sign=False, norm=None, lowercase=False,
        )
        self.idf = TfidfTransformer(sublinear_tf=True)

    @property
    def n_features(self) -> int:
        return self.word_features + self.char_features

    def _counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        clean = [normalise_text(t) for t in texts]
        return sparse.hstack([self.words.transform(clean), self.chars.transform(clean)], format="csr")

    def fit(self, texts: Iterable[str]) -> Featurizer:
        self.idf.fit(self._counts(list(texts)))
        self.idf.idf_ = self.idf.idf_.astype(np.float32)
        return self

    def set_idf(self, idf: np.ndarray) -> None:
        """Use a saved IDF vector (what :meth:`fit` would have learnt)."""
        self.idf.idf_ = idf.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.idf.transform(self._counts(texts)).astype(np.float32)
