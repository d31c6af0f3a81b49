"""Elasticsearch mappings of the alerts and trends indices (``<prefix>-alerts``, ``<prefix>-trends``).

The Kibana dashboards in ``dashboards/`` are checked against these, and the sinks that write alerts and
trends install them, so a field a chart uses always exists in the index it reads.
"""

from __future__ import annotations

from typing import Any

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_DATE = {"type": "date"}
_LONG = {"type": "long"}
_DOUBLE = {"type": "double"}

ALERT_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "dedup_key": _KEYWORD,
    "watch": _KEYWORD,
    "kind": _KEYWORD,
    "severity": _KEYWORD,  # info | warning | critical
    "peak_severity": _KEYWORD,  # the highest severity a person was told of
    "state": _KEYWORD,  # open | acknowledged | resolved
    "last_event": _KEYWORD,
    "opened_at": _DATE,
    "updated_at": _DATE,
    "notified_at": _DATE,
    "acknowledged_at": _DATE,
    "acknowledged_by": _KEYWORD,
    "resolved_at": _DATE,
    "resolved_by": _KEYWORD,
    "update_count": _LONG,
    "title": {"type": "text", "fields": {"keyword": _KEYWORD}},
    "explanation": {"type": "text"},
    "top_terms": _KEYWORD,
    "sample_ids": _KEYWORD,
    "baseline": _DOUBLE,
    "observed": _DOUBLE,
    "score": _DOUBLE,
    "verdict": _KEYWORD,  # organic | troll_raid
}

TREND_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,  # watch, term and window: a replay overwrites instead of duplicating
    "term": _KEYWORD,
    "term_kind": _KEYWORD,  # keyword | hashtag | product
    "mentions": _LONG,  # mentions of the watch in the window
    "watch": _KEYWORD,
    "window_start": _DATE,
    "window_end": _DATE,
    "count": _LONG,
    "baseline": _DOUBLE,
    "burst_score": _DOUBLE,
    "emerging": {"type": "boolean"},
    "sample_ids": _KEYWORD,
}
