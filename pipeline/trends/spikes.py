"""Online spike detection on a mention-count series (the crisis agent's trigger and ``veille spikes``).

Each new count is added to the volume of the last ``window`` (an hour by default), so that a burst
that lasts is seen as one rise rather than a string of small ones. That volume is compared with what
the same time slot (an hour of the day by default) usually gets:

- counts are also summed per slot; the baseline of a slot is the median of the square roots of its
  past totals, taken from the most specific history there is: the same slot on the same weekday over
  the last ``weeks`` weeks when ``min_weekday_samples`` of them exist, else the same slot of the day
  over ``history`` when ``min_slot_samples`` days exist, else every slot of the last day (no
  seasonality yet, a wide spread: a watch is usable from its first day);
- square roots, because the noise of a count then is about the same size whether a brand gets 3 or
  3,000 mentions (the square root of a Poisson count has a standard deviation of about 0.5);
- the spread is the median absolute deviation of those roots (on a weekday baseline, never below the
  one of the same slot of every day: three or four weeks can agree by chance), and never below the
  larger of 0.5 (pure counting noise) and ``relative_spread`` times the baseline (busy series vary in
  proportion to their size, so a steady 30 % rise on a big brand is not a crisis); a median over
  several days is not dragged down by one quiet day;
- the score is the robust z-score of the window's volume against the baseline of the slots the window
  covers (interpolated by overlap).

An alert opens when the score reaches ``threshold`` *and* ``peak_ratio`` times the series' usual daily
peak (the ``quantile``, the median by default, of its daily maximum scores over the last ``peak_days``
days: a brand that is always bursty needs a bigger burst, a calm one a smaller one), the volume is at
least ``min_volume``, the ``warmup`` is over, the previous episode has ended (its score fell back
below ``threshold``) and no alert opened within ``cooldown``: one burst gives one alert. Within
``aftermath`` of an alert, a new episode must also reach ``aftermath_ratio`` times the highest score
of the alerted one: the aftershocks of a big burst (a story that keeps being talked about for a day or
two, smaller each time) are not news, a second burst as big as the first is. The warm-up is four days
by default: the hour-of-day baselines and the usual daily peak of fewer days are too thin to alert on
(a backfill, :meth:`SpikeDetector.with_history`, counts as seen days).

The defaults are the candidate settings with the best window F1 on NAB's realTweets development series
(``bench/bench_spikes.py``, which also scores them leave-one-series-out).

The state is bounded whatever the run length: the slot totals of ``max(history, weeks)``, the daily
score maxima of ``peak_days`` and the points of one window (about 5 KB as JSON at 5-minute points).

:class:`SpikeDetector` holds the state of one series and is updated one point at a time (its
``to_state``/``from_state`` let an agent keep it in a table); :func:`detect_spikes` runs it over a
whole series.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any, NamedTuple

from pipeline.timestamps import epoch_seconds, from_epoch_seconds

POISSON_SQRT_SD = 0.5
MAD_TO_SD = 1.4826
STATE_VERSION = 2
POOLED_MIN_SAMPLES = 6  # slots of the last day needed before any baseline exists


@dataclass(frozen=True, slots=True)
class SpikeConfig:
    threshold: float = 6.0
    quantile: float = 0.5
    min_volume: float = 5.0
    window: timedelta = timedelta(hours=1)
    history: timedelta = timedelta(days=7)
    warmup: timedelta = timedelta(days=4)
    cooldown: timedelta = timedelta(hours=12)
    aftermath: timedelta = timedelta(hours=72)
    aftermath_ratio: float = 0.75
    slot_minutes: int = 60
    min_slot_samples: int = 3
    weeks: int = 4
    min_weekday_samples: int = 3
    relative_spread: float = 0.1
    peak_ratio: float = 3.0
    peak_days: int = 14

    def __post_init__(self) -> None:
        if not 0 < self.slot_minutes <= 1440 or 1440 % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day (1440 minutes)")
        if self.threshold <= 0:
            raise ValueError("threshold must be positive")
        if self.min_slot_samples < 1 or self.min_weekday_samples < 1:
            raise ValueError("min_slot_samples and min_weekday_samples must be at least 1")
        if not 0 <= self.quantile <= 1:
            raise ValueError("quantile must be between 0 and 1")
        if self.window <= timedelta(0) or self.history < timedelta(days=1):
            raise ValueError("window must be positive and history at least a day")
        if self.weeks < 0 or self.relative_spread < 0 or self.peak_ratio < 0:
            raise ValueError("weeks, relative_spread and peak_ratio cannot be negative")
        if self.aftermath < timedelta(0) or self.aftermath_ratio < 0:
            raise ValueError("aftermath and aftermath_ratio cannot be negative")
        if self.peak_days < 1:
            raise ValueError("peak_days must be at least 1")

    @property
    def slot_seconds(self) -> int:
        return self.slot_minutes * 60

    @property
    def slots_per_day(self) -> int:
        return 1440 // self.slot_minutes

    @property
    def history_days(self) -> int:
        return max(1, int(self.history / timedelta(days=1)))

    @property
    def kept_slots(self) -> int:
        """How many past slot totals the detector keeps (the longer of ``history`` and ``weeks``)."""
        return self.slots_per_day * max(self.history_days, 7 * self.weeks)


class SpikePoint(NamedTuple):
    score: float
    alert: bool


class SpikeAssessment(NamedTuple):
    """A look at the volume of the current window while its last interval is still filling."""

    score: float
    volume: float
    expected: float  # the baseline volume (the median's square)
    spiking: bool  # every alert condition but the detector's own cooldown and aftermath rule holds


@dataclass(slots=True)
class SpikeDetector:
    """State of one count series: past slot totals, recent score maxima and the current window.

    Feed it one count per interval, zeros included (a quiet interval is information: skipping it
    would raise the baseline).
    """

    config: SpikeConfig = field(default_factory=SpikeConfig)
    _slot: int | None = field(default=None, init=False)  # the slot being filled (index since the epoch)
    _slot_total: float = field(default=0.0, init=False)
    _totals: deque[float | None] = field(default_factory=deque, init=False, repr=False)  # slots before _slot
    _day: int | None = field(default=None, init=False)  # the day being filled (days since the epoch)
    _day_max: float | None = field(default=None, init=False)
    _day_maxima: deque[float] = field(default_factory=deque, init=False, repr=False)  # days before _day
    _window: deque[tuple[datetime, float]] = field(default_factory=deque, init=False, repr=False)
    _first_seen: datetime | None = field(default=None, init=False)
    _last_seen: datetime | None = field(default=None, init=False)
    _last_alert: datetime | None = field(default=None, init=False)
    _in_episode: bool = field(default=False, init=False)
    _episode_peak: float | None = field(default=None, init=False)  # highest score of the last alerted episode
    _stats: dict[int, tuple[float, float, int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._totals = deque(maxlen=self.config.kept_slots)
        self._day_maxima = deque(maxlen=self.config.peak_days)

    def baseline(self, timestamp: datetime) -> tuple[float, float, int]:
        """(median, spread, samples) of the square-rooted volume of the window ending at ``timestamp``.

        Interpolated between the slots the window covers; ``samples`` is the fewest past totals
        behind any of them (0: no baseline yet).
        """
        config = self.config
        end = epoch_seconds(timestamp)
        width = config.window.total_seconds()
        start = end - width
        centre = spread = 0.0
        samples: int | None = None
        slot = math.floor(start / config.slot_seconds)
        while slot * config.slot_seconds < end:
            overlap = min(end, (slot + 1) * config.slot_seconds) - max(start, slot * config.slot_seconds)
            slot_centre, slot_spread, slot_samples = self._slot_stats(slot)
            centre += overlap / width * slot_centre
            spread += overlap / width * slot_spread
            samples = slot_samples if samples is None else min(samples, slot_samples)
            slot += 1
        scale = math.sqrt(width / config.slot_seconds)
        centre *= scale
        spread = max(spread * scale, POISSON_SQRT_SD, config.relative_spread * centre)
        return centre, spread, samples or 0

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
            self._move_to_slot(math.floor(epoch_seconds(timestamp) / self.config.slot_seconds))
            volume = self._add_to_window(value, timestamp)
        else:
            volume = sum(v for _, v in self._window) + value
        score = self._score(volume, timestamp)
        if score < self.config.threshold:
            self._in_episode = False
        elif self._in_episode and in_order and self._episode_peak is not None:
            self._episode_peak = max(self._episode_peak, score)
        alert = (
            not self._in_episode
            and self._could_alert(score, volume, timestamp)
            and (self._last_alert is None or timestamp - self._last_alert >= self.config.cooldown)
            and not self._is_aftershock(score, timestamp)
        )
        if alert:
            self._last_alert = timestamp
            self._in_episode = True
            self._episode_peak = score
        if in_order:
            self._last_seen = timestamp
            self._slot_total += value
            self._note_day_max(score, timestamp)
        return SpikePoint(round(score, 4), alert)

    def peek(self, partial: float, timestamp: datetime) -> SpikeAssessment:
        """Score the volume of the window ending with an interval that is still filling (``partial`` so far,
        starting at ``timestamp``), without learning anything: the crisis agent calls it on every batch so an
        alert does not wait for the interval to close. The alert lifecycle, not this detector, decides how
        often a person is told."""
        oldest_kept = timestamp - self.config.window
        volume = sum(value for moment, value in self._window if moment > oldest_kept) + partial
        score = self._score(volume, timestamp)
        centre = self.baseline(timestamp)[0]
        return SpikeAssessment(round(score, 4), volume, round(centre * centre, 2), self._could_alert(score, volume, timestamp))

    def to_state(self) -> dict[str, Any]:
        """A JSON-ready copy of the state (without the config), for a Faust table or a restart."""

        def seconds(moment: datetime | None) -> float | None:
            return None if moment is None else epoch_seconds(moment)

        def compact(number: float | None, digits: int) -> float | int | None:
            if number is None:
                return None
            rounded = round(number, digits)
            return int(rounded) if rounded == int(rounded) else rounded

        return {
            "version": STATE_VERSION,
            "aware": self._first_seen is not None and self._first_seen.tzinfo is not None,
            "slot": self._slot,
            "slot_total": compact(self._slot_total, 6),
            "totals": [compact(total, 6) for total in self._totals],
            "day": self._day,
            "day_max": compact(self._day_max, 4),
            "day_maxima": [compact(score, 4) for score in self._day_maxima],
            "window": [[seconds(moment), compact(value, 6)] for moment, value in self._window],
            "first_seen": seconds(self._first_seen),
            "last_seen": seconds(self._last_seen),
            "last_alert": seconds(self._last_alert),
            "in_episode": self._in_episode,
            "episode_peak": compact(self._episode_peak, 4),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: SpikeConfig | None = None) -> SpikeDetector:
        """Rebuild a detector from :meth:`to_state`; it goes on exactly where the saved one stopped.

        A state saved by the first version of the detector (per-point slot histories) cannot be turned
        into slot totals exactly: the detector starts afresh and learns its baseline again.
        """
        detector = cls(config or SpikeConfig())
        if state.get("version") != STATE_VERSION:
            return detector
        aware = bool(state["aware"])

        def moment(seconds: float | None) -> datetime | None:
            if seconds is None:
                return None
            restored = from_epoch_seconds(seconds)
            return restored if aware else restored.replace(tzinfo=None)

        detector._slot = state["slot"]
        detector._slot_total = state["slot_total"]
        detector._totals.extend(state["totals"])
        detector._day = state["day"]
        detector._day_max = state["day_max"]
        detector._day_maxima.extend(state["day_maxima"])
        detector._window = deque((moment(seconds), value) for seconds, value in state["window"])
        detector._first_seen = moment(state["first_seen"])
        detector._last_seen = moment(state["last_seen"])
        detector._last_alert = moment(state["last_alert"])
        detector._in_episode = bool(state["in_episode"])
        detector._episode_peak = state.get("episode_peak")  # absent from states saved before the aftermath rule
        return detector

    def with_history(self, older: SpikeDetector) -> SpikeDetector:
        """This detector with the baselines ``older`` learnt from an earlier stretch of the same series (a
        backfill): ``older``'s points must all be before this detector's first one (the caller drops the
        others, so no interval is counted twice). Slot totals and daily score maxima are joined in time order
        (a slot or day both saw is summed, or its maxima taken); the current window, the alert episode and
        the cooldown stay this detector's. The first point seen becomes ``older``'s, which ends the warm-up
        as soon as the history covers it."""
        if older._slot is None:
            return self
        if self._slot is None:
            return older
        if older._last_seen >= self._first_seen:
            raise ValueError("the history must end before the first point this detector has learnt")
        merged = SpikeDetector(self.config)
        live_start = self._slot - len(self._totals)
        totals: dict[int, float | None] = {}
        for offset, total in enumerate(older._totals):
            totals[older._slot - len(older._totals) + offset] = total
        totals[older._slot] = older._slot_total
        for offset, total in enumerate(self._totals):
            slot = live_start + offset
            before = totals.get(slot)
            totals[slot] = total if before is None else before + (total or 0.0)
        oldest = min(totals)
        merged._totals.extend(totals.get(slot) for slot in range(max(oldest, self._slot - merged._totals.maxlen), self._slot))
        merged._slot = self._slot
        merged._slot_total = self._slot_total + (older._slot_total if older._slot == self._slot else 0.0)
        first_day = math.floor(epoch_seconds(self._first_seen) / 86400)
        older_days = list(older._day_maxima)
        boundary_max = older._day_max if older._day == first_day else None
        if older._day_max is not None and older._day != first_day:
            older_days.append(older._day_max)
        live_days = list(self._day_maxima)
        merged._day, merged._day_max = self._day, self._day_max
        if boundary_max is not None:
            if live_days and len(live_days) < merged._day_maxima.maxlen:  # the first live day is still kept
                live_days[0] = max(live_days[0], boundary_max)
            elif not live_days and self._day == first_day:
                merged._day_max = boundary_max if self._day_max is None else max(self._day_max, boundary_max)
        merged._day_maxima.extend(older_days + live_days)
        merged._window = deque(self._window)
        merged._first_seen = older._first_seen
        merged._last_seen = self._last_seen
        merged._last_alert = self._last_alert
        merged._in_episode = self._in_episode
        merged._episode_peak = self._episode_peak
        return merged

    def _score(self, volume: float, timestamp: datetime) -> float:
        centre, spread, samples = self.baseline(timestamp)
        return (math.sqrt(volume) - centre) / spread if samples else 0.0

    def _could_alert(self, score: float, volume: float, timestamp: datetime) -> bool:
        return (
            score >= self.config.threshold
            and volume >= self.config.min_volume
            and self._first_seen is not None
            and timestamp - self._first_seen >= self.config.warmup
            and score >= self._peak_gate()
        )

    def _is_aftershock(self, score: float, timestamp: datetime) -> bool:
        """Within ``aftermath`` of the last alert, a score below ``aftermath_ratio`` times that episode's peak."""
        return (
            self._last_alert is not None
            and self._episode_peak is not None
            and timestamp - self._last_alert < self.config.aftermath
            and score < self.config.aftermath_ratio * self._episode_peak
        )

    def _move_to_slot(self, slot: int) -> None:
        """Close the slot being filled (and any the series skipped) when a point of a later slot arrives."""
        if self._slot is None:
            self._slot = slot
            return
        if slot <= self._slot:
            return
        self._totals.append(self._slot_total)
        for _ in range(min(slot - self._slot - 1, self._totals.maxlen or 0)):
            self._totals.append(None)
        self._slot, self._slot_total = slot, 0.0
        self._stats.clear()

    def _past_total(self, slot: int) -> float | None:
        """The total of a closed slot still kept, else None."""
        if self._slot is None:
            return None
        back = self._slot - slot  # 1: the slot just before the one being filled
        return self._totals[-back] if 1 <= back <= len(self._totals) else None

    def _slot_stats(self, slot: int) -> tuple[float, float, int]:
        """(median, spread, samples) of the square-rooted totals that make the baseline of ``slot``."""
        if slot in self._stats:
            return self._stats[slot]
        config, day = self.config, self.config.slots_per_day

        def roots(step: int, count: int) -> list[float]:
            totals = (self._past_total(slot - k * step) for k in range(1, count + 1))
            return [math.sqrt(total) for total in totals if total is not None]

        def robust(values: list[float]) -> tuple[float, float, int]:
            centre = median(values)
            return centre, MAD_TO_SD * median(abs(root - centre) for root in values), len(values)

        daily = roots(day, config.history_days)
        if len(daily) < config.min_slot_samples:
            newest = self._slot if self._slot is not None and slot >= self._slot else slot
            pooled = [math.sqrt(t) for k in range(1, day + 1) if (t := self._past_total(newest - k)) is not None]
            stats = robust(pooled) if len(pooled) >= POOLED_MIN_SAMPLES else (0.0, 0.0, 0)
        else:
            stats = robust(daily)
            weekly = roots(7 * day, config.weeks) if config.weeks else []
            if len(weekly) >= config.min_weekday_samples:
                # the weekday's own level, but never a narrower spread than the same slot of every day shows:
                # three or four weekly samples can agree by chance
                centre, spread, samples = robust(weekly)
                stats = (centre, max(spread, stats[1]), samples)
        self._stats[slot] = stats
        return stats

    def _add_to_window(self, value: float, timestamp: datetime) -> float:
        self._window.append((timestamp, value))
        oldest_kept = timestamp - self.config.window
        while self._window[0][0] <= oldest_kept:
            self._window.popleft()
        return sum(v for _, v in self._window)

    def _note_day_max(self, score: float, timestamp: datetime) -> None:
        day = math.floor(epoch_seconds(timestamp) / 86400)
        if self._day is not None and day > self._day and self._day_max is not None:
            self._day_maxima.append(self._day_max)
            self._day_max = None
        self._day = day
        self._day_max = score if self._day_max is None else max(self._day_max, score)

    def _peak_gate(self) -> float:
        """``peak_ratio`` times the ``quantile`` of the daily score maxima of the last ``peak_days`` days."""
        if not self._day_maxima:
            return -math.inf
        maxima = sorted(self._day_maxima)
        return self.config.peak_ratio * maxima[min(len(maxima) - 1, int(self.config.quantile * (len(maxima) - 1)))]


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
