"""The representation distilled from multilingual USE: a French sentence lands near its English translation."""

from importlib.util import find_spec

import numpy as np
import pytest

from pipeline.tagging import embeddings
from pipeline.tagging.embeddings import EMBEDDING_DIM, USE_STATIC_NAME, USE_STATIC_TABLE, UseStaticEmbeddings

needs_table = pytest.mark.skipif(not USE_STATIC_TABLE.is_file() or find_spec("tokenizers") is None,
                                 reason=f"no distilled table at {USE_STATIC_TABLE} (tools/distil_static_table.py)")

FRENCH = ["Ma commande n'est jamais arrivée, remboursez-moi.",
          "Merci pour la livraison rapide, je suis ravie !",
          "L'application plante dès que j'ouvre mon compte.",
          "Mon train a encore deux heures de retard.",
          "J'adore le nouveau parfum, il sent vraiment bon."]
ENGLISH = ["My order never arrived, refund me.",
           "Thanks for the fast delivery, I'm delighted!",
           "The app crashes as soon as I open my account.",
           "My train is two hours late again.",
           "I love the new perfume, it smells really good."]


@pytest.fixture
def restore_selection():
    before = embeddings.selected_representation()
    yield
    embeddings.select_representation(before)


@needs_table
def test_embeddings_multilingual_translation_is_the_nearest_english_sentence():
    model = embeddings.load_representation(USE_STATIC_NAME)
    fr, en = model.embed(FRENCH), model.embed(ENGLISH)
    assert fr.shape == (5, EMBEDDING_DIM)
    assert np.allclose(np.linalg.norm(fr, axis=1), 1.0, atol=1e-5)
    similarity = fr @ en.T
    assert list(similarity.argmax(axis=1)) == list(range(5))
    unrelated = similarity[~np.eye(5, dtype=bool)]
    assert np.diag(similarity).mean() > unrelated.mean() + 0.2


@needs_table
def test_embeddings_multilingual_empty_text_gives_a_zero_row():
    rows = embeddings.load_representation(USE_STATIC_NAME).embed(["", "   ", "colis"])
    assert not rows[0].any() and not rows[1].any() and rows[2].any()


@needs_table
def test_embeddings_multilingual_selection_changes_what_the_featurizer_reads(restore_selection):
    embeddings.select_representation(USE_STATIC_NAME)
    assert isinstance(embeddings.static_embeddings(), UseStaticEmbeddings)


def test_embeddings_multilingual_unknown_representation_is_refused(restore_selection):
    with pytest.raises(ValueError, match="unknown representation"):
        embeddings.select_representation("glove")
    assert embeddings.selected_representation() in embeddings.REPRESENTATIONS


def test_embeddings_multilingual_missing_table_names_the_tool_that_makes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="distil_static_table"):
        UseStaticEmbeddings.load(tmp_path / "absent.npz")
