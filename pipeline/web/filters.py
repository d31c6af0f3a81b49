"""What a request asks for: the filter bar of every page (a query in the search syntax, a period, a watch)
and the parameters of ``/api/alerts``, checked. A bad query is kept with its error for the page to show;
an API refuses a bad parameter with :class:`BadParameter`, a 400 that says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pipeline.inbox.service import Scope
from pipeline.periods import Period, parse_period
from pipeline.query import QuerySyntaxError, compile_query
from pipeline.query.elasticsearch import Query
from pipeline.query.search import parse_time_bound

PERIODS = ("24h", "7d", "30d", "all")
DEFAULT_PERIOD = "7d"
MAX_ALERTS_SIZE = 1000
MAX_WATCH_NAME_CHARS = 200


class BadParameter(ValueError):
    """A query-string parameter the API refuses (400); the message says which and what is accepted."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What the filter bar asks: a query in the search syntax, a period and a watch."""

    query: str = ""
    period: str = DEFAULT_PERIOD
    watch: str = ""
    compiled: Query | None = None
    since: datetime | None = None
    until: datetime | None = None
    error: str | None = None  # the query's syntax error, shown next to the box

    def clauses(self, time_field: str = "created_at") -> list[Query]:
        found: list[Query] = []
        if self.compiled is not None:
            found.append(self.compiled)
        if self.watch:
            found.append({"term": {"watch": self.watch}})
        window = {}
        if self.since is not None:
            window["gte"] = self.since.isoformat()
        if self.until is not None:
            window["lte"] = self.until.isoformat()
        if window:
            found.append({"range": {time_field: window}})
        return found

    def query_dsl(self, *extra: Query, time_field: str = "created_at") -> Query:
        return {"bool": {"filter": [*self.clauses(time_field), *extra]}}

    def as_params(self) -> dict[str, str]:
        return {key: value for key, value in (("q", self.query), ("since", self.period), ("watch", self.watch)) if value}


def parse_filters(params: Mapping[str, str], now: datetime) -> Filters:
    """Filters from query-string parameters ``q``, ``since`` and ``watch``; a bad query is kept with its error."""
    text = (params.get("q") or "").strip()
    period = params.get("since") or DEFAULT_PERIOD
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    watch = (params.get("watch") or "").strip()
    compiled, error = None, None
    if text:
        try:
            compiled = compile_query(text)
        except QuerySyntaxError as exc:
            error = str(exc)
    return Filters(text, period, watch, compiled, parse_time_bound(period, now), now, error)


def checked_watch(watch: str | None) -> str | None:
    """A watch's name as a parameter gives it; raises :class:`BadParameter` when it cannot be one."""
    if watch is not None and len(watch) > MAX_WATCH_NAME_CHARS:
        raise BadParameter(f"watch is a watch's name, at most {MAX_WATCH_NAME_CHARS} characters")
    return watch


def parse_period_and_query(params: Mapping[str, str], now: datetime) -> tuple[Period, Query | None]:
    """``since``, ``until`` and ``q`` of an API call, read as ``veille search`` reads them; raises
    :class:`~pipeline.periods.PeriodError` or :class:`~pipeline.query.QuerySyntaxError` (both 400s)."""
    period = parse_period(params.get("since"), params.get("until"), now)
    text = (params.get("q") or "").strip()
    return period, compile_query(text) if text else None


def parse_scope(params: Mapping[str, str], now: datetime) -> Scope:
    """The mentions an inbox or response-time API call is about: its period, query and ``watch``."""
    period, compiled = parse_period_and_query(params, now)
    return Scope(period.since, period.until, checked_watch((params.get("watch") or "").strip()), compiled)


def scope_of_filters(filters: Filters, now: datetime) -> Scope:
    """The same mentions as :func:`parse_scope`, as a page's filter bar asks for them."""
    return Scope(filters.since, filters.until or now, filters.watch, filters.compiled)


@dataclass(frozen=True, slots=True)
class AlertsParams:
    state: str | None = None
    watch: str | None = None
    size: int = 100


def parse_alerts_params(params: Mapping[str, str]) -> AlertsParams:
    """``state``, ``watch`` and ``size`` of ``/api/alerts``, checked; raises :class:`BadParameter`."""
    from pipeline.alerts.model import AlertState

    state = params.get("state") or None
    if state is not None and state not in {s.value for s in AlertState}:
        raise BadParameter(f"state must be one of {', '.join(s.value for s in AlertState)}, not {state[:40]!r}")
    watch = checked_watch(params.get("watch") or None)
    raw_size = params.get("size")
    size = 100
    if raw_size is not None:
        if not (raw_size.isascii() and raw_size.isdigit()) or len(raw_size) > 6 or not 1 <= int(raw_size) <= MAX_ALERTS_SIZE:
            raise BadParameter(f"size must be a whole number from 1 to {MAX_ALERTS_SIZE}, not {raw_size[:20]!r}")
        size = int(raw_size)
    return AlertsParams(state, watch, size)
