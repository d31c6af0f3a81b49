"""Online spike detection on a mention-count series (the crisis agent's trigger and ``veille spikes``).

Each new count is compared with the counts seen at the same time of day over the last few days:

- counts are square-rooted first, so that the noise of a count is about the same size whether a
  brand gets 3 or 3,000 mentions per interval (the square root of a Poisson count has a standard
  deviation of about 0.5);
- the baseline is the median of those roots in the same time-of-day slot over ``history``, and
  the spread their median absolute deviation, never below 0.5 (pure counting noise);
- the score is the robust z-score of the new count against that baseline.

An alert fires when the score reaches ``threshold``, the count is at least ``min_volume``, the
``warmup`` is over, and no alert fired within ``cooldown`` (so one burst gives one alert).

:class:`SpikeDetector` holds the state of one series and is updated one point at a time;
:func:`detect_spikes` runs it over a whole series.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import NamedTuple

POISSON_SQRT_SD = 0.5
MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class SpikeConfig:
    threshold: float = 6.0
    min_volume: float = 5.0
    history: timedelta = timedelta(days=7)
    warmup: timedelta = timedelta(days=2)
    cooldown: timedelta = timedelta(hours=6)
    slot_minutes: int = 60
    min_slot_samples: int = 6

    def __post_init__(self) -> None:
        if not 0 < self.slot_minutes <= 1440 or 1440 % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day (1440 minutes)")
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if self.min_slot_samples < 1:
            raise ValueError("min_slot_samples must be at least 1")


class SpikePoint(NamedTuple):
    score: float
    alert: bool


@dataclass(slots=True)
class SpikeDetector:
    """State of one count series. ``update`` is O(samples in one slot), about 100 values by default."""

    config: SpikeConfig = field(default_factory=SpikeConfig)
    _slots: dict[int, deque[tuple[datetime, float]]] = field(default_factory=dict, init=False, repr=False)
    _first_seen: datetime | None = field(default=None, init=False)
    _last_seen: datetime | None = field(default=None, init=False)
    _last_alert: datetime | None = field(default=None, init=False)

    def baseline(self, timestamp: datetime) -> tuple[float, float, int]:
        """(median, spread, samples) of the square-rooted counts in the slot of ``timestamp``."""
        history = self._slot_history(timestamp)
        if not history:
            return 0.0, POISSON_SQRT_SD, 0
        roots = [root for _, root in history]
        centre = median(roots)
        mad = median(abs(root - centre) for root in roots)
        return centre, max(MAD_TO_SD * mad, POISSON_SQRT_SD), len(roots)

    def update(self, value: float, timestamp: datetime) -> SpikePoint:
        """Score one count and say whether it opens a new alert. Out-of-order points are scored, not learnt."""
        if value < 0 or math.isnan(value):
            raise ValueError(f"a count must be a non-negative number, got {value!r}")
        if self._first_seen is None:
            self._first_seen = timestamp
        root = math.sqrt(value)
        centre, spread, samples = self.baseline(timestamp)
        score = (root - centre) / spread if samples >= self.config.min_slot_samples else 0.0
        alert = (
            score >= self.config.threshold
            and value >= self.config.min_volume
            and timestamp - self._first_seen >= self.config.warmup
            and (self._last_alert is None or timestamp - self._last_alert >= self.config.cooldown)
        )
        if alert:
            self._last_alert = timestamp
        if self._last_seen is None or timestamp > self._last_seen:
            self._last_seen = timestamp
            self._slot_history(timestamp).append((timestamp, root))
        return SpikePoint(round(score, 4), alert)

    def _slot_history(self, timestamp: datetime) -> deque[tuple[datetime, float]]:
        minute_of_day = timestamp.hour * 60 + timestamp.minute
        slot = self._slots.setdefault(minute_of_day // self.config.slot_minutes, deque())
        oldest_kept = timestamp - self.config.history
        while slot and slot[0][0] < oldest_kept:
            slot.popleft()
        return slot


class ScoredPoint(NamedTuple):
    timestamp: datetime
    value: float
    score: float
    alert: bool


def detect_spikes(points: Iterable[tuple[datetime, float]], config: SpikeConfig | None = None) -> Iterator[ScoredPoint]:
    """Run a fresh :class:`SpikeDetector` over ``(timestamp, count)`` points, in the order given."""
    detector = SpikeDetector(config or SpikeConfig())
    for timestamp, value in points:
        score, alert = detector.update(value, timestamp)
        yield ScoredPoint(timestamp, value, score, alert)
