"""Elasticsearch mappings of the alerts and trends indices (``<prefix>-alerts``, ``<prefix>-trends``).

The Kibana dashboards in ``dashboards/`` are checked against these, and the sinks that write alerts and
trends install them, so a field a chart uses always exists in the index it reads.
"""

from __future__ import annotations

from typing import Any

from pipeline.sinks.field_types import DATE, DOUBLE, KEYWORD, LONG

ALERT_PROPERTIES: dict[str, Any] = {
    "id": KEYWORD,
    "dedup_key": KEYWORD,
    "watch": KEYWORD,
    "kind": KEYWORD,
    "severity": KEYWORD,  # info | warning | critical
    "peak_severity": KEYWORD,  # the highest severity a person was told of
    "state": KEYWORD,  # open | acknowledged | resolved
    "last_event": KEYWORD,
    "opened_at": DATE,
    "updated_at": DATE,
    "notified_at": DATE,
    "acknowledged_at": DATE,
    "acknowledged_by": KEYWORD,
    "resolved_at": DATE,
    "resolved_by": KEYWORD,
    "update_count": LONG,
    "title": {"type": "text", "fields": {"keyword": KEYWORD}},
    "explanation": {"type": "text"},
    "top_terms": KEYWORD,
    "sample_ids": KEYWORD,
    "baseline": DOUBLE,
    "observed": DOUBLE,
    "score": DOUBLE,
    "verdict": KEYWORD,  # organic | troll_raid
    "fake_share": DOUBLE,  # of its mentions, from likely fake or automated accounts
}

TREND_PROPERTIES: dict[str, Any] = {
    "id": KEYWORD,  # watch, term and window: a replay overwrites instead of duplicating
    "term": KEYWORD,
    "term_kind": KEYWORD,  # keyword | hashtag | product
    "mentions": LONG,  # mentions of the watch in the window
    "watch": KEYWORD,
    "window_start": DATE,
    "window_end": DATE,
    "count": LONG,
    "baseline": DOUBLE,
    "burst_score": DOUBLE,
    "emerging": {"type": "boolean"},
    "sample_ids": KEYWORD,
}
