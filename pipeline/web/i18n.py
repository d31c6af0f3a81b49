"""The web app's words in French and English, and how a request chooses its language.

The language comes from ``?lang=``, then the ``veille_lang`` cookie, then ``Accept-Language``, then
English. The words are in ``messages.yaml``, every key in both languages (a unit test checks it); the category
names come from the categories' definitions (``pipeline/categories.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from pipeline import categories

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "veille_lang"

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")


def load_messages(path: Path = MESSAGES_FILE) -> dict[str, dict[str, str]]:
    """Language → key → text, from a file that gives each key in every language."""
    by_key = yaml.safe_load(path.read_text(encoding="utf-8"))
    incomplete = [key for key, texts in by_key.items() if set(texts) != set(LANGUAGES)]
    if incomplete:
        raise ValueError(f"{path}: not in exactly {', '.join(LANGUAGES)}: {', '.join(incomplete)}")
    return {lang: {key: texts[lang] for key, texts in by_key.items()} for lang in LANGUAGES}


MESSAGES: dict[str, dict[str, str]] = load_messages()
CATEGORY_NAMES: dict[str, dict[str, str]] = {lang: categories.labels(lang) for lang in LANGUAGES}


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language codes of an ``Accept-Language`` header, highest quality first."""
    if not header:
        return []
    ranked = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        code = pieces[0].strip().split("-")[0].lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and code != "*" and quality > 0:
            ranked.append((-quality, position, code))
    return [code for _, _, code in sorted(ranked)]


def choose_language(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    for code in parse_accept_language(accept_language):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Translator:
    """``t("key", who="Ana")``: the message in this language, formatted; a missing key shows itself."""

    def __init__(self, lang: str, messages: Mapping[str, Mapping[str, str]] = MESSAGES):
        self.lang = lang
        self._messages = messages[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key, key)
        return text.format(**values) if values else text

    def category(self, name: str) -> str:
        return CATEGORY_NAMES[self.lang].get(name, name.replace("_", " "))
