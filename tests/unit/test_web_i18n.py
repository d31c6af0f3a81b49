"""The web app's French and English words and the choice of language (no services)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.mention import CATEGORIES
from pipeline.web.i18n import CATEGORY_NAMES, MESSAGES, Translator, choose_language, parse_accept_language

TEMPLATES = Path(__file__).resolve().parents[2] / "pipeline" / "web" / "templates"


def test_web_i18n_both_languages_have_the_same_keys():
    assert set(MESSAGES["en"]) == set(MESSAGES["fr"])
    for lang in ("en", "fr"):
        assert set(CATEGORY_NAMES[lang]) == set(CATEGORIES)


def test_web_i18n_every_key_the_templates_use_exists():
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']\s*[,)]""", template.read_text()))
    assert used, "no translated text found in the templates"
    assert used - set(MESSAGES["en"]) == set()


def test_web_i18n_placeholders_match_between_languages():
    for key, english in MESSAGES["en"].items():
        assert set(re.findall(r"{(\w+)}", english)) == set(re.findall(r"{(\w+)}", MESSAGES["fr"][key])), key


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    ("fr", "en", "en-GB", "fr"),
    (None, "fr", "en-GB", "fr"),
    ("de", None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    (None, None, "de-DE,de;q=0.9,en;q=0.5,fr;q=0.7", "fr"),
    (None, None, "de-DE", "en"),
    (None, None, None, "en"),
])
def test_web_i18n_choose_language_query_then_cookie_then_header(query, cookie, header, expected):
    assert choose_language(query, cookie, header) == expected


def test_web_i18n_accept_language_ignores_zero_quality_and_stars():
    assert parse_accept_language("fr;q=0, en;q=0.3, *;q=0.1, es") == ["es", "en"]


def test_web_i18n_translator_formats_and_shows_missing_keys():
    t = Translator("fr")
    assert t("crisis.acknowledged_by", who="Ana", at="10:00") == "prise en charge par Ana à 10:00"
    assert t("no.such_key") == "no.such_key"
    assert t.category("legal_violation") == "infraction"
