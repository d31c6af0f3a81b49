"""Crisis detection for one watch, as a pure state machine the crisis agent keeps per watch.

Signals are counted per ``tick`` (ten seconds of event time) for four series: every mention, negative
ones, complaints and trolls. **Event time drives everything**, not the order or the speed at which
signals arrive:

- the *watermark* is the slowest ``mentions.raw`` partition's newest event time (each signal says which
  partition its mention was read from; a partition says nothing new for ``idle_after`` of wall-clock
  time no longer holds it back, and it never lags the newest signal by more than ``max_skew``). Every
  mention older than the watermark has arrived, whatever the replay speed or the order partitions were
  read in. Once every partition is idle, the watermark moves to the end of the newest signal's tick,
  so a burst followed by silence is assessed too (the agent calls :meth:`advance` on a timer);
- as the watermark passes each tick boundary, in order, the intervals (five minutes) that end there
  close and teach each series' :class:`SpikeDetector` its baseline (zeros included), and the window
  that ends at that boundary is scored with :meth:`SpikeDetector.peek` (the interval still filling
  included): :meth:`WatchMonitor.advance` returns the detections with the event time they were made at.
  A burst raises its alert one tick after it starts, and the same stream raises the same alerts at the
  same event times however it is batched;
- a signal older than the watermark is *late*: counted in its own tick if its interval is still open,
  else only in ``late`` (adding it to another interval is what made fast replays raise false alarms).

Volume, negative and complaint spikes of a watch are one incident (a crisis), reported under the most
specific series that spikes (complaint, then negative, then volume); a troll spike is another incident.
Each detection explains itself: observed and usual volume, top terms, sample mentions (widest reach
first), and whether the spike looks like a coordinated raid.

**Bounded by design.** The state holds no text. Evidence is kept per tick, for the last
``evidence_intervals`` intervals only, as at most ``evidence_sample`` mentions chosen by the lowest hash
of their id plus the ``evidence_reach`` widest-reaching (the same sample whatever the arrival order, so
explanations do not depend on batching either);
each piece of evidence is the mention's id, time, author, followers, flags, its text's sketch
(:func:`pipeline.alerts.raid.text_sketch`, for near-copies) and its first ``evidence_terms`` terms. The
baselines cover ``history`` at most, ``history / interval`` is capped (``MAX_BASELINE_POINTS``), and
pending counts are per tick over ``max_skew`` at most. What :meth:`WatchMonitor.to_state` returns is bounded by the configuration, not by the
traffic; the agent stores it in records of bounded size (pipeline/trends/records.py).
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipeline.alerts.model import CATEGORY_SERIES, Detection, Severity
from pipeline.alerts.raid import RaidConfig, SpikeMention, raid_verdict
from pipeline.categories import CRISIS_INCIDENT
from pipeline.trends.signals import Signal
from pipeline.trends.spikes import SpikeAssessment, SpikeConfig, SpikeDetector
from pipeline.timestamps import epoch_seconds, from_epoch_seconds
from pipeline.trends.terms import Term

if TYPE_CHECKING:
    from pipeline.trends.backfill import BackfillHistory

# Every mention, the negative ones, and one series per category that has one (pipeline/categories.py:
# complaint_spike joins the crisis incident, troll_spike is an incident of its own).
SERIES = ("volume_spike", "negative_spike", *CATEGORY_SERIES)
CRISIS_PREFERENCE = (*(s for s, c in CATEGORY_SERIES.items() if c.spike_incident == CRISIS_INCIDENT),
                     "negative_spike", "volume_spike")
OWN_INCIDENT_SERIES = tuple(s for s, c in CATEGORY_SERIES.items() if c.spike_incident != CRISIS_INCIDENT)
LABELS = {"volume_spike": "", "negative_spike": "negative ",
          **{s: f"{c.label_en} " for s, c in CATEGORY_SERIES.items()}}
MAX_FUTURE = timedelta(minutes=10)
MAX_BASELINE_POINTS = 4032  # 14 days of 5-minute intervals per series
STATE_VERSION = 2
NEGATIVE = 1
# one bit per series: negative 1, complaint 2, troll 4 (in the evidence the state keeps)
FLAG_OF_SERIES = {"negative_spike": NEGATIVE, **{s: 2 << i for i, s in enumerate(CATEGORY_SERIES)}}
LIKELY_FAKE = 1 << 16  # not a series: its author looks fake or automated (pipeline/authors/health.py)


def _flags(signal: Signal) -> int:
    return (NEGATIVE if signal.negative else 0) | (LIKELY_FAKE if signal.likely_fake else 0) | sum(
        FLAG_OF_SERIES[s] for s, c in CATEGORY_SERIES.items() if getattr(signal, c.name))


def _in_series(flags: int, series: str) -> bool:
    return bool(flags & FLAG_OF_SERIES[series]) if series in FLAG_OF_SERIES else True


@dataclass(frozen=True, slots=True)
class CrisisConfig:
    spike: SpikeConfig = field(default_factory=lambda: SpikeConfig(warmup=timedelta(hours=24)))
    interval: timedelta = timedelta(minutes=5)
    tick: timedelta = timedelta(seconds=10)
    source_partitions: int | None = None  # partitions of mentions.raw; None: the partitions seen so far
    idle_after: timedelta = timedelta(seconds=30)  # wall-clock silence after which a partition stops holding back
    max_skew: timedelta = timedelta(hours=48)
    critical_threshold: float = 12.0
    evidence_intervals: int = 12
    evidence_sample: int = 4  # per tick
    evidence_reach: int = 1
    evidence_terms: int = 12
    max_evidence: int = 2000
    samples: int = 10
    top_terms: int = 8
    raid: RaidConfig = field(default_factory=RaidConfig)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0) or self.spike.window < self.interval:
            raise ValueError("interval must be positive and no longer than the spike window")
        if self.tick <= timedelta(0) or self.interval % self.tick:
            raise ValueError("tick must be positive and divide the interval")
        if self.critical_threshold < self.spike.threshold:
            raise ValueError("critical_threshold must be at least the spike threshold")
        if self.spike.history / self.interval > MAX_BASELINE_POINTS:
            raise ValueError(f"history / interval must not exceed {MAX_BASELINE_POINTS} points per series")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the explanation of an alert needs of one mention; its text stays in Elasticsearch."""

    id: str
    at: int  # epoch seconds
    author: str
    followers: int | None
    flags: int
    sketch: str
    terms: tuple[Term, ...]
    rank: int  # crc32 of the id: the interval's sample keeps the lowest, whatever the arrival order

    def to_json(self) -> list:
        return [self.id, self.at, self.author, self.followers, self.flags, self.sketch,
                [[t.kind, t.text] for t in self.terms]]

    @classmethod
    def from_json(cls, data: list) -> Evidence:
        mention_id, at, author, followers, flags, sketch, terms = data
        return cls(mention_id, at, author, followers, flags, sketch, tuple(Term(k, t) for k, t in terms),
                   zlib.crc32(mention_id.encode()))


