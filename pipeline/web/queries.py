"""The web app's Elasticsearch requests and the shaping of their answers, as pure functions.

Each page has a ``*_request`` (keyword arguments for ``AsyncElasticsearch.search``) and, where the
answer needs it, a ``shape_*``; what the filter bar asks is a :class:`~pipeline.web.filters.Filters`.
Only what real Elasticsearch 8 does is asked: terms, date_histogram, sum and filter aggregations.
Every shape reads an empty answer (``{}``, an index not created yet) as no documents.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.compare import SENTIMENTS, histogram_interval
from pipeline.query.elasticsearch import Query
from pipeline.timestamps import from_epoch_ms
from pipeline.web.filters import Filters

LEGAL_CATEGORIES = ("counterfeit", "copyright", "legal_violation")
INTERACTION_METRICS = ("likes", "shares", "replies")
NEEDS_ANSWER: Query = {"bool": {"filter": [{"exists": {"field": "reply_by"}}], "must_not": [{"term": {"priority": "none"}}]}}
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sources_of(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The documents a search found, in its order."""
    return [hit["_source"] for hit in response.get("hits", {}).get("hits", [])]


def total_of(response: Mapping[str, Any]) -> int:
    """How many documents match, beyond the ones returned."""
    return response.get("hits", {}).get("total", {}).get("value", 0)


def _buckets(aggregation: Mapping[str, Any] | None) -> list[tuple[str, int]]:
    return [(bucket["key"], bucket["doc_count"]) for bucket in (aggregation or {}).get("buckets", [])]


def _value(aggregation: Mapping[str, Any] | None) -> int:
    return int((aggregation or {}).get("value") or 0)


# -- overview ---------------------------------------------------------------------------------------

def overview_interval(filters: Filters) -> str:
    if filters.since is None:
        return "1d"
    return histogram_interval(filters.since, filters.until or datetime.now(UTC), max_buckets=48)


def overview_request(filters: Filters) -> dict[str, Any]:
    volume: dict[str, Any] = {"field": "created_at", "fixed_interval": overview_interval(filters), "min_doc_count": 0}
    if filters.since is not None and filters.until is not None:
        volume["extended_bounds"] = {"min": filters.since.isoformat(), "max": filters.until.isoformat()}
    return {
        "size": 0,
        "track_total_hits": True,
        "query": filters.query_dsl(),
        "aggs": {
            "volume": {"date_histogram": volume, "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 3}}}},
            "sentiment": {"terms": {"field": "sentiment", "size": 3}},
            "categories": {"terms": {"field": "categories", "size": 20}},
            "platforms": {"terms": {"field": "platform", "size": 20}},
            "watches": {"terms": {"field": "watch", "size": 50}},
            "reach": {"sum": {"field": "author.followers"}},
            **{metric: {"sum": {"field": f"metrics.{metric}"}} for metric in INTERACTION_METRICS},
            "to_answer": {"filter": NEEDS_ANSWER},
        },
    }


@dataclass(frozen=True, slots=True)
class Overview:
    total: int
    reach: int
    interactions: int
    to_answer: int
    sentiment: dict[str, int]
    volume: list[tuple[datetime, int]]
    sentiment_volume: dict[str, list[tuple[datetime, int]]]
    categories: list[tuple[str, int]]
    platforms: list[tuple[str, int]]
    watches: list[tuple[str, int]]

    @property
    def negative_share(self) -> float:
        return self.sentiment.get("negative", 0) / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total, "reach": self.reach, "interactions": self.interactions, "to_answer": self.to_answer,
            "negative_share": round(self.negative_share, 4), "sentiment": self.sentiment,
            "volume": [{"at": at.isoformat(), "mentions": n} for at, n in self.volume],
            "sentiment_volume": {name: [{"at": at.isoformat(), "mentions": n} for at, n in points]
                                 for name, points in self.sentiment_volume.items()},
            "categories": dict(self.categories), "platforms": dict(self.platforms), "watches": dict(self.watches),
        }


def shape_overview(response: Mapping[str, Any]) -> Overview:
    aggs = response.get("aggregations", {})
    buckets = (aggs.get("volume") or {}).get("buckets", [])
    by_sentiment = {name: [] for name in SENTIMENTS}
    for bucket in buckets:
        counts = dict(_buckets(bucket.get("sentiment")))
        for name in SENTIMENTS:
            by_sentiment[name].append((from_epoch_ms(bucket["key"]), counts.get(name, 0)))
    sentiment = dict(_buckets(aggs.get("sentiment")))
    return Overview(
        total=total_of(response),
        reach=_value(aggs.get("reach")),
        interactions=sum(_value(aggs.get(metric)) for metric in INTERACTION_METRICS),
        to_answer=(aggs.get("to_answer") or {}).get("doc_count", 0),
        sentiment={name: sentiment.get(name, 0) for name in SENTIMENTS},
        volume=[(from_epoch_ms(bucket["key"]), bucket["doc_count"]) for bucket in buckets],
        sentiment_volume=by_sentiment,
        categories=_buckets(aggs.get("categories")),
        platforms=_buckets(aggs.get("platforms")),
        watches=_buckets(aggs.get("watches")),
    )


