"""Audience rhythm: when a watch's audience talks (mentions) and reacts (interactions: likes + shares + replies)
by weekday and hour of day, in the watch's time zone, and the best slots to publish ("publier au bon moment").

One Elasticsearch request: an hourly ``date_histogram`` (``calendar_interval: hour`` with the watch's
``time_zone``) with a ``sum`` of each interaction metric, over a period read by :mod:`pipeline.periods`. Each
bucket is one real hour of the period; :func:`shape_rhythm` puts it in its (weekday, hour) cell by converting
its key to the time zone with :mod:`zoneinfo`, so a week that changes to or from summer time lands each
mention at the local hour it was posted (the repeated 02:00 of October counts twice in the Sunday 02:00
cell; the skipped 02:00 of March counts nothing). Rows are weekdays, Monday first (``datetime.weekday()``).

The time zone is the watch's ``timezone`` in watches.yaml (default :data:`pipeline.watches.DEFAULT_TIMEZONE`,
Europe/Paris: most audiences Veille follows live there), or the one a caller asks for.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.compare import INTERACTION_METRICS, UnknownWatch, known_watches, known_watches_request, resolve_watches
from pipeline.query.elasticsearch import Query

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS = 24
MIN_MENTIONS = 10  # a slot needs this many mentions over the period to be ranked
MIN_OCCURRENCES = 3  # ... on this many different dates (weeks for a weekday slot, days for an hour of day)
BEST_SLOTS = 5


class UnknownTimeZone(ValueError):
    """A time zone name that is not in the IANA database."""


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (Europe/Paris, America/Montreal, UTC); raises :class:`UnknownTimeZone`."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(f"unknown time zone {name[:60]!r}: give an IANA name such as Europe/Paris or UTC") from None


def rhythm_request(watch: str | None, since: datetime | None, until: datetime, zone: str,
                   query: Query | None = None) -> dict[str, Any]:
    """Keyword arguments of ``AsyncElasticsearch.search``: the non-empty hours of the period for ``watch``
    (all watches when None), each with its mention count and the sum of every interaction metric."""
    window = {"lte": until.isoformat(), **({"gte": since.isoformat()} if since is not None else {})}
    clauses: list[Query] = [{"range": {"created_at": window}}]
    if watch:
        clauses.append({"term": {"watch": watch}})
    if query is not None:
        clauses.append(query)
    hourly = {"field": "created_at", "calendar_interval": "hour", "time_zone": zone, "min_doc_count": 1}
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {"bool": {"filter": clauses}},
        "aggs": {"hours": {"date_histogram": hourly,
                           "aggs": {metric: {"sum": {"field": f"metrics.{metric}"}} for metric in INTERACTION_METRICS}}},
    }


@dataclass(frozen=True, slots=True)
class Hour:
    """One real hour of the period, in local time."""

    start: datetime
    mentions: int
    interactions: int


@dataclass(frozen=True, slots=True)
class Slot:
    """A ranked slot: a (weekday, hour) cell, or an hour of day when ``weekday`` is None."""

    weekday: int | None
    hour: int
    mentions: int
    interactions: int
    occurrences: int  # dates on which the slot had mentions
    score: float  # median over those dates of the interactions per mention

    def to_json(self) -> dict[str, Any]:
        day = None if self.weekday is None else WEEKDAYS[self.weekday]
        return {"weekday": self.weekday, "day": day, "hour": self.hour, "mentions": self.mentions,
                "interactions": self.interactions, "occurrences": self.occurrences,
                "interactions_per_mention": round(self.score, 2)}


@dataclass(frozen=True, slots=True)
class Rhythm:
    watch: str | None
    zone: str
    since: datetime | None
    until: datetime
    period: str
    hours: tuple[Hour, ...] = ()
    min_mentions: int = MIN_MENTIONS
    min_occurrences: int = MIN_OCCURRENCES
    mentions: list[list[int]] = field(default_factory=list)  # [weekday][hour]
    interactions: list[list[int]] = field(default_factory=list)

    @property
    def total_mentions(self) -> int:
        return sum(map(sum, self.mentions))

    @property
    def total_interactions(self) -> int:
        return sum(map(sum, self.interactions))

    def best_slots(self, limit: int = BEST_SLOTS) -> list[Slot]:
        return rank_slots(self.hours, lambda h: (h.start.weekday(), h.start.hour), self.min_mentions,
                          self.min_occurrences, limit)

    def best_hours(self, limit: int = BEST_SLOTS) -> list[Slot]:
        return rank_slots(self.hours, lambda h: (None, h.start.hour), self.min_mentions, self.min_occurrences, limit)

    def to_json(self) -> dict[str, Any]:
        return {
            "watch": self.watch, "time_zone": self.zone, "period": self.period,
            "since": self.since.isoformat() if self.since else None, "until": self.until.isoformat(),
            "mentions": self.total_mentions, "interactions": self.total_interactions, "weekdays": list(WEEKDAYS),
            "grid": {"mentions": self.mentions, "interactions": self.interactions},
            "best_slots": [slot.to_json() for slot in self.best_slots()],
            "best_hours": [slot.to_json() for slot in self.best_hours()],
            "ranking": {"min_mentions": self.min_mentions, "min_occurrences": self.min_occurrences,
                        "score": "median over the slot's dates of the interactions per mention"},
        }


def local_hours(response: Mapping[str, Any], zone: str) -> list[Hour]:
    """The hourly buckets of a :func:`rhythm_request` answer, each at its local start in ``zone``."""
    tz = time_zone(zone)
    found = []
    for bucket in response.get("aggregations", {}).get("hours", {}).get("buckets", []):
        count = int(bucket.get("doc_count") or 0)
        if not count:
            continue
        start = datetime.fromtimestamp(bucket["key"] / 1000, tz=UTC).astimezone(tz)
        interactions = sum(int((bucket.get(metric) or {}).get("value") or 0) for metric in INTERACTION_METRICS)
        found.append(Hour(start, count, interactions))
    return found


def shape_rhythm(response: Mapping[str, Any], watch: str | None, zone: str, since: datetime | None,
                 until: datetime, period: str = "", min_mentions: int = MIN_MENTIONS,
                 min_occurrences: int = MIN_OCCURRENCES) -> Rhythm:
    """The 7×24 grids of mentions and interactions of a :func:`rhythm_request` answer."""
    hours = local_hours(response, zone)
    mentions = [[0] * HOURS for _ in WEEKDAYS]
    interactions = [[0] * HOURS for _ in WEEKDAYS]
    for hour in hours:
        mentions[hour.start.weekday()][hour.start.hour] += hour.mentions
        interactions[hour.start.weekday()][hour.start.hour] += hour.interactions
    return Rhythm(watch, zone, since, until, period, tuple(hours), min_mentions, min_occurrences, mentions,
                  interactions)


def rank_slots(hours: Sequence[Hour], slot_of: Callable[[Hour], tuple[int | None, int]], min_mentions: int,
               min_occurrences: int, limit: int = BEST_SLOTS) -> list[Slot]:
    """The slots where a post draws the most interactions, best first.

    A slot (``slot_of`` an hour: its weekday and hour, or only its hour) is ranked only when it had at least
    ``min_mentions`` mentions over the period, on at least ``min_occurrences`` different local dates. Its
    score is the median, over those dates, of that date's interactions per mention: one viral post moves
    one date's figure, not the median, so it cannot make a slot the best alone. Ties go to the busier slot.
    """
    by_slot: dict[Hashable, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for hour in hours:
        day = by_slot[slot_of(hour)][hour.start.date()]
        day[0] += hour.mentions
        day[1] += hour.interactions
    ranked = []
    for (weekday, hour_of_day), days in by_slot.items():
        mentions = sum(m for m, _ in days.values())
        if mentions < min_mentions or len(days) < min_occurrences:
            continue
        score = statistics.median(i / m for m, i in days.values())
        ranked.append(Slot(weekday, hour_of_day, mentions, sum(i for _, i in days.values()), len(days), score))
    ranked.sort(key=lambda s: (-s.score, -s.mentions, s.weekday or 0, s.hour))
    return ranked[:limit]


def watch_time_zone(watches_file: Path, watch: str | None) -> str:
    """The ``timezone`` of ``watch`` in watches.yaml; the default when the file cannot be read or does not
    declare the watch (a watch's mentions stay in the index after it leaves the file)."""
    from pipeline.watches import DEFAULT_TIMEZONE, Watches, WatchesError

    if not watch:
        return DEFAULT_TIMEZONE
    try:
        declared = Watches.load(watches_file)
    except WatchesError:
        return DEFAULT_TIMEZONE
    spec = next((w.spec for w in declared.watches if w.name.casefold() == watch.casefold()), None)
    return spec.timezone if spec is not None else DEFAULT_TIMEZONE


async def fetch_rhythm(client: Any, index: str, watches_file: Path, watch: str | None, since: datetime | None,
                       until: datetime, period: str = "", query: Query | None = None,
                       zone: str | None = None) -> Rhythm:
    """The :class:`Rhythm` of ``watch`` (any case; None: every mention) read with ``client``
    (AsyncElasticsearch). ``zone`` None: the watch's. Raises :class:`pipeline.compare.UnknownWatch` when no
    mention is watched as ``watch`` and :class:`UnknownTimeZone`."""
    from elasticsearch import NotFoundError

    async def search(request: dict[str, Any]) -> Mapping[str, Any]:
        try:
            return (await client.search(index=index, **request)).body
        except NotFoundError:  # nothing indexed yet
            return {}

    if watch:
        watch = resolve_watches([watch], known_watches(await search(known_watches_request())))[0]
    zone = str(time_zone(zone or watch_time_zone(watches_file, watch)))  # checked, as Elasticsearch spells it
    response = await search(rhythm_request(watch, since, until, zone, query))
    return shape_rhythm(response, watch, zone, since, until, period)


def _slot_label(slot: Slot) -> str:
    day = "every day" if slot.weekday is None else WEEKDAYS[slot.weekday].capitalize()
    return f"{day} {slot.hour:02d}:00–{(slot.hour + 1) % 24:02d}:00"


def format_rhythm(rhythm: Rhythm) -> str:
    """The grids and the best slots, for the terminal."""
    since = rhythm.since.strftime("%Y-%m-%d %H:%M") if rhythm.since else "the first mention"
    lines = [f"{rhythm.watch or 'All watches'}: {rhythm.total_mentions:,} mentions, {rhythm.total_interactions:,} "
             f"interactions from {since} to {rhythm.until:%Y-%m-%d %H:%M} UTC; hours in {rhythm.zone}"]
    header = "     " + "".join(f"{hour:>6}" for hour in range(HOURS))
    for title, grid in (("Mentions", rhythm.mentions), ("Interactions", rhythm.interactions)):
        lines += ["", f"{title} by weekday and hour ({rhythm.zone})", header]
        lines += [f"{WEEKDAYS[day][:3].capitalize():<5}" + "".join(f"{value:>6}" for value in grid[day])
                  for day in range(len(WEEKDAYS))]
    rule = (f"at least {rhythm.min_mentions} mentions on {rhythm.min_occurrences} different dates; "
            f"ranked by the median interactions per mention")
    for title, slots in (("Best slots to publish", rhythm.best_slots()), ("Best hours of the day", rhythm.best_hours())):
        lines += ["", f"{title} ({rule}):"]
        lines += [f"  {_slot_label(s):<28}{s.score:>8.1f} interactions/mention  ({s.mentions:,} mentions on "
                  f"{s.occurrences} dates, {s.interactions:,} interactions)" for s in slots] or ["  none: too few mentions"]
    return "\n".join(lines)