@dataclass(slots=True)
class IntervalEvidence:
    sample: list[Evidence] = field(default_factory=list)  # the lowest ranks
    reach: list[Evidence] = field(default_factory=list)  # the most followers

    def add(self, evidence: Evidence, sample_size: int, reach_size: int) -> None:
        if any(e.id == evidence.id for e in self.sample) or any(e.id == evidence.id for e in self.reach):
            return
        if len(self.sample) < sample_size:
            self.sample.append(evidence)
        else:
            worst = max(range(len(self.sample)), key=lambda i: (self.sample[i].rank, self.sample[i].id))
            if (evidence.rank, evidence.id) < (self.sample[worst].rank, self.sample[worst].id):
                self.sample[worst] = evidence
        if evidence.followers is not None and reach_size:
            self.reach.append(evidence)
            self.reach.sort(key=lambda e: (-(e.followers or 0), e.id))
            del self.reach[reach_size:]

    def all(self) -> list[Evidence]:
        return list({e.id: e for e in (*self.sample, *self.reach)}.values())


class WatchMonitor:
    """Counts, baselines and recent evidence of one watch. ``observe`` signals, then ``advance``."""

    def __init__(self, watch: str, config: CrisisConfig | None = None):
        self.watch = watch
        self.config = config or CrisisConfig()
        self.detectors = {series: SpikeDetector(self.config.spike) for series in SERIES}
        self.counts: dict[int, list[int]] = {}  # tick start (epoch s) → counts per series, ticks not yet closed
        self.closed_until: int | None = None  # start of the oldest interval still open
        self.assessed_until: int | None = None  # the last tick boundary assessed
        self.watermark: int | None = None
        self.newest: int | None = None  # newest event time seen
        self.partitions: dict[str, list[float]] = {}  # source partition → [newest event time, wall time last seen]
        self.first_wall: float | None = None
        self.evidence: dict[int, IntervalEvidence] = {}  # tick start → evidence (complete once the watermark passes)
        self.last_signal_at: int | None = None  # newest event time counted behind the watermark
        self.late = 0
        self._needed: dict[int, dict[str, float]] = {}
        self.spiking_at: dict[str, int] = {}  # incident ("crisis", "troll") → the last tick it was spiking at
        self._evidence_kept = 0  # at least the entries kept (recounted when it passes max_evidence)

    @property
    def _interval(self) -> int:
        return int(self.config.interval.total_seconds())

    @property
    def _tick(self) -> int:
        return int(self.config.tick.total_seconds())

    def observe(self, signal: Signal, now: datetime | None = None) -> None:
        """Count one signal (``now``: the wall clock, for idle partitions; a signal dated more than ten
        minutes after it counts at ``now``)."""
        at = signal.at
        if now is not None and at > now + MAX_FUTURE:
            at = now
        seconds = int(epoch_seconds(at))
        wall = now.timestamp() if now is not None else 0.0
        if self.first_wall is None:
            self.first_wall = wall
        partition = self.partitions.setdefault("-" if signal.partition is None else str(signal.partition), [seconds, wall])
        partition[0], partition[1] = max(partition[0], seconds), max(partition[1], wall)
        self.newest = seconds if self.newest is None else max(self.newest, seconds)
        interval_start = seconds - seconds % self._interval
        if self.watermark is not None and seconds < self.watermark:
            self.late += 1
            if interval_start < self.closed_until:
                return
        tick = seconds - seconds % self._tick
        counts = self.counts.setdefault(tick, [0] * len(SERIES))
        flags = _flags(signal)
        for index, series in enumerate(SERIES):
            if _in_series(flags, series):
                counts[index] += 1
        self._keep_evidence(signal, seconds, flags, tick)

    def counted_since(self) -> int | None:
        """Epoch seconds of the oldest interval the monitor has counted itself (learnt or still pending)."""
        starts = [int(d._first_seen.timestamp()) for d in self.detectors.values() if d._first_seen is not None]
        if self.closed_until is not None:
            starts.append(self.closed_until)
        if self.counts:
            first = min(self.counts)
            starts.append(first - first % self._interval)
        return min(starts) if starts else None

    def learn_history(self, history: BackfillHistory) -> int:
        """Learn the baselines of ``history`` (a backfill) that are older than anything the monitor has
        counted: its intervals are fed to fresh detectors, joined before the watch's own
        (:meth:`SpikeDetector.with_history`). An interval the monitor has already counted is skipped, so
        the same history sent twice, or one that overlaps the live stream, is never counted twice. The
        number of intervals learnt."""
        before = self.counted_since()
        learnt = 0
        for series in SERIES:
            older = SpikeDetector(self.config.spike)
            for moment, count in history.points(series, before):
                older.update(count, moment)
                learnt += series == SERIES[0]
            if learnt:
                self.detectors[series] = self.detectors[series].with_history(older)
        self._needed.clear()
        return learnt

    def _keep_evidence(self, signal: Signal, seconds: int, flags: int, tick: int) -> None:
        horizon = (self.closed_until or tick) - self.config.evidence_intervals * self._interval
        if tick < horizon:
            return
        evidence = Evidence(signal.id, seconds, signal.author, signal.followers, flags, signal.sketch,
                            signal.terms[: self.config.evidence_terms], zlib.crc32(signal.id.encode()))
        self.evidence.setdefault(tick, IntervalEvidence()).add(
            evidence, self.config.evidence_sample, self.config.evidence_reach)
        self._evidence_kept += 1
        if self._evidence_kept > self.config.max_evidence:  # far ahead of the watermark: the farthest goes first
            self._evidence_kept = sum(len(bucket.all()) for bucket in self.evidence.values())
            while self._evidence_kept > self.config.max_evidence and len(self.evidence) > 1:
                self._evidence_kept -= len(self.evidence.pop(max(self.evidence)).all())

    def _next_watermark(self, now: datetime | None) -> int | None:
        if not self.partitions:
            return None
        wall = now.timestamp() if now is not None else None
        idle = self.config.idle_after.total_seconds()
        holding = [high for high, seen in self.partitions.values() if wall is None or wall - seen < idle]
        expected = self.config.source_partitions
        unseen_hold = (expected is not None and len(self.partitions) < expected
                       and (wall is None or wall - self.first_wall < idle))
        if unseen_hold:
            mark = None
        elif holding:
            mark = min(holding)
        else:  # every partition idle: nothing more is coming for the tick of the newest signal, assess it
            mark = self.newest - self.newest % self._tick + self._tick
        floor = self.newest - int(self.config.max_skew.total_seconds())
        mark = floor if mark is None else max(mark, floor)
        if self.watermark is not None:
            mark = max(mark, self.watermark)
        return int(mark)

    def advance(self, now: datetime | None = None) -> list[tuple[datetime, list[Detection]]]:
        """Move the watermark on and assess each tick boundary it passes, in event-time order: the
        detections made, with the event time of each tick that has some (``now``: the wall clock)."""
        mark = self._next_watermark(now)
        if mark is None:
            return []
        if self.watermark is None:
            first = min(self.counts) if self.counts else mark - mark % self._tick
            if self.closed_until is None:
                self.closed_until = first - first % self._interval
            self.assessed_until = max(first - first % self._tick, self.closed_until)
        self.watermark = mark
        found = []
        reach = self.config.spike.window.total_seconds() + self._interval
        boundary = self.assessed_until + self._tick
        while boundary <= mark:
            if self.last_signal_at is None or boundary - self.last_signal_at > reach:  # nothing in the window
                ahead = [tick for tick in self.counts if tick >= boundary - self._tick]
                if not ahead:
                    break
                boundary = max(boundary, min(ahead) + self._tick)
                if boundary > mark:
                    break
            self._close_until(boundary)
            detections = self._assess_at(boundary)
            if detections:
                found.append((from_epoch_seconds(boundary), detections))
                for detection in detections:
                    self.spiking_at[detection.dedup_key.split(":", 1)[0]] = boundary
            self.assessed_until = boundary
            boundary += self._tick
        self._close_until(mark - mark % self._tick)
        self.assessed_until = max(self.assessed_until, mark - mark % self._tick)
        return found

    def advance_with_spiking(self, now: datetime | None = None) -> list[tuple[datetime, list[Detection], dict[str, datetime]]]:
        """:meth:`advance`, with, for each moment, when each incident was last seen spiking *before* that moment's
        detections: what auto-resolution compares against at that moment. A batch that spans two episodes (a
        backlog, a fast replay) then closes the first alert when its series went quiet, as a live stream would,
        instead of comparing it with the batch's newest spike."""
        spiking = {incident: from_epoch_seconds(at) for incident, at in self.spiking_at.items()}
        assessed = []
        for moment, detections in self.advance(now):
            assessed.append((moment, detections, dict(spiking)))
            for detection in detections:
                spiking[detection.dedup_key.split(":", 1)[0]] = moment
        return assessed

    def _close_until(self, boundary: int) -> None:
        """Close the intervals that end by ``boundary``; note the newest tick with signals before it."""
        end = boundary - boundary % self._interval
        if end > self.closed_until:
            self._close_intervals(end)
        for tick in range(self.closed_until, boundary, self._tick):
            if tick in self.counts:
                self.last_signal_at = max(self.last_signal_at or tick, tick)

    def _close_intervals(self, end: int) -> None:
        history = int(self.config.spike.history.total_seconds())
        start = max(self.closed_until, end - history - history % self._interval)  # a long silence: one history of zeros
        for interval_start in range(start, end, self._interval):
            totals = [0] * len(SERIES)
            for tick in range(interval_start, interval_start + self._interval, self._tick):
                counts = self.counts.pop(tick, None)
                if counts:
                    totals = [a + b for a, b in zip(totals, counts, strict=True)]
                    self.last_signal_at = max(self.last_signal_at or tick, tick)
            for index, series in enumerate(SERIES):
                self.detectors[series].update(totals[index], from_epoch_seconds(interval_start))
        for tick in [t for t in self.counts if t < end]:
            del self.counts[tick]
        self.closed_until = end
        self._needed.clear()
        horizon = end - self.config.evidence_intervals * self._interval
        for interval_start in [s for s in self.evidence if s < horizon]:
            del self.evidence[interval_start]

    def _needed_volume(self, interval_start: int) -> dict[str, float]:
        """Per series, the count the open interval needs before a spike is possible (a cheap test per tick)."""
        if interval_start not in self._needed:
            moment = from_epoch_seconds(interval_start)
            spike = self.config.spike
            needed = {}
            for series, detector in self.detectors.items():
                centre, spread, samples = detector.baseline(moment)
                if samples < spike.min_slot_samples:
                    needed[series] = math.inf
                    continue
                closed = detector.peek(0, moment).volume
                # peek rounds the score to 4 decimals: a hair below the threshold can spike
                total = max(spike.min_volume, (centre + (spike.threshold - 1e-3) * spread) ** 2)
                needed[series] = total - closed
            self._needed = {interval_start: needed}
        return self._needed[interval_start]

    def _partial(self, boundary: int) -> list[int]:
        totals = [0] * len(SERIES)
        for tick in range(self.closed_until, boundary, self._tick):
            counts = self.counts.get(tick)
            if counts:
                totals = [a + b for a, b in zip(totals, counts, strict=True)]
        return totals

    def _assess_at(self, boundary: int, partial: list[int] | None = None) -> list[Detection]:
        start = boundary - boundary % self._interval
        partial = partial if partial is not None else self._partial(boundary)
        needed = self._needed_volume(start)
        if not any(partial[i] >= needed[s] for i, s in enumerate(SERIES)):
            return []
        moment = from_epoch_seconds(start)
        assessments = {s: self.detectors[s].peek(partial[i], moment) for i, s in enumerate(SERIES)}
        detections = []
        crisis = next((s for s in CRISIS_PREFERENCE if assessments[s].spiking), None)
        for series in (crisis, *(s for s in OWN_INCIDENT_SERIES if assessments[s].spiking)):
            if series:
                detections.append(self._detection(series, assessments[series], boundary))
        return detections

    def assess(self, now: datetime | None = None) -> list[Detection]:
        """The incidents spiking at the watermark (everything seen up to it counted): at most one crisis
        (volume/negative/complaint) and one troll spike. A view for people and tests; the agent acts on
        :meth:`advance`, whose detections do not depend on how signals were batched."""
        self.advance(now)
        if self.watermark is None:
            return []
        until = self.watermark + 1
        partial = [0] * len(SERIES)
        for tick, counts in self.counts.items():
            if self.closed_until <= tick < until:
                partial = [a + b for a, b in zip(partial, counts, strict=True)]
        return self._assess_at(until, partial)

    def forget_authors(self, is_erased: Callable[[str, str], bool]) -> int:
        """Drop the evidence (ids, authors, sketches) of authors ``is_erased(platform, author_id)`` says were
        erased; the counts stay (they hold nothing personal). The number dropped."""
        dropped: set[str] = set()
        for bucket in self.evidence.values():
            for name in ("sample", "reach"):
                kept = [e for e in getattr(bucket, name) if not (e.author and is_erased(e.id.split(":", 1)[0], e.author))]
                dropped.update(e.id for e in getattr(bucket, name) if e not in kept)
                setattr(bucket, name, kept)
        return len(dropped)

    @property
    def recent(self) -> list[Evidence]:
        """The evidence kept, oldest first."""
        return sorted((e for bucket in self.evidence.values() for e in bucket.all()), key=lambda e: (e.at, e.id))

    def _evidence(self, series: str, boundary: int) -> tuple[list[Evidence], list[Evidence]]:
        """The series' mentions of the last two intervals before ``boundary`` and the older ones kept."""
        since = boundary - 2 * self._interval
        now, before = [], []
        for evidence in self.recent:
            if evidence.at < boundary and _in_series(evidence.flags, series):
                (now if evidence.at >= since else before).append(evidence)
        return now, before

    def _top_terms(self, spike: list[Evidence], background: list[Evidence]) -> list[str]:
        """Terms over-represented in the spike compared with the mentions before it (Poisson score, as trends)."""
        name = self.watch.casefold()

        def counts(items: list[Evidence]) -> Counter[Term]:
            return Counter(term for item in items for term in item.terms
                           if term.kind != "mention" and term.text.lstrip("#") != name)

        current, usual = counts(spike), counts(background)
        scale = len(spike) / len(background) if background else 1.0
        scored = sorted((-(2 * (math.sqrt(n) - math.sqrt((usual[term] + 0.5) * scale))), term.text)
                        for term, n in current.items() if n >= 2)
        return [text for score, text in scored[: self.config.top_terms] if score < 0]

    def _detection(self, series: str, assessment: SpikeAssessment, boundary: int) -> Detection:
        evidence, background = self._evidence(series, boundary)
        samples = sorted(evidence, key=lambda e: (-(e.followers or 0), -e.at, e.id))[: self.config.samples]
        spike_mentions = [SpikeMention(e.id, "", e.author, from_epoch_seconds(e.at), e.followers, sketch=e.sketch)
                          for e in evidence]
        verdict = raid_verdict(spike_mentions, from_epoch_seconds(boundary), self.config.raid)
        top_terms = self._top_terms(evidence, background)
        fake = sum(1 for e in evidence if e.flags & LIKELY_FAKE)
        fake_share = round(fake / len(evidence), 4) if evidence else None
        severity = Severity.critical if assessment.score >= self.config.critical_threshold else Severity.warning
        window = self.config.spike.window
        window_text = f"{window.total_seconds() / 3600:g} h" if window >= timedelta(hours=1) else f"{window.total_seconds() / 60:g} min"
        ratio = assessment.volume / assessment.expected if assessment.expected > 0 else float("inf")
        ratio_text = f"×{ratio:.1f}" if ratio != float("inf") else "never seen at this hour"
        label = LABELS[series]
        sampled = " (a sample of them)" if verdict.evidence.mentions < assessment.volume else ""
        explanation = (
            f"{assessment.volume:.0f} {label}mentions of {self.watch} in the last {window_text}, where about "
            f"{assessment.expected:.0f} are usual at this time of day ({ratio_text}, robust z-score {assessment.score:.1f}, "
            f"alert threshold {self.config.spike.threshold:g}). "
            + (f"Top terms: {', '.join(top_terms)}. " if top_terms else "")
            + verdict.explanation().replace(" mentions from ", f" mentions{sampled} from ", 1)
            + (f" {fake_share:.0%} of them come from likely fake or automated accounts." if fake else "")
        )
        return Detection(
            watch=self.watch, kind=series, severity=severity,
            title=f"{label.strip().capitalize() or 'Volume'} spike on {self.watch}: {assessment.volume:.0f} mentions "
                  f"in {window_text} (usually {assessment.expected:.0f})",
            explanation=explanation, top_terms=top_terms, sample_ids=[e.id for e in samples],
            baseline=assessment.expected, observed=assessment.volume, score=assessment.score,
            verdict=verdict.verdict, fake_share=fake_share,
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "watch": self.watch,
            "detectors": {series: detector.to_state() for series, detector in self.detectors.items()},
            "counts": {str(tick): counts for tick, counts in self.counts.items()},
            "closed_until": self.closed_until,
            "assessed_until": self.assessed_until,
            "watermark": self.watermark,
            "newest": self.newest,
            "partitions": self.partitions,
            "first_wall": self.first_wall,
            "last_signal_at": self.last_signal_at,
            "evidence": {str(start): [[e.to_json() for e in bucket.sample], [e.to_json() for e in bucket.reach]]
                         for start, bucket in self.evidence.items()},
            "spiking_at": self.spiking_at,
            "late": self.late,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: CrisisConfig | None = None) -> WatchMonitor:
        """A monitor from :meth:`to_state`; a state of an older version gives a fresh monitor."""
        monitor = cls(state["watch"], config)
        if state.get("version") != STATE_VERSION:  # saved before event-time ticks: keep its baselines only
            try:
                monitor.detectors = {series: SpikeDetector.from_state(detector, monitor.config.spike)
                                     for series, detector in state["detectors"].items()}
                monitor.closed_until = int(state["closed_until"])
            except (KeyError, TypeError, ValueError):
                monitor = cls(state["watch"], config)
            return monitor
        monitor.detectors = {series: SpikeDetector.from_state(detector, monitor.config.spike)
                             for series, detector in state["detectors"].items()}
        monitor.counts = {int(tick): list(counts) for tick, counts in state["counts"].items()}
        monitor.closed_until = state["closed_until"]
        monitor.assessed_until = state["assessed_until"]
        monitor.watermark = state["watermark"]
        monitor.newest = state["newest"]
        monitor.partitions = {key: list(value) for key, value in state["partitions"].items()}
        monitor.first_wall = state["first_wall"]
        monitor.last_signal_at = state["last_signal_at"]
        monitor.evidence = {int(start): IntervalEvidence([Evidence.from_json(e) for e in sample],
                                                         [Evidence.from_json(e) for e in reach])
                            for start, (sample, reach) in state["evidence"].items()}
        monitor.spiking_at = dict(state.get("spiking_at") or {})
        monitor.late = state.get("late", 0)
        return monitor

    def last_spiking(self, incident: str) -> datetime | None:
        """When the incident (``crisis`` or ``troll``) was last seen spiking, in event time."""
        at = self.spiking_at.get(incident)
        return None if at is None else from_epoch_seconds(at)

    @property
    def watermark_time(self) -> datetime | None:
        return None if self.watermark is None else from_epoch_seconds(self.watermark)

