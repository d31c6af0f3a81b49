"""Per-brand configurable patterns (YAML) for categories without training data, matched on batches of texts.

``lexicons.yaml`` ships the defaults; an organisation's file with the same layout is merged over it.
Each category's patterns are joined into one compiled alternation per language, so a text costs one
regex search per category, whatever the number of patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.mention import CATEGORIES

DEFAULT_LEXICON_FILE = Path(__file__).with_name("lexicons.yaml")
ANY_LANGUAGE = "any"


class LexiconError(ValueError):
    """A lexicon YAML is not usable; the message says which entry is wrong."""


def _compile(patterns: Iterable[str], where: str) -> re.Pattern[str] | None:
    patterns = [p for p in patterns if p]
    if not patterns:
        return None
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LexiconError(f"{where}: bad pattern {pattern!r}: {exc}") from None
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)", re.IGNORECASE)


def union(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One case-insensitive regex that matches where any of ``patterns`` does (None for none)."""
    parts = [pattern.pattern for pattern in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE) if parts else None


def _by_language(spec: Any, where: str) -> dict[str, re.Pattern[str]]:
    if isinstance(spec, list):
        spec = {ANY_LANGUAGE: spec}
    if not isinstance(spec, dict):
        raise LexiconError(f"{where}: expected a mapping of language to a list of patterns")
    compiled = {}
    for lang, patterns in spec.items():
        pattern = _compile(patterns or [], f"{where}.{lang}")
        if pattern is not None:
            compiled[str(lang)] = pattern
    return compiled


def _check_categories(section: dict, where: str) -> None:
    unknown = sorted(set(section) - set(CATEGORIES))
    if unknown:
        raise LexiconError(f"{where}: unknown categories {unknown}; known: {', '.join(CATEGORIES)}")


@dataclass
class Lexicons:
    """Compiled patterns: category → language → regex, plus the same per brand (lower-cased watch name)."""

    categories: dict[str, dict[str, re.Pattern[str]]] = field(default_factory=dict)
    brands: dict[str, dict[str, dict[str, re.Pattern[str]]]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lexicons:
        categories = data.get("categories") or {}
        _check_categories(categories, "categories")
        lexicons = cls({name: _by_language(spec, f"categories.{name}") for name, spec in categories.items()})
        for brand, section in (data.get("brands") or {}).items():
            _check_categories(section or {}, f"brands.{brand}")
            lexicons.brands[str(brand).lower()] = {
                name: _by_language(spec, f"brands.{brand}.{name}") for name, spec in (section or {}).items()
            }
        return lexicons

    def _patterns(self, table: dict[str, dict[str, re.Pattern[str]]], lang: str) -> Iterable[tuple[str, re.Pattern[str]]]:
        for category, by_lang in table.items():
            for key in (lang, ANY_LANGUAGE):
                if key in by_lang:
                    yield category, by_lang[key]

    def match(self, text: str, lang: str, watch: Iterable[str] = ()) -> dict[str, str]:
        """Categories whose patterns occur in ``text``, each with the first matching words (the evidence)."""
        found: dict[str, str] = {}
        for category, pattern in self._patterns(self.categories, lang):
            if category not in found and (hit := pattern.search(text)):
                found[category] = hit.group(0)
        for brand in watch:
            for category, pattern in self._patterns(self.brands.get(brand.lower(), {}), lang):
                if category not in found and (hit := pattern.search(text)):
                    found[category] = hit.group(0)
        return found


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            merged[key] = base[key] + [v for v in value if v not in base[key]]
        else:
            merged[key] = value
    return merged


def _read_override(override_file: Path) -> dict:
    override = yaml.safe_load(Path(override_file).read_text(encoding="utf-8")) or {}
    if not isinstance(override, dict):
        raise LexiconError(f"{override_file}: expected a mapping at the top level")
    return override


def load_organisation_lexicons(override_file: Path) -> Lexicons:
    """An organisation's lexicon file alone (same layout as the shipped one), not merged."""
    return Lexicons.from_dict(_read_override(override_file))


def load_lexicons(override_file: Path | None = None) -> Lexicons:
    """The shipped lexicons with an organisation's file (same layout, lists are extended) merged over them."""
    data = yaml.safe_load(DEFAULT_LEXICON_FILE.read_text(encoding="utf-8")) or {}
    if override_file is not None:
        data = _merge(data, _read_override(override_file))
    return Lexicons.from_dict(data)