# -- deadlines -------------------------------------------------------------------------------------

def format_countdown(seconds: int | None) -> str:
    """``1h 05m``, ``12m 30s``, ``2d 3h``; the sign is the caller's business (overdue or due)."""
    if seconds is None:
        return ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


# -- legal-risk queue --------------------------------------------------------------------------------

LEGAL_FIELDS = ["id", "platform", "author", "text", "url", "created_at", "categories", "content_hash",
                "indexed_at", "watch", "action", "priority"]
CSV_COLUMNS = ("id", "created_at", "platform", "author", "watch", "categories", "url", "content_hash", "indexed_at", "text")


def legal_request(filters: Filters, size: int = 200) -> dict[str, Any]:
    return {
        "size": size,
        "track_total_hits": True,
        "query": filters.query_dsl({"terms": {"categories": list(LEGAL_CATEGORIES)}}),
        "sort": [{"created_at": {"order": "desc"}}, {"id": {"order": "asc"}}],
        "_source": LEGAL_FIELDS,
    }


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def legal_csv(hits: Sequence[Mapping[str, Any]]) -> str:
    """The evidence as CSV (one row per mention), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for source in hits:
        author = source.get("author") or {}
        row = {
            **{column: source.get(column) for column in CSV_COLUMNS},
            "author": author.get("handle") or author.get("name") or author.get("id") or "",
            "watch": ";".join(source.get("watch") or []),
            "categories": ";".join(source.get("categories") or []),
        }
        writer.writerow([_safe_cell("" if row[column] is None else str(row[column])) for column in CSV_COLUMNS])
    return out.getvalue()


# -- trends ------------------------------------------------------------------------------------------

def trends_request(filters: Filters, size: int = 30) -> dict[str, Any]:
    """Bursting terms the trends agent stored, highest score first, in windows ending within the period."""
    clauses: list[Query] = []
    if filters.watch:
        clauses.append({"term": {"watch": filters.watch}})
    if filters.since is not None:
        clauses.append({"range": {"window_end": {"gte": filters.since.isoformat()}}})
    return {"size": size, "query": {"bool": {"filter": clauses}},
            "sort": [{"burst_score": {"order": "desc"}}, {"window_end": {"order": "desc"}}]}


def shape_trends(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per term (its best window), highest burst score first."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for hit in response.get("hits", {}).get("hits", []):
        source = hit.get("_source") or {}
        key = (source.get("term", ""), source.get("watch") or "")
        if key not in best or (source.get("burst_score") or 0) > (best[key].get("burst_score") or 0):
            best[key] = source
    return sorted(best.values(), key=lambda row: -(row.get("burst_score") or 0))


def recent_texts_request(filters: Filters, size: int = 500) -> dict[str, Any]:
    return {"size": size, "query": filters.query_dsl(), "sort": [{"created_at": {"order": "desc"}}],
            "_source": ["text", "title"]}


def texts_of(response: Mapping[str, Any]) -> list[str]:
    return [" ".join(filter(None, ((hit.get("_source") or {}).get("title"), (hit.get("_source") or {}).get("text"))))
            for hit in response.get("hits", {}).get("hits", [])]


# -- alerts ------------------------------------------------------------------------------------------

EVIDENCE_FIELDS = ["id", "platform", "author", "text", "url", "created_at", "sentiment", "categories", "content_hash"]


def evidence_request(ids: Sequence[str]) -> dict[str, Any]:
    """The sample mentions an alert cites, newest first."""
    return {"size": len(ids), "query": {"ids": {"values": list(ids)}},
            "sort": [{"created_at": {"order": "desc"}}], "_source": EVIDENCE_FIELDS}


def alerts_fingerprint(alerts: Sequence[Any]) -> str:
    """Changes whenever an alert appears, disappears or changes: what the live stream watches."""
    return "|".join(sorted(f"{alert.id}@{alert.updated_at.isoformat()}:{alert.state}" for alert in alerts))


def sort_alerts(alerts: Sequence[Any]) -> list[Any]:
    """Open before acknowledged before resolved; then the most severe; then the most recently updated."""
    state_rank = {"open": 0, "acknowledged": 1, "resolved": 2}
    return sorted(alerts, key=lambda a: (state_rank.get(str(a.state), 3), -a.severity.rank,
                                         -a.updated_at.timestamp()))


# -- competitor watch --------------------------------------------------------------------------------

def comparison_charts(comparison: Any, t: Any) -> dict[str, Any]:
    """The series the competitor page draws: share of voice, volume per watch, sentiment and category mix."""
    return {
        "share": [(f.watch, f.mentions) for f in comparison.watches],
        "volume": [(f.watch, f.volume) for f in comparison.watches],
        "sentiment": [(f.watch, [(t(f"sentiment.{name}"), f.sentiment[name]) for name in SENTIMENTS])
                      for f in comparison.watches],
        "categories": [(f.watch, [(t.category(name), count) for name, count in sorted(f.categories.items())])
                       for f in comparison.watches],
    }
