"""Trending terms of one watch, as a pure state machine the trending agent keeps per watch.

Mentions fall into tumbling event-time windows (fifteen minutes by default). The agent keeps each term's
count per window in a Faust windowed table; this tracker knows which terms each open window holds, a few
sample mention ids per term, and the closed windows' counts (:class:`TermHistory`, the baseline).
A window closes when the newest mention is ``lateness`` past its end: its counts are scored against the
baseline (:func:`burst_scores`, scaled to the window's volume, with a prior so a never-seen term is
*emerging* rather than infinitely surprising) and the bursting terms become trend events.
Nothing trends before ``warmup_windows`` windows have closed (no baseline yet).

Bounded whatever the traffic: an open window tracks at most ``max_keywords_per_window`` keywords (and
as many hashtags, @mentions and products again), the ones seen first; a closed window enters the
baseline with its ``history_terms_per_window`` most frequent terms only (a term that bursts has many
mentions; the rare ones cost the most room and weigh least in a baseline).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.trends.signals import Signal
from pipeline.trends.terms import BurstConfig, Term, TermHistory

MAX_FUTURE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class TrendConfig:
    window: timedelta = timedelta(minutes=15)
    baseline_windows: int = 96
    warmup_windows: int = 4
    lateness: timedelta = timedelta(minutes=5)
    burst: BurstConfig = field(default_factory=BurstConfig)
    samples_per_term: int = 5
    max_trends_per_window: int = 20
    max_keywords_per_window: int = 2000
    history_terms_per_window: int = 400

    def __post_init__(self) -> None:
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")
        if not 1 <= self.warmup_windows <= self.baseline_windows:
            raise ValueError("warmup_windows must be between 1 and baseline_windows")


@dataclass(slots=True)
class OpenWindow:
    mentions: int = 0
    samples: dict[Term, list[str]] = field(default_factory=dict)  # the terms tracked, with a few mention ids
    keywords: int = 0
    others: int = 0
    taking_ids: set[Term] = field(default_factory=set)  # terms with fewer than samples_per_term ids


def trend_id(watch: str, term: Term, window_start: datetime) -> str:
    return f"{watch}|{term.kind}:{term.text}|{window_start:%Y%m%dT%H%M%SZ}"


class WatchTrends:
    """Open windows and baseline of one watch."""

    def __init__(self, watch: str, config: TrendConfig | None = None):
        self.watch = watch
        self.config = config or TrendConfig()
        self.history = TermHistory(self.config.baseline_windows)
        self.open: dict[int, OpenWindow] = {}
        self.closed_until: int | None = None
        self.watermark: int | None = None
        self.late = 0
        self.history_version = 0  # closed windows so far: the baseline part of the state changes only then

    @property
    def _window(self) -> int:
        return int(self.config.window.total_seconds())

    def observe(self, signal: Signal, now: datetime | None = None) -> int | None:
        """Note one mention; returns the window it counts in (the agent adds its terms there in the table),
        or None for a mention whose window is closed (counted in ``late``: adding it to a later window could
        make that one look like a burst). One dated more than ten minutes ahead of ``now`` counts now."""
        return self.observe_terms(signal, now)[0]

    def observe_terms(self, signal: Signal, now: datetime | None = None) -> tuple[int | None, list[Term]]:
        """:meth:`observe`, and the mention's terms the window tracks (those the agent must count)."""
        seconds = int((signal.at if now is None or signal.at <= now + MAX_FUTURE else now).timestamp())
        start = seconds - seconds % self._window
        if self.closed_until is None:
            lateness = int(self.config.lateness.total_seconds())
            self.closed_until = start - lateness + lateness % self._window
        if start < self.closed_until:
            self.late += 1
            return None, []
        window = self.open.setdefault(start, OpenWindow())
        window.mentions += 1
        samples = window.samples
        terms = signal.terms
        new = [term for term in terms if term not in samples]
        refused = False
        for term in new:
            keyword = term.kind == "keyword"
            if (window.keywords if keyword else window.others) >= self.config.max_keywords_per_window:
                refused = True
                continue
            if keyword:
                window.keywords += 1
            else:
                window.others += 1
            samples[term] = []
            window.taking_ids.add(term)
        tracked = [term for term in terms if term in samples] if refused else list(terms)
        for term in [term for term in tracked if term in window.taking_ids]:  # most terms have their ids already
            ids = samples[term]
            ids.append(signal.id)
            if len(ids) >= self.config.samples_per_term:
                window.taking_ids.discard(term)
        self.watermark = seconds if self.watermark is None else max(self.watermark, seconds)
        return start, tracked

    def due(self) -> list[int]:
        """Starts of the windows that can close now, oldest first (empty ones included)."""
        if self.watermark is None or self.closed_until is None:
            return []
        limit = self.watermark - int(self.config.lateness.total_seconds())
        end = limit - limit % self._window
        oldest = max(self.closed_until, end - self._window * self.config.baseline_windows)
        return list(range(oldest, end, self._window))

    def terms_of(self, start: int) -> list[Term]:
        window = self.open.get(start)
        return list(window.samples) if window else []

    def close(self, start: int, counts: Mapping[Term, int]) -> list[dict[str, Any]]:
        """Close the window starting at ``start`` with its term ``counts`` (read from the windowed table);
        return its trend events, highest burst first."""
        window = self.open.pop(start, OpenWindow())
        for stale in [s for s in self.open if s < start]:
            self.open.pop(stale)
        trends = []
        if self.history.closed_windows >= self.config.warmup_windows:
            bursts = self.history.bursts(counts, window.mentions, self.config.burst)
            window_start = datetime.fromtimestamp(start, UTC)
            window_end = window_start + self.config.window
            for burst in bursts[: self.config.max_trends_per_window]:
                trends.append({
                    "id": trend_id(self.watch, burst.term, window_start), "watch": self.watch,
                    "term": burst.term.text, "term_kind": burst.term.kind,
                    "window_start": window_start.isoformat(), "window_end": window_end.isoformat(),
                    "count": burst.count, "baseline": burst.expected, "burst_score": burst.score,
                    "emerging": burst.emerging, "mentions": window.mentions,
                    "sample_ids": window.samples.get(burst.term, []),
                })
        kept = sorted(counts.items(), key=itemgetter(1), reverse=True)[: self.config.history_terms_per_window]
        self.history.close_window(dict(kept), window.mentions)
        self.closed_until = start + self._window
        self.history_version += 1
        return trends

    def to_state(self) -> dict[str, Any]:
        history, rest = self.to_state_parts()
        return {**rest, **history}

    def to_state_parts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The state in two parts: the baseline (``closed``, changed only when a window closes: the agent
        saves it then) and the rest (open windows, watermark), to merge back for :meth:`from_state`."""
        closed = [[[[t.kind, t.text, n] for t, n in counts.items()], mentions] for counts, mentions in self.history.windows_closed()]
        return {"closed": closed}, {
            "watch": self.watch, "closed_until": self.closed_until, "watermark": self.watermark, "late": self.late,
            "open": {str(start): {"mentions": w.mentions, "samples": [[t.kind, t.text, ids] for t, ids in w.samples.items()]}
                     for start, w in self.open.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: TrendConfig | None = None) -> WatchTrends:
        trends = cls(state["watch"], config)
        for counts, mentions in state["closed"]:
            trends.history.close_window({Term(kind, text): n for kind, text, n in counts}, mentions)
        trends.closed_until = state["closed_until"]
        trends.watermark = state["watermark"]
        trends.late = state.get("late", 0)
        trends.open = {}
        for start, w in state["open"].items():
            samples = {Term(k, t): list(ids) for k, t, ids in w["samples"]}
            keywords = sum(term.kind == "keyword" for term in samples)
            taking = {term for term, ids in samples.items() if len(ids) < trends.config.samples_per_term}
            trends.open[int(start)] = OpenWindow(w["mentions"], samples, keywords, len(samples) - keywords, taking)
        return trends
