"""Crisis detection for one watch, as a pure state machine the crisis agent keeps per watch.

Signals are counted in event-time intervals (five minutes by default) for four series: every mention,
negative ones, complaints and trolls. An interval closes when the newest signal is ``lateness`` past its
end; closed intervals (zeros included) teach each series' :class:`SpikeDetector` its baseline. On every
:meth:`WatchMonitor.assess` the window that ends with the interval still filling is scored with
:meth:`SpikeDetector.peek` (closed and open intervals alike), so a burst raises an alert within seconds,
not when an interval closes. That is why ``lateness`` can be long (three hours): it only delays what the
baseline learns, and it absorbs the disorder of a fast replay, where partitions are read hours of event
time apart. A signal later than that counts in the oldest open interval, outside the scored window.

Volume, negative and complaint spikes of a watch are one incident (a crisis), reported under the most
specific series that spikes (complaint, then negative, then volume); a troll spike is another incident.
Each detection explains itself: observed and usual volume, top terms, sample mentions (widest reach
first), and whether the spike looks like a coordinated raid.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.alerts.model import Detection, Severity
from pipeline.alerts.raid import RaidConfig, SpikeMention, raid_verdict
from pipeline.trends.signals import Signal
from pipeline.trends.spikes import SpikeAssessment, SpikeConfig, SpikeDetector
from pipeline.trends.terms import Term

SERIES = ("volume_spike", "negative_spike", "complaint_spike", "troll_spike")
CRISIS_PREFERENCE = ("complaint_spike", "negative_spike", "volume_spike")
LABELS = {"volume_spike": "", "negative_spike": "negative ", "complaint_spike": "complaint ", "troll_spike": "troll "}
MAX_FUTURE = timedelta(minutes=10)


def _in_series(signal: Signal, series: str) -> bool:
    if series == "negative_spike":
        return signal.negative
    if series == "complaint_spike":
        return signal.complaint
    if series == "troll_spike":
        return signal.troll
    return True


@dataclass(frozen=True, slots=True)
class CrisisConfig:
    spike: SpikeConfig = field(default_factory=lambda: SpikeConfig(warmup=timedelta(hours=24)))
    interval: timedelta = timedelta(minutes=5)
    lateness: timedelta = timedelta(hours=3)
    critical_threshold: float = 12.0
    recent_limit: int = 1000
    samples: int = 10
    top_terms: int = 8
    raid: RaidConfig = field(default_factory=RaidConfig)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0) or self.spike.window < self.interval:
            raise ValueError("interval must be positive and no longer than the spike window")
        if self.critical_threshold < self.spike.threshold:
            raise ValueError("critical_threshold must be at least the spike threshold")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class WatchMonitor:
    """Counts, baselines and recent evidence of one watch. ``observe`` signals, then ``assess``."""

    def __init__(self, watch: str, config: CrisisConfig | None = None):
        self.watch = watch
        self.config = config or CrisisConfig()
        self.detectors = {series: SpikeDetector(self.config.spike) for series in SERIES}
        self.open: dict[int, Counter[str]] = {}  # interval start (epoch s) → counts per series
        self.closed_until: int | None = None  # start of the oldest interval still open
        self.first_start: int | None = None  # earliest interval with a signal: nothing before it is "quiet"
        self.watermark: int | None = None  # newest event time seen (epoch s)
        self.recent: deque[Signal] = deque(maxlen=self.config.recent_limit)
        self.late = 0

    @property
    def _interval(self) -> int:
        return int(self.config.interval.total_seconds())

    def observe(self, signal: Signal, now: datetime | None = None) -> None:
        """Count one signal. A signal dated in the future (a clock off by more than ten minutes) counts now."""
        at = signal.at
        if now is not None and at > now + MAX_FUTURE:
            at = now
        seconds = _epoch(at)
        start = seconds - seconds % self._interval
        if self.closed_until is None:
            lateness = int(self.config.lateness.total_seconds())
            self.closed_until = start - lateness + lateness % self._interval
        if start < self.closed_until:  # its interval is closed already: count it in the oldest open one
            start = self.closed_until
            self.late += 1
        self.first_start = start if self.first_start is None else min(self.first_start, start)
        counts = self.open.setdefault(start, Counter())
        for series in SERIES:
            if _in_series(signal, series):
                counts[series] += 1
        self.watermark = seconds if self.watermark is None else max(self.watermark, seconds)
        self.recent.append(signal)
        self._close_intervals()

    def _close_intervals(self) -> None:
        limit = self.watermark - int(self.config.lateness.total_seconds())
        first_open = self.closed_until
        end = limit - limit % self._interval  # intervals starting before `end` and ending by `limit` close
        if end <= first_open:
            return
        history = int(self.config.spike.history.total_seconds())
        start = max(first_open, end - history - history % self._interval)  # a long silence: zeros for one history at most
        for key in [k for k in self.open if k < start]:
            del self.open[key]
        for interval_start in range(max(start, self.first_start), end, self._interval):
            counts = self.open.pop(interval_start, Counter())
            for series in SERIES:
                self.detectors[series].update(counts[series], _moment(interval_start))
        self.closed_until = end

    def _current_start(self) -> int:
        return max(self.open) if self.open else self.closed_until

    def forget_authors(self, is_erased: Callable[[str, str], bool]) -> int:
        """Drop the recent evidence (texts, authors) of authors ``is_erased(platform, author_id)`` says were
        erased; the counts stay (they hold nothing personal). The number dropped."""
        kept = [s for s in self.recent if not (s.author and is_erased(s.id.split(":", 1)[0], s.author))]
        dropped = len(self.recent) - len(kept)
        if dropped:
            self.recent.clear()
            self.recent.extend(kept)
        return dropped

    def assess(self) -> list[Detection]:
        """The incidents spiking now: at most one crisis (volume/negative/complaint) and one troll spike."""
        if self.watermark is None:
            return []
        start = self._current_start()
        moment = _moment(start)
        in_window = [counts for begin, counts in self.open.items()
                     if begin > start - self.config.spike.window.total_seconds()]
        partial = {series: sum(counts[series] for counts in in_window) for series in SERIES}
        assessments = {series: self.detectors[series].peek(partial[series], moment) for series in SERIES}
        detections = []
        crisis = next((s for s in CRISIS_PREFERENCE if assessments[s].spiking), None)
        for series in (crisis, "troll_spike" if assessments["troll_spike"].spiking else None):
            if series:
                detections.append(self._detection(series, assessments[series]))
        return detections

    def _evidence(self, series: str) -> tuple[list[Signal], list[Signal]]:
        """The series' mentions of the last two intervals (what is happening now) and the older recent ones."""
        since = self.watermark - 2 * self._interval
        now, before = [], []
        for signal in self.recent:
            if _in_series(signal, series):
                (now if _epoch(signal.at) > since else before).append(signal)
        return now, before

    def _top_terms(self, spike: list[Signal], background: list[Signal]) -> list[str]:
        """Terms over-represented in the spike compared with the mentions before it (Poisson score, as trends)."""
        name = self.watch.casefold()

        def counts(signals: list[Signal]) -> Counter[Term]:
            return Counter(term for signal in signals for term in signal.terms
                           if term.kind != "mention" and term.text.lstrip("#") != name)

        current, usual = counts(spike), counts(background)
        scale = len(spike) / len(background) if background else 1.0
        scored = sorted((-(2 * (math.sqrt(n) - math.sqrt((usual[term] + 0.5) * scale))), term.text)
                        for term, n in current.items() if n >= 2)
        return [text for score, text in scored[: self.config.top_terms] if score < 0]

    def _detection(self, series: str, assessment: SpikeAssessment) -> Detection:
        evidence, background = self._evidence(series)
        samples = sorted(evidence, key=lambda s: (-(s.followers or 0), -_epoch(s.at)))[: self.config.samples]
        spike_mentions = [SpikeMention(s.id, s.text, s.author, s.at, s.followers) for s in evidence]
        verdict = raid_verdict(spike_mentions, _moment(self.watermark), self.config.raid)
        top_terms = self._top_terms(evidence, background)
        severity = Severity.critical if assessment.score >= self.config.critical_threshold else Severity.warning
        window = self.config.spike.window
        window_text = f"{window.total_seconds() / 3600:g} h" if window >= timedelta(hours=1) else f"{window.total_seconds() / 60:g} min"
        ratio = assessment.volume / assessment.expected if assessment.expected > 0 else float("inf")
        ratio_text = f"×{ratio:.1f}" if ratio != float("inf") else "never seen at this hour"
        label = LABELS[series]
        explanation = (
            f"{assessment.volume:.0f} {label}mentions of {self.watch} in the last {window_text}, where about "
            f"{assessment.expected:.0f} are usual at this time of day ({ratio_text}, robust z-score {assessment.score:.1f}, "
            f"alert threshold {self.config.spike.threshold:g}). "
            + (f"Top terms: {', '.join(top_terms)}. " if top_terms else "")
            + verdict.explanation()
        )
        return Detection(
            watch=self.watch, kind=series, severity=severity,
            title=f"{label.strip().capitalize() or 'Volume'} spike on {self.watch}: {assessment.volume:.0f} mentions "
                  f"in {window_text} (usually {assessment.expected:.0f})",
            explanation=explanation, top_terms=top_terms, sample_ids=[s.id for s in samples],
            baseline=assessment.expected, observed=assessment.volume, score=assessment.score,
            verdict=verdict.verdict,
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "watch": self.watch,
            "detectors": {series: detector.to_state() for series, detector in self.detectors.items()},
            "open": {str(start): dict(counts) for start, counts in self.open.items()},
            "closed_until": self.closed_until,
            "first_start": self.first_start,
            "watermark": self.watermark,
            "recent": [signal.to_json() for signal in self.recent],
            "late": self.late,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: CrisisConfig | None = None) -> WatchMonitor:
        monitor = cls(state["watch"], config)
        monitor.detectors = {series: SpikeDetector.from_state(detector, monitor.config.spike)
                             for series, detector in state["detectors"].items()}
        monitor.open = {int(start): Counter(counts) for start, counts in state["open"].items()}
        monitor.closed_until = state["closed_until"]
        monitor.first_start = state.get("first_start")
        monitor.watermark = state["watermark"]
        monitor.recent.extend(Signal.from_json(signal) for signal in state["recent"])
        monitor.late = state.get("late", 0)
        return monitor
