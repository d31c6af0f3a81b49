"""Backfill: a watch's crisis baselines learnt from history, so a new watch does not wait a day blind.

``veille backfill`` counts a watch's past mentions per interval for the crisis monitor's four series
(every mention, negative ones, complaints, trolls) and sends them as one :class:`BackfillHistory` record
on the ``watch.backfill`` topic, keyed by watch. The crisis agent feeds them to fresh spike detectors and
joins those to the watch's own (:meth:`pipeline.trends.crisis.WatchMonitor.learn_history`), keeping only
the intervals older than the first one it counted itself: an interval is never counted twice, and
sending the same history again changes nothing.

History comes from:

- a CSV of counts: a ``timestamp`` column and one or more of ``volume``, ``negative``, ``complaint``,
  ``troll`` (one column per series of the crisis monitor, named without ``_spike``); each row adds its counts to the interval its timestamp falls in (rows of hourly counts with
  ``--interval 3600``, or any finer spacing). A missing ``volume`` column is the sum of nothing: give it;
- a CSV of mentions: a ``timestamp`` column and ``sentiment`` (``negative`` counts as negative) and/or
  ``categories`` (``complaint``, ``troll``, separated by ``;``, ``,`` or ``|``); one row per mention;
- the Kafka log: enriched mentions (``mentions.enriched``, read from its earliest offset) that matched
  the watch, or that the watch's query in watches.yaml matches (a watch added today has past mentions
  that were tagged before it existed).

Rows may come in any order. Intervals without a mention between the first and the last are zeros (a
quiet hour is information). The record is bounded: at most ``MAX_BACKFILL_POINTS`` intervals per series
(the newest kept) at the finest interval that allows it (a multiple of the crisis interval that divides
the detector's slot), and never more than ``MAX_BACKFILL_RECORD_BYTES``.

Seasonality and robustness are the spike detector's (pipeline/trends/spikes.py): three days of history
give each hour of the day its own baseline, three weeks each weekday's hour; baselines are medians over
days, so one quiet day cannot make them trivial.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pipeline.trends.crisis import SERIES
from pipeline.trends.spikes import SpikeConfig

BACKFILL_TOPIC = "watch.backfill"
COLUMNS = {series.removesuffix("_spike"): series for series in SERIES}  # volume, negative, complaint, troll
CATEGORY_SERIES = SERIES[2:]  # after volume and negative, one series per category: complaint_spike counts "complaint"
MAX_BACKFILL_POINTS = 4032  # per series: 28 days at 10 minutes, 14 days at 5
MAX_BACKFILL_RECORD_BYTES = 255 * 1024
_DEFAULTS = SpikeConfig()
KEPT_HISTORY = timedelta(seconds=_DEFAULTS.kept_slots * _DEFAULTS.slot_seconds)  # 28 days: older is never used
_CATEGORY_SEPARATORS = re.compile(r"[;,|]")


class BackfillError(ValueError):
    """History that cannot be used; the message names the line or the field."""


def _utc(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BackfillError(f"{where}: timestamp {text[:60]!r} is not an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class BackfillHistory:
    """Counts per series, one per interval from ``start`` (epoch seconds), zeros included."""

    watch: str
    start: int
    interval: int  # seconds
    counts: Mapping[str, list[int]]  # every name of SERIES, lists of the same length
    source: str = ""

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise BackfillError("interval must be positive")
        if set(self.counts) != set(SERIES):
            raise BackfillError(f"counts must give every series ({', '.join(SERIES)})")
        lengths = {len(values) for values in self.counts.values()}
        if len(lengths) != 1:
            raise BackfillError("every series must have one count per interval")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for values in self.counts.values() for v in values):
            raise BackfillError("counts must be non-negative integers")

    @property
    def intervals(self) -> int:
        return len(self.counts[SERIES[0]])

    @property
    def end(self) -> int:
        """Epoch seconds where the last interval ends."""
        return self.start + self.intervals * self.interval

    def points(self, series: str, before: int | None = None) -> Iterator[tuple[datetime, int]]:
        """``(interval start, count)`` of one series, oldest first; only intervals that end by ``before``."""
        for index, count in enumerate(self.counts[series]):
            start = self.start + index * self.interval
            if before is not None and start + self.interval > before:
                return
            yield datetime.fromtimestamp(start, UTC), count

    def to_json(self) -> dict[str, Any]:
        return {"type": "backfill", "watch": self.watch, "start": self.start, "interval": self.interval,
                "source": self.source, "counts": {series: list(self.counts[series]) for series in SERIES}}

    @classmethod
    def from_json(cls, data: Any) -> BackfillHistory:
        if not isinstance(data, Mapping) or data.get("type") != "backfill":
            raise BackfillError("not a backfill record")
        try:
            return cls(watch=str(data["watch"]), start=int(data["start"]), interval=int(data["interval"]),
                       counts={series: list(data["counts"][series]) for series in SERIES},
                       source=str(data.get("source") or ""))
        except (KeyError, TypeError) as exc:
            raise BackfillError(f"backfill record without {exc}") from None

    def record(self) -> tuple[bytes, bytes]:
        """The ``(key, value)`` of the ``watch.backfill`` record."""
        return self.watch.encode(), orjson.dumps(self.to_json())


class HistoryCounter:
    """Counts per series per ``interval`` (seconds), from mentions or rows of counts, in any order."""

    def __init__(self, interval: int):
        if interval <= 0:
            raise BackfillError("interval must be positive")
        self.interval = interval
        self.buckets: dict[int, list[int]] = {}

    def add(self, at: datetime, counts: Mapping[str, int]) -> None:
        """Add counts (series name → count; a series left out adds 0) to the interval ``at`` is in."""
        seconds = int(at.timestamp())
        bucket = self.buckets.setdefault(seconds - seconds % self.interval, [0] * len(SERIES))
        for index, series in enumerate(SERIES):
            bucket[index] += counts.get(series, 0)

    def add_mention(self, at: datetime, negative: bool, categories: Iterable[str] = ()) -> None:
        """One mention: it counts in volume, in negative if ``negative``, and in each category's series."""
        found = set(categories)
        self.add(at, {SERIES[0]: 1, SERIES[1]: int(negative),
                      **{series: 1 for series in CATEGORY_SERIES if series.removesuffix("_spike") in found}})

    def history(self, watch: str, slot_seconds: int = _DEFAULTS.slot_seconds, until: datetime | None = None,
                source: str = "", max_points: int = MAX_BACKFILL_POINTS, max_bytes: int = MAX_BACKFILL_RECORD_BYTES,
                keep: timedelta = KEPT_HISTORY) -> BackfillHistory | None:
        """The counts as one bounded record (None: nothing counted): intervals from the first counted to the
        last (or to ``until``, whose interval is left out: it is still filling), the newest ``keep`` at most
        (what the detector keeps), at the finest multiple of ``interval`` dividing ``slot_seconds`` that
        gives at most ``max_points`` intervals and ``max_bytes``."""
        if until is not None:
            limit = int(until.timestamp())
            buckets = {start: counts for start, counts in self.buckets.items() if start + self.interval <= limit}
        else:
            buckets = self.buckets
        if not buckets:
            return None
        end = max(buckets) + self.interval
        if until is not None:
            end = max(end, int(until.timestamp()) - int(until.timestamp()) % self.interval)
        factors = [k for k in range(1, slot_seconds // self.interval + 1)
                   if slot_seconds % (k * self.interval) == 0] if slot_seconds % self.interval == 0 else [1]
        first = max(min(buckets), end - int(keep.total_seconds()))
        for factor in factors:
            if (end - first) / (self.interval * factor) > max_points and factor != factors[-1]:
                continue
            history = self._history(buckets, watch, self.interval * factor, first, end, source, max_points,
                                    whole_end=until is not None)
            if len(history.record()[1]) <= max_bytes:
                return history
        raise BackfillError("the history does not fit one record even at one count per slot")

    @staticmethod
    def _history(buckets: dict[int, list[int]], watch: str, interval: int, first: int, end: int, source: str,
                 max_points: int, whole_end: bool) -> BackfillHistory:
        """``whole_end``: the last interval must end by ``end`` (after it, the counts are not known yet)."""
        end = end - end % interval if whole_end else -(-end // interval) * interval
        first -= first % interval
        start = max(first, end - max_points * interval)
        length = max(0, (end - start) // interval)
        counts = [[0] * length for _ in SERIES]
        for bucket_start, values in buckets.items():
            index = (bucket_start - start) // interval
            if 0 <= index < length:
                for series, value in enumerate(values):
                    counts[series][index] += value
        return BackfillHistory(watch, start, interval, dict(zip(SERIES, counts, strict=True)), source)


def _categories(text: str) -> set[str]:
    return {part.strip().casefold() for part in _CATEGORY_SEPARATORS.split(text) if part.strip()}


def count_csv(lines: Iterable[str], counter: HistoryCounter) -> str:
    """Add a CSV of counts or of mentions (see the module) to ``counter``; returns ``counts`` or ``mentions``."""
    reader = csv.reader(lines)
    header = [name.strip().casefold() for name in next(reader, [])]
    if "timestamp" not in header:
        raise BackfillError("line 1: no timestamp column")
    time_column = header.index("timestamp")
    count_columns = {COLUMNS[name]: header.index(name) for name in COLUMNS if name in header}
    sentiment = header.index("sentiment") if "sentiment" in header else None
    category = next((header.index(name) for name in ("categories", "category") if name in header), None)
    if count_columns and (sentiment is not None or category is not None):
        raise BackfillError(f"line 1: give either counts ({', '.join(COLUMNS)}) or mentions "
                            "(sentiment, categories), not both")
    if not count_columns and sentiment is None and category is None:
        raise BackfillError(f"line 1: need count columns ({', '.join(COLUMNS)}) or mention "
                            "columns (sentiment, categories) beside timestamp")
    for row in reader:
        line = reader.line_num
        if not row or not any(field.strip() for field in row):
            continue
        if len(row) < len(header):
            raise BackfillError(f"line {line}: {len(row)} fields, the header has {len(header)}")
        at = _utc(row[time_column], f"line {line}")
        if count_columns:
            values: dict[str, int] = {}
            for series, column in count_columns.items():
                try:
                    value = float(row[column])
                except ValueError:
                    raise BackfillError(f"line {line}: {header[column]} {row[column][:60]!r} is not a number") from None
                if not (math.isfinite(value) and value >= 0 and value == int(value)):
                    raise BackfillError(f"line {line}: {header[column]} {row[column][:60]!r} is not a whole count")
                values[series] = int(value)
            counter.add(at, values)
        else:
            categories = _categories(row[category]) if category is not None else set()
            negative = sentiment is not None and row[sentiment].strip().casefold() == "negative"
            counter.add_mention(at, negative, categories)
    return "counts" if count_columns else "mentions"


def count_document(document: Mapping[str, Any], counter: HistoryCounter) -> None:
    """Add one enriched mention (as on ``mentions.enriched``) to ``counter``, flagged as the tag stage flags
    its signals (pipeline/trends/signals.py: negative sentiment, the categories that have a series)."""
    counter.add_mention(_utc(str(document["created_at"]), f"mention {document.get('id')}"),
                        document.get("sentiment") == "negative", document.get("categories") or ())


def watch_span(history: BackfillHistory) -> timedelta:
    return timedelta(seconds=history.end - history.start)
