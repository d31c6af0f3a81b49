"""What a client report says, in numbers and names, before any language or layout is chosen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.compare import SENTIMENTS, Comparison


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over a set of mentions. Reach is the sum of the authors' followers at the time of each mention;
    impressions are the views the sources report (many report none)."""

    mentions: int = 0
    reach: int = 0
    impressions: int = 0
    likes: int = 0
    shares: int = 0
    replies: int = 0
    sentiment: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def interactions(self) -> int:
        return self.likes + self.shares + self.replies

    @property
    def net_sentiment(self) -> float:
        """(positive - negative) / mentions, -1..1."""
        if not self.mentions:
            return 0.0
        return (self.sentiment.get("positive", 0) - self.sentiment.get("negative", 0)) / self.mentions

    @property
    def negative_share(self) -> float:
        return self.sentiment.get("negative", 0) / self.mentions if self.mentions else 0.0


@dataclass(frozen=True, slots=True)
class Bucket:
    """One time bucket of the period: it starts at ``at`` and lasts the report's interval."""

    at: datetime
    totals: Totals


@dataclass(frozen=True, slots=True)
class Crisis:
    """An alert of the watch that was active during the period, with what people did about it."""

    id: str
    kind: str
    severity: str
    peak_severity: str
    state: str
    title: str
    explanation: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    observed: float | None
    baseline: float | None
    verdict: str | None
    top_terms: list[str]
    update_count: int
    mentions_during: int = 0  # the watch's mentions in the buckets the crisis covers (within the period)
    negative_during: int = 0

    @property
    def auto_resolved(self) -> bool:
        from pipeline.alerts.model import AUTO

        return self.resolved_at is not None and self.resolved_by == AUTO

    @property
    def minutes_to_acknowledge(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return max(0.0, (self.acknowledged_at - self.opened_at).total_seconds() / 60)

    @property
    def minutes_to_resolve(self) -> float | None:
        if self.resolved_at is None:
            return None
        return max(0.0, (self.resolved_at - self.opened_at).total_seconds() / 60)

    def timeline(self) -> list[tuple[datetime, str, str | None]]:
        """(when, event, who), oldest first: opened, acknowledged, resolved."""
        events: list[tuple[datetime, str, str | None]] = [(self.opened_at, "opened", None)]
        if self.acknowledged_at is not None:
            events.append((self.acknowledged_at, "acknowledged", self.acknowledged_by))
        if self.resolved_at is not None:
            events.append((self.resolved_at, "resolved_auto" if self.auto_resolved else "resolved", self.resolved_by))
        return sorted(events, key=lambda event: event[0])


@dataclass(frozen=True, slots=True)
class TopMention:
    id: str
    platform: str
    author: str
    text: str
    url: str | None
    created_at: datetime | None
    sentiment: str | None
    categories: list[str]
    reach: int
    interactions: int


@dataclass(frozen=True, slots=True)
class TopAuthor:
    id: str
    name: str
    platform: str
    mentions: int
    followers: int
    interactions: int
    negative: int


@dataclass(frozen=True, slots=True)
class TrendingTerm:
    term: str
    count: int
    burst_score: float | None = None  # None: a frequent term, not a burst the trends agent detected


@dataclass(frozen=True, slots=True)
class ResponseKpis:
    """The inbox's response-time figures (:func:`pipeline.inbox.kpis.response_times`'s JSON) and the share
    of answered mentions answered within the hour, which the published figures speak of."""

    overall: dict[str, Any]
    by_network: dict[str, dict[str, Any]]
    by_category: dict[str, dict[str, Any]]
    by_teammate: dict[str, dict[str, Any]]
    within_hour_share: float | None
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Report:
    watch: str
    since: datetime
    until: datetime
    period: str  # as asked: "7d", "all", a date
    generated_at: datetime
    interval: str  # width of the time buckets, e.g. "6h"
    totals: Totals
    previous: Totals | None  # the period of the same length just before, None when there is none to read
    buckets: list[Bucket]
    comparison: Comparison | None  # share of voice; None when no competitor is configured or asked
    competitors_without_mentions: list[str]
    crises: list[Crisis]
    kpis: ResponseKpis | None
    top_mentions: list[TopMention]
    top_authors: list[TopAuthor]
    bursts: list[TrendingTerm]
    frequent_terms: list[TrendingTerm]

    @property
    def sentiments(self) -> tuple[str, ...]:
        return SENTIMENTS
