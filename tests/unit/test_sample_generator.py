"""The sample generator: deterministic, scalable, every template usable, every malformed case rejected."""

from __future__ import annotations

import re
from random import Random

import pytest

from pipeline.mention import InvalidMention, Mention, parse_mention
from tools.sample import phrases
from tools.sample.generate import (
    MALFORMED_CASES,
    SampleWriter,
    dump_jsonl,
    elide,
    fill,
    for_sector,
    generate,
    malformed_lines,
    write_sample,
)

SMALL = 300


def test_sample_generator_same_seed_same_bytes():
    first, second = generate(seed=11, count=SMALL), generate(seed=11, count=SMALL)
    assert dump_jsonl(first.mentions) == dump_jsonl(second.mentions)
    assert dump_jsonl(first.labels) == dump_jsonl(second.labels)


def test_sample_generator_other_seed_other_stream():
    assert dump_jsonl(generate(seed=11, count=SMALL).mentions) != dump_jsonl(generate(seed=12, count=SMALL).mentions)


@pytest.mark.parametrize("count", [60, SMALL, 1000])
def test_sample_generator_makes_exactly_count_valid_mentions(count):
    sample = generate(seed=3, count=count)
    assert len(sample.mentions) == len(sample.labels) == count
    assert len({m["id"] for m in sample.mentions}) == count
    for raw in sample.mentions:
        Mention.model_validate(raw)
    assert sum(label["in_crisis_burst"] for label in sample.labels) == round(count * 0.2)


def test_sample_generator_rejects_too_small_a_count():
    with pytest.raises(ValueError):
        generate(count=10)


def test_sample_write_puts_three_files_side_by_side(tmp_path):
    mentions, labels, malformed = write_sample(tmp_path / "mentions.jsonl", seed=5, count=SMALL)
    assert labels == tmp_path / "labels.jsonl" and malformed == tmp_path / "malformed.jsonl"
    assert len(mentions.read_bytes().splitlines()) == len(labels.read_bytes().splitlines()) == SMALL
    assert len(malformed.read_text(encoding="utf-8").splitlines()) == len(MALFORMED_CASES)


def _all_templates():
    for scenario in phrases.SCENARIOS:
        for lang, texts in scenario.texts.items():
            for text in texts:
                yield scenario.name, lang, text
        for lang, titles in scenario.titles.items():
            for title in titles:
                yield scenario.name, lang, title
    for kind, by_lang in phrases.REPLIES.items():
        for lang, texts in by_lang.items():
            for text in texts:
                yield kind, lang, text
    for name, _, _, _, by_lang in phrases.CRISIS_SCENARIOS:
        for lang, texts in by_lang.items():
            for text in texts:
                yield name, lang, text
    for lang, articles in phrases.CRISIS_NEWS.items():
        for title, body in articles:
            yield "crisis_news", lang, title
            yield "crisis_news", lang, body
    for lang, prefixes in phrases.CRISIS_RT_PREFIXES.items():
        for prefix in prefixes:
            yield "crisis_copy", lang, prefix + "text"


@pytest.mark.parametrize("brand", list(phrases.BRANDS))
def test_sample_every_template_fills_for_every_brand(brand):
    writer = SampleWriter(seed=1, count=100)
    leftovers = re.compile(r"[{}\[\]|]|::")
    for name, lang, template in _all_templates():
        for text in for_sector([template], phrases.BRANDS[brand].sector):
            filled = fill(text, writer.slots(phrases.BRANDS[brand], lang), writer.rng)
            assert filled.strip(), (name, template)
            assert not leftovers.search(filled.replace(" || ", "")), (name, filled)


def test_sample_every_scenario_has_a_template_for_each_sector_and_language():
    for scenario in phrases.SCENARIOS:
        for sector in scenario.sectors:
            for lang in (phrases.FR, phrases.EN):
                assert for_sector(scenario.texts[lang], sector), (scenario.name, sector, lang)


def test_sample_fill_uses_slots_and_choices():
    rng = Random(0)
    seen = {fill("[a|b|c] {x}{y}", {"x": "X", "y": ("1", "2")}, rng) for _ in range(50)}
    assert seen <= {f"{letter} X{digit}" for letter in "abc" for digit in "12"}
    assert len(seen) == 6


def test_sample_fill_tidies_spaces_left_by_empty_choices():
    assert fill("it lasts [|really ]long [at all|] .", {}, Random(4)) in {"it lasts long.", "it lasts really long.", "it lasts long at all.", "it lasts really long at all."}


def test_sample_for_sector_keeps_shared_and_matching_templates():
    assert for_sector(["shared", "beauty::lipstick", "lamp::bulb"], "lamp") == ["shared", "bulb"]


@pytest.mark.parametrize(("reason", "line"), MALFORMED_CASES, ids=[reason for reason, _ in MALFORMED_CASES])
def test_sample_malformed_case_is_rejected(reason, line):
    with pytest.raises(InvalidMention):
        parse_mention(line)


def test_sample_malformed_cases_are_all_different():
    assert len(set(malformed_lines())) == len(MALFORMED_CASES)


def test_sample_elide_joins_french_articles_to_vowel_names():
    assert elide("Test de Aquarelle Sérum Éclat, le Eau de Pluie et la Crème Nuage") == (
        "Test d'Aquarelle Sérum Éclat, l'Eau de Pluie et la Crème Nuage"
    )


def test_sample_generator_and_showcase_stay_outside_the_installed_package():
    """The dev tools (tools/) are not installed with ``pip install .``, and nothing installed imports them."""
    import tomllib
    from pathlib import Path

    from setuptools import find_packages

    root = Path(__file__).resolve().parents[2]
    include = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    installed = find_packages(str(root), include=include)
    assert "pipeline" in installed and not [name for name in installed if name.split(".")[0] == "tools"]
    importing = [str(path.relative_to(root)) for top in ("pipeline", "agents") for path in (root / top).rglob("*.py")
                 if re.search(r"^\s*(from|import) (tools|selenium)\b", path.read_text(encoding="utf-8"), re.MULTILINE)]
    assert importing == []
