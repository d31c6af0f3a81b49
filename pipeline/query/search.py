"""The pure parts of ``veille search``: time bounds (``24h``, ``2026-11-01``), the search request, output lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.query.elasticsearch import Query
from pipeline.timestamps import as_utc, parse_iso

_DURATION = re.compile(r"(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
TEXT_PREVIEW_CHARS = 140


def parse_time_bound(text: str, now: datetime) -> datetime | None:
    """``15m``/``24h``/``7d``/``2w`` ago, ``now``, an ISO date or date-time (UTC if no zone); ``all`` means no bound.

    Raises ValueError with the accepted forms.
    """
    value = text.strip()
    if value.lower() in ("all", ""):
        return None
    if value.lower() == "now":
        return now
    duration = _DURATION.match(value.lower())
    if duration:
        amount, unit = duration.groups()
        return now - timedelta(seconds=int(amount) * _UNIT_SECONDS[unit])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use a duration ago (15m, 24h, 7d, 2w), a date (2026-11-01), "
            "a date-time (2026-11-01T08:30:00Z), 'now' or 'all'"
        ) from None
    return as_utc(moment)


def build_search_request(query: Query, since: datetime | None, until: datetime | None, limit: int) -> dict[str, Any]:
    """Keyword arguments for ``Elasticsearch.search``: the query within [since, until], newest first."""
    window: dict[str, str] = {}
    if since is not None:
        window["gte"] = since.isoformat()
    if until is not None:
        window["lte"] = until.isoformat()
    if window:
        query = {"bool": {"must": [query], "filter": [{"range": {"created_at": window}}]}}
    return {
        "query": query,
        "sort": [{"created_at": {"order": "desc"}}, {"id": {"order": "asc", "unmapped_type": "keyword"}}],
        "size": limit,
        "track_total_hits": True,
    }


def format_mention_line(source: dict[str, Any]) -> str:
    """One human line: time, platform, author, sentiment, categories and the start of the text."""
    created = source.get("created_at") or ""
    moment = parse_iso(created)
    when = moment.strftime("%Y-%m-%d %H:%M") if moment else str(created)[:16] or "?"
    author = source.get("author") or {}
    who = author.get("handle") or author.get("id") or "?"
    categories = ",".join(source.get("categories") or []) or "-"
    text = " ".join(str(source.get("text") or "").split())
    if len(text) > TEXT_PREVIEW_CHARS:
        text = text[: TEXT_PREVIEW_CHARS - 1] + "…"
    return f"{when}  {source.get('platform') or '?':<10} {who:<20} {source.get('sentiment') or '-':<8} {categories:<20} {text}"
