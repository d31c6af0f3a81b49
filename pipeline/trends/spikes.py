"""Online spike detection on a mention-count series (the crisis agent's trigger and ``veille spikes``).

Each new count is first added to the volume of the last ``window`` (an hour by default), so that a
burst that lasts is seen as one rise rather than a string of small ones. That volume is compared
with the volumes seen at the same time of day over the last ``history`` days:

- volumes are square-rooted, so that noise is about the same size whether a brand gets 3 or 3,000
  mentions (the square root of a Poisson count has a standard deviation of about 0.5);
- the baseline is the median of those roots in the same time-of-day slot, and the spread their
  median absolute deviation, never below 0.5 (pure counting noise);
- the score is the robust z-score of the new volume against that baseline.

An alert fires when the score reaches ``threshold`` *and* is among the highest ``1 - quantile`` of the
series' own scores over ``history`` (a brand that is always bursty needs a bigger burst), the volume
is at least ``min_volume``, the ``warmup`` is over, and no alert fired within ``cooldown`` (so one
burst gives one alert).

:class:`SpikeDetector` holds the state of one series and is updated one point at a time (its
``to_state``/``from_state`` let an agent keep it in a table); :func:`detect_spikes` runs it over a
whole series.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any, NamedTuple

POISSON_SQRT_SD = 0.5
MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class SpikeConfig:
    threshold: float = 6.0
    quantile: float = 0.99
    min_volume: float = 5.0
    window: timedelta = timedelta(hours=1)
    history: timedelta = timedelta(days=7)
    warmup: timedelta = timedelta(days=2)
    cooldown: timedelta = timedelta(hours=12)
    slot_minutes: int = 60
    min_slot_samples: int = 6

    def __post_init__(self) -> None:
        if not 0 < self.slot_minutes <= 1440 or 1440 % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day (1440 minutes)")
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if self.min_slot_samples < 1:
            raise ValueError("min_slot_samples must be at least 1")
        if not 0 <= self.quantile <= 1:
            raise ValueError("quantile must be between 0 and 1")
        if self.window <= timedelta(0) or self.history <= timedelta(0):
            raise ValueError("window and history must be positive durations")


class SpikePoint(NamedTuple):
    score: float
    alert: bool


class SpikeAssessment(NamedTuple):
    """A look at the volume of the current window while its last interval is still filling."""

    score: float
    volume: float
    expected: float  # the baseline volume (the median's square)
    spiking: bool  # every alert condition but the detector's own cooldown holds


@dataclass(slots=True)
class SpikeDetector:
    """State of one count series: about ``history`` worth of square-rooted volumes and scores.

    Feed it one count per interval, zeros included (a quiet interval is information: skipping it
    would raise the baseline).

    ``update`` costs a median over one time-of-day slot (about 84 values by default) and, only when
    every other alert condition holds, a sort of the recent scores.
    """

    config: SpikeConfig = field(default_factory=SpikeConfig)
    _slots: dict[int, deque[tuple[datetime, float]]] = field(default_factory=dict, init=False, repr=False)
    _window: deque[tuple[datetime, float]] = field(default_factory=deque, init=False, repr=False)
    _scores: deque[tuple[datetime, float]] = field(default_factory=deque, init=False, repr=False)
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
        """Score one count and say whether it opens a new alert.

        A point older than the newest one seen is scored but not learnt (a late, out-of-order point
        must not shift the baseline backwards).
        """
        if value < 0 or math.isnan(value):
            raise ValueError(f"a count must be a non-negative number, got {value!r}")
        in_order = self._last_seen is None or timestamp > self._last_seen
        if self._first_seen is None:
            self._first_seen = timestamp
        if in_order:
            self._forget_scores_before(timestamp - self.config.history)
        volume = self._add_to_window(value, timestamp) if in_order else sum(v for _, v in self._window) + value
        root = math.sqrt(volume)
        centre, spread, samples = self.baseline(timestamp)
        score = (root - centre) / spread if samples >= self.config.min_slot_samples else 0.0
        alert = (
            score >= self.config.threshold
            and volume >= self.config.min_volume
            and timestamp - self._first_seen >= self.config.warmup
            and (self._last_alert is None or timestamp - self._last_alert >= self.config.cooldown)
            and score >= self._recent_score_quantile()
        )
        if alert:
            self._last_alert = timestamp
        if in_order:
            self._last_seen = timestamp
            self._slot_history(timestamp).append((timestamp, root))
            self._scores.append((timestamp, score))
        return SpikePoint(round(score, 4), alert)

    def peek(self, partial: float, timestamp: datetime) -> SpikeAssessment:
        """Score the volume of the window ending with an interval that is still filling (``partial`` so far,
        starting at ``timestamp``), without learning anything: the crisis agent calls it on every batch so an
        alert does not wait for the interval to close. The alert lifecycle, not this detector, decides how
        often a person is told."""
        oldest_kept = timestamp - self.config.window
        volume = sum(value for moment, value in self._window if moment > oldest_kept) + partial
        centre, spread, samples = self.baseline(timestamp)
        score = (math.sqrt(volume) - centre) / spread if samples >= self.config.min_slot_samples else 0.0
        spiking = (
            score >= self.config.threshold
            and volume >= self.config.min_volume
            and self._first_seen is not None and timestamp - self._first_seen >= self.config.warmup
            and score >= self._recent_score_quantile()
        )
        return SpikeAssessment(round(score, 4), volume, round(centre * centre, 2), spiking)

    def to_state(self) -> dict[str, Any]:
        """A JSON-ready copy of the state (without the config), for a Faust table or a restart."""
        aware = self._first_seen is not None and self._first_seen.tzinfo is not None

        def seconds(moment: datetime | None) -> float | None:
            if moment is None:
                return None
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

        def pairs(items: Iterable[tuple[datetime, float]]) -> list[list[float]]:
            return [[seconds(moment), value] for moment, value in items]

        return {
            "aware": aware,
            "slots": {str(slot): pairs(history) for slot, history in self._slots.items() if history},
            "window": pairs(self._window),
            "scores": pairs(self._scores),
            "first_seen": seconds(self._first_seen),
            "last_seen": seconds(self._last_seen),
            "last_alert": seconds(self._last_alert),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: SpikeConfig | None = None) -> SpikeDetector:
        """Rebuild a detector from :meth:`to_state`; it goes on exactly where the saved one stopped."""
        aware = bool(state["aware"])

        def moment(seconds: float | None) -> datetime | None:
            if seconds is None:
                return None
            restored = datetime.fromtimestamp(seconds, UTC)
            return restored if aware else restored.replace(tzinfo=None)

        def pairs(items: Iterable[list[float]]) -> deque[tuple[datetime, float]]:
            return deque((moment(seconds), value) for seconds, value in items)

        detector = cls(config or SpikeConfig())
        detector._slots = {int(slot): pairs(history) for slot, history in state["slots"].items()}
        detector._window = pairs(state["window"])
        detector._scores = pairs(state["scores"])
        detector._first_seen = moment(state["first_seen"])
        detector._last_seen = moment(state["last_seen"])
        detector._last_alert = moment(state["last_alert"])
        return detector

    def _add_to_window(self, value: float, timestamp: datetime) -> float:
        self._window.append((timestamp, value))
        oldest_kept = timestamp - self.config.window
        while self._window[0][0] <= oldest_kept:
            self._window.popleft()
        return sum(v for _, v in self._window)

    def _forget_scores_before(self, oldest_kept: datetime) -> None:
        while self._scores and self._scores[0][0] < oldest_kept:
            self._scores.popleft()

    def _recent_score_quantile(self) -> float:
        if not self._scores:
            return -math.inf
        ordered = sorted(score for _, score in self._scores)
        return ordered[min(len(ordered) - 1, int(self.config.quantile * (len(ordered) - 1)))]

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
