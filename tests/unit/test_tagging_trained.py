"""The trained tagger honours the Tagger contract, applies lexicons and the playbook, and falls back to rules."""

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import pipeline.settings
import pipeline.tagging
import pipeline.tagging.lexicons
from pipeline.mention import CATEGORIES
from pipeline.tagging import TagInput
from pipeline.tagging.bundle import model_paths
from pipeline.tagging.features import Featurizer
from pipeline.tagging.rules import RuleTagger
from pipeline.tagging.trained import TrainedTagger, resolve_language
from pipeline.tagging.training import train_bundle

sys.path.insert(0, str(Path(__file__).parent))
from test_train_bundle import tiny_heads

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def tagger():
    return TrainedTagger(train_bundle(tiny_heads(), featurizer=Featurizer(2**12, 2**12)))


def item(text: str, **kwargs) -> TagInput:
    return TagInput(text=text, platform=kwargs.pop("platform", "twitter"), created_at=CREATED, **kwargs)


TEXTS = [
    "love great awesome thanks", "hate awful broken terrible", "store opens monday",
    "adore génial parfait merci", "nul horrible cassé pire", "der die das und ist nicht",
    "store opens monday refund waiting", "store opens monday idiot moron", "DM me for order, 1:1 quality replica bags",
]


def test_tagging_trained_returns_one_valid_tags_per_input_in_order(tagger):
    tags = tagger.tag_batch([item(t) for t in TEXTS])
    assert len(tags) == len(TEXTS)
    for t in tags:
        assert t.categories and set(t.categories) <= set(CATEGORIES)
        assert len(set(t.categories)) == len(t.categories)
        assert "neutral" not in t.categories or t.categories == ["neutral"]
        assert -1.0 <= t.sentiment_score <= 1.0
        assert t.sentiment in ("negative", "neutral", "positive")
        assert set(t.scores) <= set(CATEGORIES)
        assert all(0.0 <= v <= 1.0 for v in t.scores.values())
        assert t.action and t.priority


def test_tagging_trained_batch_equals_one_by_one(tagger):
    batch = tagger.tag_batch([item(t) for t in TEXTS])
    single = [tagger.tag_batch([item(t)])[0] for t in TEXTS]
    assert batch == single


def test_tagging_trained_sentiment_and_language(tagger):
    positive, negative, fr_negative = tagger.tag_batch([item(TEXTS[0]), item(TEXTS[1]), item(TEXTS[4])])
    assert (positive.lang, positive.sentiment) == ("en", "positive") and positive.sentiment_score > 0
    assert "positive" in positive.categories
    assert (negative.lang, negative.sentiment) == ("en", "negative") and negative.sentiment_score < 0
    assert (fr_negative.lang, fr_negative.sentiment) == ("fr", "negative")


def test_tagging_trained_other_language_left_neutral(tagger):
    (tags,) = tagger.tag_batch([item("der die das und ist nicht mit auf", lang="de")])
    assert tags.lang == "de"
    assert (tags.sentiment, tags.sentiment_score, tags.categories) == ("neutral", 0.0, ["neutral"])
    assert tags.reply_by is None


def test_tagging_trained_complaint_gets_playbook_deadline(tagger):
    (tags,) = tagger.tag_batch([item("store opens monday refund waiting refund", platform="forum")])
    assert "complaint" in tags.categories
    assert tags.scores["complaint"] >= tagger.threshold("complaint")
    plan = tagger.playbook.plan(tags.categories, "forum", CREATED)
    assert (tags.action, tags.priority, tags.reply_by) == (plan.action, plan.priority, plan.reply_by)
    assert tags.reply_by - CREATED <= timedelta(hours=1)


def test_tagging_trained_lexicon_category_scored_one(tagger):
    (tags,) = tagger.tag_batch([item(TEXTS[-1])])
    assert "counterfeit" in tags.categories and tags.scores["counterfeit"] == 1.0
    assert tags.action == "contact the author"


def test_tagging_trained_troll_decided_by_the_head_of_the_mention_language():
    tagger = TrainedTagger(train_bundle(tiny_heads(troll_per_language=True), featurizer=Featurizer(2**12, 2**12)))
    english, french, calm = tagger.tag_batch([
        item("store opens monday idiot moron idiot", lang="en"),
        item("le magasin ouvre lundi connard abruti connard", lang="fr"),
        item("le magasin ouvre lundi", lang="fr"),
    ])
    assert "troll" in english.categories and "troll" in french.categories and "troll" not in calm.categories
    assert french.scores["troll"] >= tagger.threshold("troll_fr") > 0


