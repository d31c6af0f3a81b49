"""Turn texts into the one sparse feature matrix every trained head reads.

Hashed word 1-2grams plus hashed character 2-5grams (within word boundaries), weighted by an IDF
vector fitted on the training texts, plus a few polarity-lexicon columns (VADER's English lexicon and
Pattern's French adjective lexicon, both shipped by their PyPI packages), plus the profanity probability
of alt-profanity-check (a linear SVM trained on ~200k toxic comments, shipped by its PyPI package): that
outside evidence lifted the troll head on OLID validation from 73.2 to 76.4 macro-F1 for 0.03 ms a text.
Hashing keeps the shipped model small and needs no vocabulary, so the same features serve every head at once.
"""

from __future__ import annotations

import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

from pipeline.tagging.embeddings import EMBEDDING_DIM, static_embeddings

WORD_FEATURES = 2**18
CHAR_FEATURES = 2**18

_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{3,}")


def normalise_text(text: str, fold_accents: bool = False) -> str:
    """Lower case, URLs and @handles replaced by placeholders, long letter runs shortened ("soooooo" → "sooo");
    with ``fold_accents``, Latin accents dropped too, as a quarter of French posts are typed without them
    ("colis marqué livré mais jamais reçu" and "colis marque livre mais jamais recu" then read the same)."""
    text = _URL.sub(" http ", text)
    text = _USER.sub(" @user ", text)
    text = _REPEAT.sub(r"\1\1\1", text)
    if fold_accents:
        text = fold_latin_accents(text)
    return text.lower()


_LATIN_ACCENTS = re.compile("(?<=[A-Za-z])[\u0300-\u036f]+")


def fold_latin_accents(text: str) -> str:
    """Drop the combining accents of Latin letters ("é" → "e", "ç" → "c"); other scripts are left as they are."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _LATIN_ACCENTS.sub("", unicodedata.normalize("NFD", text)))


NEGATORS = frozenset(
    ["not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot", "can't", "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "won't", "wouldn't", "shouldn't", "couldn't", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "wont", "ne", "n'", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "personne"]
)
_STRIP = ".,;:!?\"'()[]{}…«»“”"


def _package_file(package: str, name: str) -> Path:
    """A data file shipped inside an installed package, found without importing the package
    (importing textblob_fr would pull in textblob and NLTK for nothing)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed: pip install {package}")
    return Path(next(iter(spec.submodule_search_locations))) / name


@lru_cache(maxsize=1)
def polarity_lexicons() -> tuple[dict[str, float], dict[str, float]]:
    """(English word → valence in -1..1 from VADER, French adjective → polarity in -1..1 from Pattern)."""
    english = {}
    with _package_file("vaderSentiment", "vader_lexicon.txt").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split("\t")
            if len(parts) >= 2:
                english[parts[0].lower()] = float(parts[1]) / 4.0
    french = {}
    root = ET.fromstring(_package_file("textblob_fr", "fr-sentiment.xml").read_bytes())
    for word in root.iter("word"):
        polarity = float(word.get("polarity", 0))
        if polarity:
            french.setdefault(word.get("form", "").lower(), polarity)
    return english, french


def lexicon_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Per text and lexicon: positive and negative mass (a negator in the 3 previous words flips a word),
    their tanh, whether any word hit; plus the number of '!'. 11 columns."""
    english, french = polarity_lexicons()
    rows = np.zeros((len(texts), 11), dtype=np.float32)
    for i, text in enumerate(texts):
        words = [w.strip(_STRIP) for w in text.lower().split()]
        for offset, lexicon in ((0, english), (5, french)):
            positive = negative = 0.0
            hits = 0
            for j, word in enumerate(words):
                value = lexicon.get(word)
                if value is None:
                    continue
                if any(w in NEGATORS for w in words[max(0, j - 3): j]):
                    value = -0.74 * value
                if value > 0:
                    positive += value
                else:
                    negative -= value
                hits += 1
            rows[i, offset: offset + 5] = (positive, negative, math.tanh(positive), math.tanh(negative), hits > 0)
        rows[i, 10] = min(text.count("!"), 5) / 3.0
    return sparse.csr_matrix(rows)


class SigmoidCalibratedLinear:
    """The probabilities of a fitted ``CalibratedClassifierCV(method="sigmoid")`` over binary linear models, as
    one sparse-dense product: each fold's ``expit(-(a * (x·w + c) + b))``, averaged over the folds.

    sklearn's ``predict_proba`` validates its input and walks the folds one by one, about 1.5 ms a call
    whatever the batch: with small batches (a quiet stream) that was most of the tag stage's time.
    """

    def __init__(self, model) -> None:
        folds = model.calibrated_classifiers_
        if model.method != "sigmoid" or list(model.classes_) != [0, 1] or any(
                len(fold.calibrators) != 1 or getattr(fold.estimator, "coef_", np.empty(0)).shape[:1] != (1,)
                for fold in folds):
            raise ValueError("expected a sigmoid-calibrated binary linear model")
        self.weights = np.ascontiguousarray(np.vstack([fold.estimator.coef_[0] for fold in folds]).T)
        self.intercepts = np.array([fold.estimator.intercept_[0] for fold in folds])
        self.slopes = np.array([fold.calibrators[0].a_ for fold in folds], dtype=np.float64)
        self.offsets = np.array([fold.calibrators[0].b_ for fold in folds], dtype=np.float64)

    def positive_probability(self, X) -> np.ndarray:
        decisions = np.asarray(X @ self.weights) + self.intercepts
        return (1.0 / (1.0 + np.exp(self.slopes * decisions + self.offsets))).mean(axis=1)


@lru_cache(maxsize=1)
def _profanity_model():
    """alt-profanity-check's vectorizer and model (joblib files inside the package, loaded at import)."""
    try:
        from profanity_check import profanity_check
    except ImportError as exc:
        raise ModuleNotFoundError("alt-profanity-check is not installed: pip install alt-profanity-check") from exc
    return profanity_check.vectorizer, SigmoidCalibratedLinear(profanity_check.model)


