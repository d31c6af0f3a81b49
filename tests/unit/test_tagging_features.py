"""The shared features: text normalisation, hashed n-grams with IDF, and the polarity-lexicon columns."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tagging.features import (
    LEXICON_FEATURES,
    CharNgramsByWord,
    SigmoidCalibratedLinear,
    Featurizer,
    lexicon_features,
    normalise_text,
    profanity_features,
)


def test_tagging_features_normalise_placeholders_and_runs():
    assert normalise_text("@Acme LOVE it soooooo much https://t.co/x") == " @user  love it sooo much  http "


def test_tagging_features_fold_accents_reads_unaccented_french_alike():
    assert normalise_text("Colis marqué livré, jamais reçu", fold_accents=True) == "colis marque livre, jamais recu"
    assert normalise_text("Ça coûte où ?", fold_accents=True) == "ca coute ou ?"
    assert normalise_text("Colis marqué livré") == "colis marqué livré"  # off unless the featurizer asks
    assert normalise_text("Мой ёж, مرحبا, 你好 🙃", fold_accents=True) == "мой ёж, مرحبا, 你好 🙃"


@pytest.mark.parametrize(("text", "column"), [
    ("I love this, great job", 0),  # English positive mass
    ("this is awful and useless", 1),  # English negative mass
    ("un produit excellent et magnifique", 5),  # French positive mass
    ("un service lamentable", 6),  # French negative mass
])
def test_tagging_features_lexicon_columns_follow_polarity(text, column):
    row = lexicon_features([text]).toarray()[0]
    assert row[column] > 0
    assert row[column + 1 if column in (0, 5) else column - 1] == 0


def test_tagging_features_negation_flips_polarity():
    plain, negated = lexicon_features(["this is good", "this is not good"]).toarray()
    assert plain[0] > 0 and plain[1] == 0
    assert negated[0] == 0 and negated[1] > 0


def test_tagging_features_shape_and_idf_roundtrip():
    texts = ["first text here", "second text", "troisième texte ici"]
    featurizer = Featurizer(2**10, 2**10).fit(texts)
    X = featurizer.transform(texts)
    assert X.shape == (3, 2**11 + LEXICON_FEATURES) == (3, featurizer.n_features)
    assert X.dtype == np.float32
    copy = Featurizer(2**10, 2**10)
    copy.set_idf(featurizer.idf.idf_)
    assert np.allclose(copy.transform(texts).toarray(), X.toarray())


def test_tagging_features_profanity_column_separates_abuse_from_plain_text():
    abusive, plain = profanity_features(["you are a fucking idiot", "have a nice day"])[:, 0]
    assert abusive > 0.9 and plain < 0.2


def test_tagging_features_profanity_is_the_last_column():
    texts = ["shut up you stupid bitch", "nice weather today"]
    X = Featurizer(2**10, 2**10).fit(texts).transform(texts).toarray()
    assert np.allclose(X[:, -1], profanity_features(texts)[:, 0])



def _joined(words: list[str]) -> str:
    return "  \t".join(words) if len(words) % 2 else " ".join(words)  # runs of whitespace, too


_texts = st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=8).map(_joined),
                  min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(_texts, min_size=1, max_size=4))
def test_tagging_features_char_ngrams_by_word_equal_sklearns_char_wb(batches):
    vectorizer = Featurizer(2**10, 2**12).chars
    by_word = CharNgramsByWord(vectorizer, max_words=20)  # small, so that it also starts afresh
    for texts in batches:
        expected, got = vectorizer.transform(texts), by_word.transform(texts)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)


def test_tagging_features_profanity_probabilities_equal_sklearns_calibrated_model():
    from profanity_check import profanity_check

    texts = ["you are a fucking idiot", "have a nice day", "", "shut up", "Mon colis n'est jamais arrivé", "s**t"]
    X = profanity_check.vectorizer.transform(texts)
    expected = profanity_check.model.predict_proba(X)[:, 1]
    assert np.allclose(SigmoidCalibratedLinear(profanity_check.model).positive_probability(X), expected, rtol=0, atol=1e-12)
    assert np.allclose(profanity_features(texts)[:, 0], expected, atol=1e-6)


def test_tagging_features_sigmoid_calibrated_linear_refuses_other_models():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 2
    isotonic = CalibratedClassifierCV(LogisticRegression(), method="isotonic", cv=3).fit(X, y)
    with pytest.raises(ValueError, match="sigmoid"):
        SigmoidCalibratedLinear(isotonic)
    sigmoid = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=3).fit(X, y)
    assert np.allclose(SigmoidCalibratedLinear(sigmoid).positive_probability(X), sigmoid.predict_proba(X)[:, 1], atol=1e-12)



class _PausingVectorizer:
    """A real vectorizer whose second call waits, inside, until ``resume`` is set."""

    def __init__(self, real):
        self.real, self.analyzer, self.dtype, self.n_features = real, real.analyzer, real.dtype, real.n_features
        self.calls, self.inside, self.resume = 0, threading.Event(), threading.Event()

    def transform(self, words):
        self.calls += 1
        if self.calls == 2:
            self.inside.set()
            self.resume.wait(10)
        return self.real.transform(words)


def test_tagging_features_char_ngrams_by_word_while_another_thread_starts_afresh():
    vectorizer = _PausingVectorizer(Featurizer(2**10, 2**12).chars)
    by_word = CharNgramsByWord(vectorizer, max_words=3)
    by_word.transform(["seen"])
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(by_word.transform, ["seen new"])  # pauses while learning "new"
        assert vectorizer.inside.wait(10)
        second = by_word.transform(["b1 b2 b3"])  # more than 3 words: starts afresh meanwhile
        vectorizer.resume.set()
        assert (first.result(10) != vectorizer.real.transform(["seen new"])).nnz == 0
    assert (second != vectorizer.real.transform(["b1 b2 b3"])).nnz == 0


def test_tagging_features_evidence_columns_mark_lexicon_categories():
    from pipeline.tagging.features import EVIDENCE_CATEGORIES, evidence_features

    rows = evidence_features(["Répliques parfaites à -80%, MP pour commander", "Quelle belle journée"]).toarray()
    assert rows[0, EVIDENCE_CATEGORIES.index("counterfeit")] == 1.0
    assert rows[1].sum() == 0.0


def test_tagging_features_evidence_on_lower_cased_text_matches_the_case_insensitive_patterns():
    from pipeline.tagging.datasets import brand_mentions
    from pipeline.tagging.features import EVIDENCE_CATEGORIES, evidence_features
    from pipeline.tagging.lexicons import load_lexicons, union

    train, validation = brand_mentions()
    texts = [m.text for m in train[:1500] + validation[:500]]
    texts += [t.upper() for t in texts[:300]] + ["ICI SON NUMÉRO PERSO : 06 12 34 56 78", "RÉPLIQUES 1:1 EN MP"]
    shipped = load_lexicons().categories
    case_insensitive = [union(shipped.get(category, {}).values()) for category in EVIDENCE_CATEGORIES]
    expected = [[1.0 if p is not None and p.search(t) else 0.0 for p in case_insensitive] for t in texts]
    got = evidence_features(texts).toarray()
    assert got.tolist() == expected
    assert got.sum() > 100  # the texts do exercise the patterns


@pytest.mark.parametrize(("source", "expected"), [
    (r"(a|b)\(x\)[(]c", r"(?:a|b)\(x\)[(]c"),  # escaped and bracketed parentheses stay literal
    (r"[]()](d)", r"[]()](?:d)"),  # a ] first in a class does not close it
    (r"[^]()](e)(?:f)(?P<n>g)(?=h)", r"[^]()](?:e)(?:f)(?P<n>g)(?=h)"),  # special groups are kept
    (r"[\]()](k)", r"[\]()](?:k)"),
    (r"(a)\1", r"(a)\1"),  # a back-reference needs its group: left as it is
    (r"(?P<x>a)(?P=x)", r"(?P<x>a)(?P=x)"),
])
def test_tagging_features_evidence_patterns_drop_captures_and_nothing_else(source, expected):
    import re

    from pipeline.tagging.features import _without_captures

    assert _without_captures(re.compile(source)).pattern == expected


def test_tagging_features_embedding_and_evidence_blocks_come_after_the_lexicons():
    from pipeline.tagging.embeddings import EMBEDDING_DIM, static_embeddings
    from pipeline.tagging.features import EVIDENCE_CATEGORIES

    texts = ["Toujours pas reçu ma commande", "nice weather today"]
    plain = Featurizer(2**10, 2**10).fit(texts)
    both = Featurizer(2**10, 2**10, embedding_scale=2.0, evidence=True).fit(texts)
    assert both.n_features == plain.n_features + len(EVIDENCE_CATEGORIES) + EMBEDDING_DIM
    X = both.transform(texts).toarray()
    assert X.shape == (2, both.n_features)
    assert np.allclose(X[:, -EMBEDDING_DIM:], 2.0 * static_embeddings().embed(texts), atol=1e-6)
    assert np.allclose(X[:, :plain.n_features], plain.transform(texts).toarray())


def test_tagging_embeddings_are_unit_vectors_that_place_paraphrases_closer():
    from pipeline.tagging.embeddings import static_embeddings

    refund, refund_again, flowers, empty = static_embeddings().embed(
        ["Still haven't received my order, refund me!", "What is the refund delay?", "Thanks for the beautiful flowers", ""])
    assert np.isclose(np.linalg.norm(refund), 1.0, atol=1e-5) and not empty.any()
    assert refund @ refund_again > refund @ flowers + 0.2
