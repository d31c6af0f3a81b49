"""Timestamps as the pipeline keeps them: aware datetimes in UTC inside, ISO 8601 text on the wire.

A naive datetime or an ISO text without a zone is taken as UTC. Elasticsearch date buckets carry epoch
milliseconds. ``Retry-After`` (delta seconds or an HTTP date) is read here too, for every HTTP client.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset; UTC when none) or a datetime, in UTC; None when absent or unreadable."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved out of range by its offset
        return None


def format_iso(moment: datetime | None) -> str | None:
    """``2026-11-16T08:30:00Z`` (microseconds kept when there are some); None for None."""
    return as_utc(moment).isoformat().replace("+00:00", "Z") if moment else None


def epoch_seconds(moment: datetime) -> float:
    return as_utc(moment).timestamp()


def from_epoch_seconds(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def from_epoch_ms(milliseconds: float) -> datetime:
    """The instant of an Elasticsearch date (a date histogram bucket's ``key``)."""
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta seconds, or an HTTP date (0 once past), counted from
    ``now`` (epoch seconds, the clock when None); None when absent, negative or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, epoch_seconds(when) - (time.time() if now is None else now))