def test_tagging_trained_empty_batch(tagger):
    assert tagger.tag_batch([]) == []


@pytest.mark.parametrize(("probs", "declared", "expected"), [
    ([0.6, 0.3, 0.1], "fr", "fr"),  # unsure detector: the declared language wins
    ([0.95, 0.03, 0.02], "fr", "en"),  # sure detector overrides a wrong declaration
    ([0.2, 0.7, 0.1], None, "fr"),
    ([0.1, 0.1, 0.8], "es-ES", "es"),
    ([0.6, 0.3, 0.1], "und", "en"),  # "undetermined" is no hint
    ([0.3, 0.6, 0.1], "fr_CA", "fr"),
])
def test_tagging_resolve_language(probs, declared, expected):
    assert resolve_language(np.array(probs), ["en", "fr", "other"], declared, "texte") == expected


def test_tagging_get_tagger_falls_back_to_rules_without_model(monkeypatch, tmp_path, caplog):
    settings = pipeline.settings.Settings(model_dir=tmp_path)
    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    monkeypatch.setattr(pipeline.tagging, "_TAGGER", None)
    with caplog.at_level(logging.WARNING):
        tagger = pipeline.tagging.get_tagger()
    assert isinstance(tagger, RuleTagger)
    assert "veille train" in caplog.text


SHIPPED = pipeline.settings.PROJECT_ROOT / "pipeline" / "tagging" / "models"


@pytest.mark.skipif(not all(p.exists() for p in model_paths(SHIPPED)), reason="no shipped model")
def test_tagging_shipped_model_loads_and_tags_obvious_cases(monkeypatch):
    monkeypatch.setattr(pipeline.tagging, "_TAGGER", None)
    tagger = pipeline.tagging.get_tagger()
    assert isinstance(tagger, TrainedTagger)
    happy, angry, french, abusive = tagger.tag_batch([
        item("I absolutely love my new headphones, best purchase this year!"),
        item("@AcmeHelp my order never arrived and nobody answers, I want a refund"),
        item("Franchement déçu, le produit est arrivé cassé et le service client ne répond pas"),
        item("@AcmeHelp you are all f*cking idiots, shut up"),
    ])
    assert (happy.lang, happy.sentiment) == ("en", "positive")
    assert angry.sentiment == "negative" and "complaint" in angry.categories
    assert french.lang == "fr" and french.sentiment == "negative" and "complaint" in french.categories
    assert "troll" in abusive.categories and "troll" not in happy.categories


def test_tagging_trained_a_head_decides_its_category_and_brand_patterns_still_apply():
    import random

    from pipeline.tagging.lexicons import Lexicons
    from pipeline.tagging.training import HeadData
    from test_train_bundle import binary_split

    heads = tiny_heads()
    head = HeadData("counterfeit", ("no", "yes"))
    head.extend(binary_split(random.Random(3), ["zzreplica", "zzknockoff"]))
    head.validation = {"val": binary_split(random.Random(4), ["zzreplica", "zzknockoff"], 20)}
    heads["counterfeit"] = head
    brand_patterns = Lexicons.from_dict({"brands": {"Acme": {"counterfeit": {"any": ["acme outlet"]}}}})
    organisation = Lexicons.from_dict({"categories": {"counterfeit": {"any": ["grey market acme"]}}})
    tagger = TrainedTagger(train_bundle(heads, featurizer=Featurizer(2**12, 2**12, evidence=True)),
                           lexicons=Lexicons(pipeline.tagging.lexicons.load_lexicons().categories, brand_patterns.brands),
                           organisation=organisation)
    shipped_pattern_only, learnt, brand, organisation_pattern = tagger.tag_batch([
        item("DM me for order, 1:1 quality replica bags"),
        item("store opens monday zzreplica zzknockoff zzreplica"),
        item("store opens monday at the acme outlet", watch=("Acme",)),
        item("store opens monday, grey market acme stock"),
    ])
    assert "counterfeit" not in shipped_pattern_only.categories  # the pattern is evidence the head weighs, not a verdict
    assert "counterfeit" in learnt.categories and learnt.scores["counterfeit"] >= tagger.threshold("counterfeit")
    assert "counterfeit" in brand.categories
    assert "counterfeit" in organisation_pattern.categories  # an organisation's own file is applied as written
