"""The web app's Elasticsearch requests and answer shaping (no services)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from pipeline.alerts.model import Detection, Severity, acknowledge, apply_detection
from pipeline.web import queries
from pipeline.web.filters import parse_filters

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_web_queries_overview_request_and_shape():
    filters = parse_filters({"since": "24h"}, NOW)
    request = queries.overview_request(filters)
    assert request["aggs"]["volume"]["date_histogram"]["fixed_interval"] == "1h"
    assert request["aggs"]["to_answer"] == {"filter": queries.NEEDS_ANSWER}
    t0 = int(NOW.timestamp() * 1000)
    response = {
        "hits": {"total": {"value": 10}},
        "aggregations": {
            "volume": {"buckets": [
                {"key": t0, "doc_count": 6, "sentiment": {"buckets": [{"key": "negative", "doc_count": 5}, {"key": "positive", "doc_count": 1}]}},
                {"key": t0 + 3_600_000, "doc_count": 4, "sentiment": {"buckets": [{"key": "neutral", "doc_count": 4}]}},
            ]},
            "sentiment": {"buckets": [{"key": "negative", "doc_count": 5}, {"key": "neutral", "doc_count": 4}, {"key": "positive", "doc_count": 1}]},
            "categories": {"buckets": [{"key": "complaint", "doc_count": 5}]},
            "platforms": {"buckets": [{"key": "twitter", "doc_count": 10}]},
            "watches": {"buckets": [{"key": "Lumio", "doc_count": 10}]},
            "reach": {"value": 1500.0}, "likes": {"value": 10.0}, "shares": {"value": 2.0}, "replies": {"value": 1.0},
            "to_answer": {"doc_count": 7},
        },
    }
    overview = queries.shape_overview(response)
    assert (overview.total, overview.reach, overview.interactions, overview.to_answer) == (10, 1500, 13, 7)
    assert overview.negative_share == 0.5
    assert overview.volume == [(NOW, 6), (NOW + timedelta(hours=1), 4)]
    assert overview.sentiment_volume["negative"] == [(NOW, 5), (NOW + timedelta(hours=1), 0)]
    assert overview.categories == [("complaint", 5)]
    assert overview.to_json()["negative_share"] == 0.5


def test_web_queries_empty_answer_shapes_to_zeros():
    overview = queries.shape_overview({})
    assert overview.total == 0 and overview.negative_share == 0 and overview.volume == []
    assert queries.sources_of({}) == [] and queries.total_of({}) == 0  # an index not created yet
    assert queries.shape_trends({}) == [] and queries.texts_of({}) == []


def test_web_queries_countdown_text():
    assert queries.format_countdown(900) == "15m 00s"
    assert queries.format_countdown(-3725) == "1h 02m"
    assert queries.format_countdown(2 * 86400 + 3 * 3600) == "2d 3h"
    assert queries.format_countdown(None) == ""


def test_web_queries_legal_request_and_csv_keep_the_evidence():
    request = queries.legal_request(parse_filters({}, NOW))
    assert {"terms": {"categories": ["counterfeit", "copyright", "legal_violation"]}} in request["query"]["bool"]["filter"]
    assert "content_hash" in request["_source"] and "url" in request["_source"]
    text = queries.legal_csv([{
        "id": "twitter:1", "created_at": "2026-11-21T10:00:00Z", "platform": "twitter",
        "author": {"handle": "=cmd|' /C calc'!A0"}, "watch": ["Lumio", "Nordlys"], "categories": ["counterfeit"],
        "url": "https://x.com/a/status/1", "content_hash": "ab" * 32, "text": "faux, \"Lumio\"\nvendus",
    }])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(queries.CSV_COLUMNS)
    row = dict(zip(rows[0], rows[1]))
    assert row["author"].startswith("'=")  # a spreadsheet shows it, does not run it
    assert row["watch"] == "Lumio;Nordlys" and row["content_hash"] == "ab" * 32
    assert row["text"] == "faux, \"Lumio\"\nvendus"


def test_web_queries_trends_keep_each_terms_best_window():
    rows = queries.shape_trends({"hits": {"hits": [
        {"_source": {"term": "retard", "watch": "Lumio", "burst_score": 4.0}},
        {"_source": {"term": "retard", "watch": "Lumio", "burst_score": 7.5}},
        {"_source": {"term": "#boycott", "watch": "Aquarelle", "burst_score": 9.0}},
    ]}})
    assert [(r["term"], r["burst_score"]) for r in rows] == [("#boycott", 9.0), ("retard", 7.5)]


def _alert(watch: str, kind: str, severity: Severity, at: datetime):
    detection = Detection(watch=watch, kind=kind, severity=severity, title=f"{watch} {kind}")
    return apply_detection(None, detection, at, timedelta(hours=1))[0]


def test_web_queries_alerts_sorted_open_first_then_severity():
    warning = _alert("Lumio", "troll_spike", Severity.warning, NOW)
    critical = _alert("Lumio", "complaint_spike", Severity.critical, NOW - timedelta(hours=2))
    acked = acknowledge(_alert("Nordlys", "negative_spike", Severity.critical, NOW), "ana", NOW)
    assert [a.id for a in queries.sort_alerts([acked, warning, critical])] == [critical.id, warning.id, acked.id]


def test_web_queries_alerts_fingerprint_changes_with_state():
    alert = _alert("Lumio", "troll_spike", Severity.warning, NOW)
    before = queries.alerts_fingerprint([alert])
    assert queries.alerts_fingerprint([alert]) == before
    assert queries.alerts_fingerprint([acknowledge(alert, "ana", NOW + timedelta(minutes=1))]) != before
    assert queries.alerts_fingerprint([]) != before
