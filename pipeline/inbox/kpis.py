"""Response-time figures per network, category and teammate, as pure functions.

Time to first answer = ``answered_at - created_at``; answered within the deadline = ``answered_at <=
reply_by`` (the deadline the triage gave when it was answered). Median and 90th percentile are computed
here from the answered times (nearest rank for the 90th), not with Elasticsearch's ``percentiles``
aggregation, which the embedded server lacks.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.timestamps import parse_iso

UNASSIGNED = "(unassigned)"

# Published figures a team compares itself with (not measured by Veille).
BENCHMARKS: tuple[dict[str, Any], ...] = (
    {"key": "airline_median", "minutes": 22,
     "text": "Airlines answer on Twitter in a median of about 22 minutes"},
    {"key": "expect_within_hour", "share": 0.73,
     "text": "73 % of people who complain on social media expect an answer within the hour"},
    {"key": "mostly_unanswered",
     "text": "Most messages sent to brands on social media are never answered"},
)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Figures:
    answered: int = 0
    within_deadline: int = 0
    open: int = 0
    overdue: int = 0
    minutes: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        median = statistics.median(self.minutes) if self.minutes else None
        p90 = percentile(self.minutes, 90)
        return {
            "answered": self.answered, "answered_within_deadline": self.within_deadline,
            "share_within_deadline": round(self.within_deadline / self.answered, 4) if self.answered else None,
            "median_minutes": None if median is None else round(median, 1),
            "p90_minutes": None if p90 is None else round(p90, 1),
            "open": self.open, "overdue": self.overdue,
            "answered_share": round(self.answered / (self.answered + self.open), 4) if self.answered + self.open else None,
        }


@dataclass
class ResponseTimes:
    overall: Figures
    by_network: dict[str, Figures]
    by_category: dict[str, Figures]
    by_teammate: dict[str, Figures]
    complete: bool = True  # False: more answered or open mentions than read; the figures are of those read
    open_total: int = 0

    def to_json(self) -> dict[str, Any]:
        def table(groups: Mapping[str, Figures]) -> dict[str, Any]:
            return {name: figures.to_json() for name, figures in sorted(groups.items())}
        return {"overall": self.overall.to_json(), "by_network": table(self.by_network),
                "by_category": table(self.by_category), "by_teammate": table(self.by_teammate),
                "complete": self.complete, "open_total": self.open_total, "benchmarks": list(BENCHMARKS)}


def _groups(row: Mapping[str, Any], teammate: str) -> Iterable[tuple[str, str]]:
    yield "network", str(row.get("network") or "?")
    for category in row.get("categories") or ["neutral"]:
        yield "category", str(category)
    yield "teammate", teammate


def response_times(answered: Iterable[Mapping[str, Any]], open_mentions: Iterable[Mapping[str, Any]], now: datetime,
                   complete: bool = True, open_total: int | None = None, overdue_untriaged: int = 0) -> ResponseTimes:
    """Figures of answered inbox states and of open (triaged) mentions, overall and per group.

    ``answered``: state documents (created_at, answered_at, reply_by, network, categories, answered_by);
    ``open_mentions``: triaged mentions (reply_by, network, categories, state.assignee). When not all open
    mentions were triaged, the overall open count is ``open_total`` and its overdue count adds
    ``overdue_untriaged`` (those overdue whatever their triage); the groups count the triaged ones.
    """
    result = ResponseTimes(Figures(), {}, {}, {}, complete)
    tables = {"network": result.by_network, "category": result.by_category, "teammate": result.by_teammate}

    def each(row: Mapping[str, Any], teammate: str) -> Iterable[Figures]:
        yield result.overall
        for kind, name in _groups(row, teammate):
            yield tables[kind].setdefault(name, Figures())

    for state in answered:
        created, at = parse_iso(state.get("created_at")), parse_iso(state.get("answered_at"))
        if created is None or at is None:
            continue
        deadline = parse_iso(state.get("reply_by"))
        minutes = max(0.0, (at - created).total_seconds() / 60)
        for figures in each(state, str(state.get("answered_by") or UNASSIGNED)):
            figures.answered += 1
            figures.minutes.append(minutes)
            if deadline is not None and at <= deadline:
                figures.within_deadline += 1
    count = 0
    for mention in open_mentions:
        count += 1
        deadline = parse_iso(mention.get("reply_by"))
        teammate = str((mention.get("state") or {}).get("assignee") or UNASSIGNED)
        for figures in each(mention, teammate):
            figures.open += 1
            if deadline is not None and deadline < now:
                figures.overdue += 1
    result.open_total = count if open_total is None else open_total
    result.overall.open = max(result.overall.open, result.open_total)
    result.overall.overdue += overdue_untriaged
    return result
