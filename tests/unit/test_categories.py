"""The categories' registry (pipeline/categories.py) and everything derived from it (no services)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

from pipeline import categories
from pipeline.alerts.model import INCIDENT_OF_KIND, AlertKind
from pipeline.mention import CATEGORIES
from pipeline.sinks.elasticsearch import MENTION_PROPERTIES
from pipeline.tagging.lexicons import load_lexicons
from pipeline.tagging.playbook import load_playbook
from pipeline.tagging.rules import CATEGORY_PATTERNS
from pipeline.tagging.trained import HEAD_CATEGORIES, NOT_PRAISE
from pipeline.trends import crisis
from pipeline.trends.signals import SERIES_CATEGORIES, Signal
from pipeline.web.i18n import CATEGORY_NAMES, Translator

ROOT = Path(__file__).resolve().parents[2]


def test_categories_every_list_of_categories_is_the_registry():
    names = categories.names()
    assert CATEGORIES == names
    assert {lang: dict(labels) for lang, labels in CATEGORY_NAMES.items()} == {
        lang: categories.labels(lang) for lang in ("en", "fr")}
    assert set(MENTION_PROPERTIES["scores"]["properties"]) == set(names)
    by_precedence = sorted(categories.DEFINITIONS, key=lambda c: c.precedence)
    assert [(r.category, r.action, r.priority) for r in load_playbook().rules] == [
        (c.name, c.action, c.priority) for c in by_precedence]
    assert NOT_PRAISE == {c.name for c in categories.DEFINITIONS if not c.praise}
    # what a tagger can decide is a registered category
    assert set(HEAD_CATEGORIES) <= set(names)
    assert set(CATEGORY_PATTERNS) <= set(names)
    assert set(load_lexicons().categories) <= set(names)


def test_categories_crisis_series_and_alert_kinds_are_the_registry():
    spiking = {c.name: c for c in categories.DEFINITIONS if c.spike_incident}
    series = [f"{name}_spike" for name in spiking]
    assert crisis.SERIES == ("volume_spike", "negative_spike", *series)
    assert set(typing.get_args(AlertKind)) == {*crisis.SERIES, "trend"}
    assert {s: INCIDENT_OF_KIND[s] for s in series} == {f"{n}_spike": c.spike_incident for n, c in spiking.items()}
    assert crisis.LABELS["complaint_spike"] == "complaint "
    # a signal says, per series category, whether its mention has it
    assert set(SERIES_CATEGORIES) == set(spiking)
    assert set(SERIES_CATEGORIES) <= {field.name for field in dataclasses.fields(Signal)}


def test_categories_shipped_series_and_playbook_order_are_unchanged():
    assert crisis.SERIES == ("volume_spike", "negative_spike", "complaint_spike", "troll_spike")
    assert crisis.CRISIS_PREFERENCE == ("complaint_spike", "negative_spike", "volume_spike")
    assert crisis.OWN_INCIDENT_SERIES == ("troll_spike",)
    assert [r.category for r in load_playbook().rules] == [
        "legal_violation", "complaint", "false_information", "counterfeit", "copyright", "troll", "review",
        "positive", "neutral"]


def test_categories_css_file_is_written_from_the_registry():
    written = (ROOT / "pipeline" / "web" / "static" / "categories.css").read_text(encoding="utf-8")
    assert written == categories.chip_css(), "run: python -m pipeline.categories > pipeline/web/static/categories.css"
    assert ".chip.cat-complaint { background: #fee2e2; color: #991b1b; }" in written
    assert ".chip.cat-review" not in written  # no colour of its own: the plain chip


def test_categories_translator_names_a_category_in_each_language():
    assert Translator("fr").category("legal_violation") == "infraction"
    assert Translator("en").category("false_information") == "false information"


def test_categories_a_new_definition_reaches_the_tagger_playbook_labels_and_crisis_series():
    """One more Category in DEFINITIONS, and nothing else, before anything reads the registry."""
    script = textwrap.dedent("""
        import typing
        from pipeline import categories
        categories.DEFINITIONS += (categories.Category(
            "scam", "scam", "arnaque", action="warn the community", priority="urgent", deadline="fastest",
            precedence=0, colour=categories.ChipColour("#000000", "#ffffff"), spike_incident="crisis", praise=False),)
        from pipeline.mention import CATEGORIES
        from pipeline.tagging.playbook import load_playbook
        from pipeline.web.i18n import Translator
        from pipeline.alerts.model import INCIDENT_OF_KIND, AlertKind, Detection
        from pipeline.trends import crisis
        assert CATEGORIES[-1] == "scam"
        rule = load_playbook().rules[0]
        assert (rule.category, rule.action, rule.priority) == ("scam", "warn the community", "urgent")
        assert Translator("fr").category("scam") == "arnaque"
        assert crisis.SERIES[-1] == "scam_spike" and crisis.CRISIS_PREFERENCE[1] == "scam_spike"
        assert INCIDENT_OF_KIND["scam_spike"] == "crisis" and "scam_spike" in typing.get_args(AlertKind)
        Detection(watch="acme", kind="scam_spike", severity="warning", title="Scam spike on acme")
        assert ".chip.cat-scam { background: #000000; color: #ffffff; }" in categories.chip_css()
        print("derived")
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "derived"
