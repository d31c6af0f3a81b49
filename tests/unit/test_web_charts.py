"""Inline SVG charts (no services): escaping, scales, empty data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.web.charts import bar_chart, compact_number, donut_chart, nice_ceiling, stacked_share_bars, time_series_chart

T0 = datetime(2026, 11, 21, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_web_charts_escape_labels():
    svg = str(bar_chart([("<script>alert(1)</script>", 3)], "a & b"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and 'aria-label="a &amp; b"' in svg
    _parse(svg)


def test_web_charts_time_series_draws_each_series_and_point_titles():
    points = [(T0 + timedelta(hours=i), v) for i, v in enumerate([0, 4, 10, 2])]
    root = _parse(time_series_chart([("mentions", points), ("other", [(t, 1) for t, _ in points])], "volume"))
    assert len(root.findall(f"{SVG}polyline")) == 2
    titles = [el.text for el in root.iter(f"{SVG}title")]
    assert "mentions 2026-11-21 02:00: 10" in titles


def test_web_charts_stacked_areas_scale_to_the_sum():
    points_a = [(T0, 30), (T0 + timedelta(hours=1), 60)]
    points_b = [(T0, 10), (T0 + timedelta(hours=1), 30)]
    svg = str(time_series_chart([("a", points_a), ("b", points_b)], "sentiment", stacked=True))
    assert svg.count("<polygon") == 2
    assert ">100</text>" in svg  # axis top: 60 + 30 = 90 → 100


def test_web_charts_empty_data_still_makes_valid_svg():
    for markup in (time_series_chart([], "x"), time_series_chart([("a", [])], "x"), bar_chart([], "x"),
                   donut_chart([], "x"), stacked_share_bars([], "x")):
        assert _parse(markup).tag == f"{SVG}svg"


def test_web_charts_donut_and_share_bars_give_percentages():
    donut = str(donut_chart([("Aquarelle", 75), ("Nordlys", 25)], "share"))
    assert "Aquarelle — 75.0%" in donut and "Nordlys: 25 (25.0%)" in donut
    bars = str(stacked_share_bars([("Aquarelle", [("neg", 3), ("pos", 1)])], "mix"))
    assert "Aquarelle · neg: 3 (75%)" in bars


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (7, 8), (10, 10), (11, 12), (180, 200), (230, 250), (550, 600), (0.4, 1)])
def test_web_charts_nice_ceiling(value, expected):
    assert nice_ceiling(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(12, "12"), (12_345, "12.3k"), (5_301_727, "5.3M"), (1000, "1k")])
def test_web_charts_compact_number(value, expected):
    assert compact_number(value) == expected
