"""Competitor watch: the request, the shaping of the answer, names, intervals and top terms (no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.compare import (
    UnknownWatch,
    build_compare_request,
    format_comparison,
    histogram_interval,
    resolve_watches,
    shape_comparison,
    top_terms,
)
from pipeline.query import compile_query

SINCE = datetime(2026, 11, 14, tzinfo=UTC)
UNTIL = datetime(2026, 11, 21, tzinfo=UTC)


def _volume(*counts: int) -> dict:
    start = int(SINCE.timestamp() * 1000)
    return {"buckets": [{"key": start + i * 86_400_000, "doc_count": n} for i, n in enumerate(counts)]}


RESPONSE = {
    "hits": {"total": {"value": 100}},
    "aggregations": {"by_watch": {"buckets": [
        {"key": "Aquarelle", "doc_count": 60,
         "sentiment": {"buckets": [{"key": "negative", "doc_count": 40}, {"key": "positive", "doc_count": 5},
                                   {"key": "neutral", "doc_count": 15}]},
         "categories": {"buckets": [{"key": "complaint", "doc_count": 30}, {"key": "troll", "doc_count": 10}]},
         "reach": {"value": 12_000.0}, "likes": {"value": 50.0}, "shares": {"value": 7.0}, "replies": {"value": 3.0},
         "volume": _volume(10, 50)},
        {"key": "Nordlys", "doc_count": 20,
         "sentiment": {"buckets": [{"key": "positive", "doc_count": 15}, {"key": "negative", "doc_count": 5}]},
         "categories": {"buckets": [{"key": "review", "doc_count": 12}]},
         "reach": {"value": 900.0}, "likes": {"value": 1.0}, "shares": {"value": 0.0}, "replies": {"value": None},
         "volume": _volume(5, 15)},
        {"key": "SomethingElse", "doc_count": 999},  # a watch nobody asked for (an emulator may ignore include)
    ]}},
}


def test_compare_request_filters_watches_period_and_query():
    query = compile_query("lang:fr")
    request = build_compare_request("Aquarelle", ["Nordlys", "Lumio"], SINCE, UNTIL, query, interval="1d")
    filters = request["query"]["bool"]["filter"]
    assert {"terms": {"watch": ["Aquarelle", "Nordlys", "Lumio"]}} in filters
    assert {"range": {"created_at": {"gte": SINCE.isoformat(), "lt": UNTIL.isoformat()}}} in filters
    assert query in filters
    by_watch = request["aggs"]["by_watch"]
    assert by_watch["terms"]["include"] == ["Aquarelle", "Nordlys", "Lumio"]
    volume = by_watch["aggs"]["volume"]["date_histogram"]
    assert volume["fixed_interval"] == "1d" and volume["min_doc_count"] == 0
    assert volume["extended_bounds"] == {"min": SINCE.isoformat(), "max": UNTIL.isoformat()}
    assert request["size"] == 0


def test_compare_shape_share_of_voice_sentiment_and_interactions():
    comparison = shape_comparison(RESPONSE, "Aquarelle", ["Nordlys", "Lumio"], SINCE, UNTIL, "1d",
                                  terms={"Aquarelle": [("retard", 9)]})
    assert [f.watch for f in comparison.watches] == ["Aquarelle", "Nordlys", "Lumio"]
    assert comparison.total_mentions == 80
    aquarelle, nordlys, lumio = comparison.watches
    assert aquarelle.share_of_voice == pytest.approx(0.75)
    assert nordlys.share_of_voice == pytest.approx(0.25)
    assert aquarelle.sentiment == {"negative": 40, "neutral": 15, "positive": 5}
    assert aquarelle.net_sentiment == pytest.approx((5 - 40) / 60)
    assert nordlys.sentiment["neutral"] == 0
    assert aquarelle.reach == 12_000 and aquarelle.interactions == 60
    assert nordlys.interactions == 1
    assert aquarelle.volume == [(SINCE, 10), (SINCE + timedelta(days=1), 50)]
    assert aquarelle.top_terms == [("retard", 9)]
    assert lumio.mentions == 0 and lumio.share_of_voice == 0 and lumio.net_sentiment == 0 and lumio.volume == []


def test_compare_json_is_plain_data():
    data = shape_comparison(RESPONSE, "Aquarelle", ["Nordlys"], SINCE, UNTIL, "1d").to_json()
    assert data["total_mentions"] == 80
    assert data["watches"][0]["volume"][0] == {"at": SINCE.isoformat(), "mentions": 10}
    assert data["watches"][1]["share_of_voice"] == 0.25


def test_compare_format_has_one_row_per_watch():
    text = format_comparison(shape_comparison(RESPONSE, "Aquarelle", ["Nordlys"], SINCE, UNTIL, "1d"))
    assert "Aquarelle against Nordlys" in text
    assert any(line.startswith("Aquarelle") and "75.0%" in line for line in text.splitlines())
    assert any(line.startswith("Nordlys") and "25.0%" in line for line in text.splitlines())


@pytest.mark.parametrize(("span", "expected"), [
    (timedelta(hours=1), "5m"), (timedelta(hours=24), "1h"), (timedelta(days=7), "3h"),
    (timedelta(days=30), "12h"), (timedelta(days=365), "7d"),
])
def test_compare_histogram_interval_keeps_buckets_few(span, expected):
    assert histogram_interval(UNTIL - span, UNTIL) == expected


def test_compare_resolve_watches_ignores_case_and_names_the_known_ones():
    assert resolve_watches(["aquarelle", " NORDLYS", "Aquarelle"], ["Aquarelle", "Nordlys", "Lumio"]) == ["Aquarelle", "Nordlys"]
    with pytest.raises(UnknownWatch, match="'Foo'.*known watches: Aquarelle, Lumio"):
        resolve_watches(["Foo"], ["Lumio", "Aquarelle"])


def test_compare_top_terms_count_once_per_text_and_skip_the_watch_names():
    texts = [
        "Lumio Halo en retard, retard, retard #lumio",
        "Livraison en retard pour ma Lumio Halo",
        "Retard encore @LumioHome",
    ]
    terms = dict(top_terms(texts, exclude=["Lumio"]))
    assert terms["retard"] == 3
    assert terms["halo"] == 2
    assert "lumio" not in terms and "#lumio" not in terms and "lumio halo" not in terms
    assert terms["@lumiohome"] == 1