def profanity_features(texts: Sequence[str]) -> np.ndarray:
    """P(profane) per text from alt-profanity-check, as one column."""
    vectorizer, model = _profanity_model()
    return model.positive_probability(vectorizer.transform(texts))[:, None].astype(np.float32)


LEXICON_FEATURES = 12  # 11 polarity-lexicon columns + 1 profanity column
# Categories of the shipped lexicons (pipeline/tagging/lexicons.yaml) whose patterns are evidence columns: 1 where any
# of the category's patterns, in any language, occurs. The heads learn how far to trust each one, so a pattern such as
# "remboursement" no longer makes a question a complaint by itself.
EVIDENCE_CATEGORIES = ("complaint", "counterfeit", "copyright", "legal_violation", "review", "false_information")


@lru_cache(maxsize=1)
def _evidence_patterns() -> tuple[re.Pattern[str] | None, ...]:
    """Per evidence category, one regex: the shipped patterns of every language joined."""
    from pipeline.tagging.lexicons import load_lexicons, union

    shipped = load_lexicons().categories
    return tuple(_for_lower_case_text(_without_captures(union(shipped.get(category, {}).values())))
                 for category in EVIDENCE_CATEGORIES)


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _without_captures(pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
    """The same regex with its capturing groups made non-capturing: an evidence column only asks whether it
    matches, and Python's re spends most of a long alternation's time saving group positions (the
    legal-violation union of 45 patterns: 112 -> 45 us per text). Escaped parentheses, parentheses inside a
    character class and groups that are already special are kept; a pattern with a back-reference is left as it is."""
    if pattern is None or _BACKREFERENCE.search(pattern.pattern):
        return pattern
    source, out, i, in_class = pattern.pattern, [], 0, False
    while i < len(source):
        char = source[i]
        if char == "\\":
            out.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            opening = "[^]" if source.startswith("^]", i + 1) else "[]" if source.startswith("]", i + 1) else "["
            out.append(opening)  # a ] just after [ or [^ is a literal, not the end of the class
            i += len(opening)
            continue
        elif char == "(" and not source.startswith("?", i + 1):
            out.append("(?:")
            i += 1
            continue
        out.append(char)
        i += 1
    return re.compile("".join(out), pattern.flags)


_UPPER_CASE_LITERAL = re.compile(r"(?<!\\)[A-Z]")


def _for_lower_case_text(pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
    """The same case-insensitive regex, to run on lower-cased text: without IGNORECASE it scans a third faster
    (Python's re folds case at every position). A pattern with an upper-case literal keeps the flag."""
    if pattern is None or _UPPER_CASE_LITERAL.search(pattern.pattern):
        return pattern
    return re.compile(pattern.pattern)


def evidence_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """One 0/1 column per :data:`EVIDENCE_CATEGORIES` entry: does any shipped pattern of that category occur."""
    patterns = _evidence_patterns()
    rows = np.zeros((len(texts), len(patterns)), dtype=np.float32)
    for i, text in enumerate(texts):
        lowered = text.lower()
        for j, pattern in enumerate(patterns):
            if pattern is not None and pattern.search(lowered):
                rows[i, j] = 1.0
    return sparse.csr_matrix(rows)


class CharNgramsByWord:
    """What ``vectorizer`` (a ``HashingVectorizer`` with ``analyzer="char_wb"``) gives, computed word by word.

    A text's char_wb n-grams are those of each of its whitespace-separated words, padded with a space on
    each side, so a word's hashed n-grams can be kept and reused: in a stream of mentions, most words have
    been seen before. Words not seen yet are hashed together by ``vectorizer`` itself, so the result is the
    same matrix (a test checks it on arbitrary text). Building and hashing n-grams took a third of the tag
    stage's time; per text, 91 µs with sklearn alone, 16 µs by word on validation tweets seen once before
    (58 µs the first time), and the tag stage went from ~3,100 to ~4,200 mentions/s on the sample stream.
    """

    def __init__(self, vectorizer: HashingVectorizer, max_words: int = 100_000) -> None:
        if vectorizer.analyzer != "char_wb":
            raise ValueError(f"CharNgramsByWord needs a char_wb vectorizer, not {vectorizer.analyzer!r}")
        self.vectorizer, self.max_words = vectorizer, max_words
        self._columns: dict[str, np.ndarray] = {}

    def _learn(self, words: list[str], columns: dict[str, np.ndarray]) -> None:
        hashed = self.vectorizer.transform(words)
        counts = hashed.data.astype(np.int64)
        for row, word in enumerate(words):
            start, end = hashed.indptr[row], hashed.indptr[row + 1]
            columns[word] = np.repeat(hashed.indices[start:end], counts[start:end])

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        split = [text.split() for text in texts]
        columns = self._columns  # a batch keeps the dict it started with: threads may tag at the same time
        unseen = [word for word in dict.fromkeys(word for words in split for word in words) if word not in columns]
        if unseen:
            if len(columns) + len(unseen) > self.max_words:  # start afresh, with this batch's words
                columns = self._columns = {}
                unseen = list(dict.fromkeys(word for words in split for word in words))
            self._learn(unseen, columns)
        parts = [columns[word] for words in split for word in words]
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([sum(len(columns[word]) for word in words) for words in split], out=indptr[1:])
        indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        matrix = sparse.csr_matrix((np.ones(len(indices), dtype=self.vectorizer.dtype), indices, indptr),
                                   shape=(len(texts), self.vectorizer.n_features))
        matrix.sum_duplicates()
        return matrix


class Featurizer:
    """Hashed word + char n-grams with a fitted IDF; what ``transform`` gives depends only on the IDF (its
    per-word cache saves time, nothing else)."""

    def __init__(self, word_features: int = WORD_FEATURES, char_features: int = CHAR_FEATURES,
                 embedding_scale: float = 0.0, evidence: bool = False, fold_accents: bool = False) -> None:
        self.word_features, self.char_features = word_features, char_features
        # > 0: the pretrained static sentence embedding (pipeline.tagging.embeddings), times this scale, as extra columns
        self.embedding_scale = embedding_scale
        self.evidence = evidence  # the lexicon evidence columns (evidence_features)
        self.fold_accents = fold_accents  # n-grams read text without Latin accents (normalise_text)
        self.words = HashingVectorizer(
            n_features=word_features, analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[!?]",
            alternate_sign=False, norm=None, lowercase=False,
        )
        self.chars = HashingVectorizer(
            n_features=char_features, analyzer="char_wb", ngram_range=(2, 5),
            alternate_sign=False, norm=None, lowercase=False,
        )
        self.char_ngrams = CharNgramsByWord(self.chars)
        self.idf = TfidfTransformer(sublinear_tf=True)

    @property
    def embedding_features(self) -> int:
        return EMBEDDING_DIM if self.embedding_scale else 0

    @property
    def n_features(self) -> int:
        return (self.word_features + self.char_features + LEXICON_FEATURES + self.embedding_features
                + (len(EVIDENCE_CATEGORIES) if self.evidence else 0))

    def _counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        clean = [normalise_text(t, self.fold_accents) for t in texts]
        return sparse.hstack([self.words.transform(clean), self.char_ngrams.transform(clean)], format="csr")

    def _with_lexicons(self, weighted: sparse.csr_matrix, texts: Sequence[str]) -> sparse.csr_matrix:
        blocks = [weighted, lexicon_features(texts), sparse.csr_matrix(profanity_features(texts))]
        if self.evidence:
            blocks.append(evidence_features(texts))
        if self.embedding_scale:
            blocks.append(sparse.csr_matrix(self.embedding_scale * static_embeddings().embed(texts)))
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def fit(self, texts: Iterable[str]) -> Featurizer:
        self.idf.fit(self._counts(list(texts)))
        self.idf.idf_ = self.idf.idf_.astype(np.float32)
        return self

    def set_idf(self, idf: np.ndarray) -> None:
        """Use a saved IDF vector (what :meth:`fit` would have learnt)."""
        self.idf.idf_ = idf.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self._with_lexicons(self.idf.transform(self._counts(texts)), texts)
