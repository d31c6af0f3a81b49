"""Lexicon patterns catch the project's own bilingual examples, stay quiet on ordinary posts, and are per brand."""

from pathlib import Path

import pytest
import yaml

from pipeline.tagging.lexicons import LexiconError, Lexicons, load_lexicons

EXAMPLES = yaml.safe_load((Path(__file__).resolve().parents[2] / "pipeline" / "tagging" / "examples.yaml").read_text())
CASES = [(category, lang, text) for category, by_lang in EXAMPLES.items() if category != "none"
         for lang, texts in by_lang.items() for text in texts]
NONE_CASES = [(lang, text) for lang, texts in EXAMPLES["none"].items() for text in texts]


@pytest.fixture(scope="module")
def lexicons():
    return load_lexicons()


@pytest.mark.parametrize(("category", "lang", "text"), CASES)
def test_tagging_lexicons_catch_project_examples(lexicons, category, lang, text):
    assert category in lexicons.match(text, lang)


@pytest.mark.parametrize(("lang", "text"), NONE_CASES)
def test_tagging_lexicons_quiet_on_ordinary_posts(lexicons, lang, text):
    assert lexicons.match(text, lang) == {}


def test_tagging_lexicons_report_evidence(lexicons):
    found = lexicons.match("Selling replica sneakers today", "en")
    assert found["counterfeit"].lower() == "replica"


def test_tagging_lexicons_brand_patterns_apply_only_to_that_brand(tmp_path):
    override = tmp_path / "acme.yaml"
    override.write_text("brands:\n  Acme:\n    counterfeit:\n      any: ['acme outlet']\n")
    lexicons = load_lexicons(override)
    text = "Huge sale at the acme outlet store"
    assert "counterfeit" in lexicons.match(text, "en", watch=("acme",))
    assert "counterfeit" not in lexicons.match(text, "en", watch=("globex",))


def test_tagging_lexicons_override_extends_lists(tmp_path):
    override = tmp_path / "extra.yaml"
    override.write_text("categories:\n  counterfeit:\n    fr: ['dupe']\n")
    lexicons = load_lexicons(override)
    assert "counterfeit" in lexicons.match("un dupe du parfum", "fr")
    assert "counterfeit" in lexicons.match("Attention aux contrefaçons", "fr")


def test_tagging_lexicons_bad_pattern_names_its_place():
    with pytest.raises(LexiconError, match="categories.review.en"):
        Lexicons.from_dict({"categories": {"review": {"en": ["(unclosed"]}}})


def test_tagging_lexicons_unknown_category_rejected():
    with pytest.raises(LexiconError, match="spam"):
        Lexicons.from_dict({"categories": {"spam": {"en": ["buy now"]}}})
