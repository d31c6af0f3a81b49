"""Crisis detection on a real stream: the Twitter US Airline Sentiment week, one watch per airline.

The tweets are replayed in event-time order through the crisis agent's own pure code: its configuration
from the default settings (``Settings().crisis.to_config``), :class:`WatchMonitor` (observe, advance) and
the alert lifecycle of agents/crisis.py (apply_detection, auto_resolve). No Kafka: every tweet is one signal
of its airline's watch, ``negative`` from the crowd label, ``complaint`` when the label is negative with a
reason other than "Can't Tell" (the agents would take both from the tagger; the labels keep the tagger's
errors out of this measure).

Measured per airline:

- **peaks covered**: of the ``top`` hours (UTC, whole hours) with the most negative tweets, how many are
  covered by an alert: an alert open during that hour (from ``opened_at`` to ``resolved_at``, or to the end
  of the stream) or opened within one hour of it (from an hour before it starts to an hour after it ends);
- **false alerts**: alerts whose span widened by one hour on each side contains none of those hours, per
  watch and per week of stream (the stream's span, first to last tweet, in weeks);

for three runs: the whole stream from the first tweet (24 h warm-up), the stream after its first
``backfill_days`` days on a fresh watch (warm-up again), and the same with those days sent as a backfill
first (pipeline/trends/backfill.py). Peaks and false alerts of the last two are counted on the stream
after the backfilled days only. Nothing here tunes the detector.

The shared copy of the dataset (``../shared/datasets/en_airline_sentiment_crowdflower/tweets.tsv``) has
no time column (text, label, negativereason, airline only): the measure needs the original Kaggle
``Tweets.csv`` (column ``tweet_created``) or any file with ``airline``, ``label`` or
``airline_sentiment``, ``negativereason`` and ``tweet_created`` or ``timestamp`` columns (``--input``).
Given with ``--input`` without a time column, the benchmark writes why it measured nothing and exits 2.

**NAB mode** (``--nab DIR``; what runs by default, since the shared airline file has no time column): the
NAB realTweets series (``../shared/nab/data/Twitter_volume_*.csv``: real counts of tweets mentioning a company
every 5 minutes, about 8 weeks each; anomaly windows in ``labels.json``) are real multi-week brand streams.
Each series is one watch, and each 5-minute count arrives as that many mentions at its time (the monitor
has no count interface: the agent observes one signal per mention), in event-time order, through the same
:class:`CrisisLoop`. Only the volume series can spike (the counts carry no sentiment). Measured per series:
the ``top`` peak hours (whole UTC hours with the most mentions, at least 24 h apart) and how many an alert
covers (the rule above), false alerts (covering no peak) per week, alerts raised and auto-resolved, and the
NAB-labelled windows covered. That is the live replay (the wall clock keeping pace with event time, one
batch per count). The same mentions are then replayed as a consumer of mentions.raw's partitions would read
a backlog: split over the partitions, each partition in order but read up to ``--lateness-minutes`` late, in
batches of ``signal_batch_size``, at 1,000 mentions/s and as fast as possible; the benchmark reports
whether they raise the same alerts at the same event times (issue 17, item 3).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_spikes import load_series
from pipeline import topics
from pipeline.alerts.model import Alert, apply_detection, auto_resolve
from pipeline.alerts.raid import text_sketch
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.trends.backfill import HistoryCounter
from pipeline.trends.crisis import CrisisConfig, WatchMonitor
from pipeline.trends.signals import Signal

DATASET = PROJECT_ROOT.parent / "shared" / "datasets" / "en_airline_sentiment_crowdflower" / "tweets.tsv"
RESULTS = Path(__file__).parent / "results"
TIME_COLUMNS = ("tweet_created", "timestamp", "created_at")
INCIDENTS = ("crisis", "troll")
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Tweet:
    airline: str
    at: datetime
    negative: bool
    complaint: bool
    text: str


@dataclass(frozen=True, slots=True)
class AlertSpan:
    key: str
    opened_at: datetime
    closed_at: datetime | None  # None: still open at the end of the stream
    kind: str
    updates: int
    resolved_by: str | None = None  # "auto": closed by itself once its series was back to normal


def _time(text: str) -> datetime:
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S %z",):
        try:
            return datetime.strptime(text, pattern).astimezone(UTC)
        except ValueError:
            pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_tweets(path: Path) -> tuple[list[Tweet] | None, list[str]]:
    """The tweets of ``path`` (TSV without quoting as in the shared copy, or CSV), deduplicated, in time
    order; (None, header) when the file has no time column."""
    with path.open(newline="", encoding="utf-8") as handle:
        first = handle.readline()
        handle.seek(0)
        tsv = "\t" in first
        reader = csv.DictReader(handle, delimiter="\t" if tsv else ",", quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL)
        header = list(reader.fieldnames or [])
        time_column = next((c for c in TIME_COLUMNS if c in header), None)
        if time_column is None:
            return None, header
        label = "label" if "label" in header else "airline_sentiment"
        seen, tweets = set(), []
        for row in reader:
            key = (row["airline"], row.get("text", ""), row[time_column])
            if key in seen:  # the upstream file repeats about 155 rows
                continue
            seen.add(key)
            negative = row[label] == "negative"
            reason = (row.get("negativereason") or "").strip()
            tweets.append(Tweet(row["airline"], _time(row[time_column]), negative,
                                negative and reason not in ("", "Can't Tell"), row.get("text", "")))
    tweets.sort(key=lambda t: (t.at, t.airline, t.text))
    return tweets, header


def _signal(watch: str, index: int, tweet: Tweet) -> Signal:
    return Signal(watch=watch, id=f"twitter:{watch}-{index}", at=tweet.at, negative=tweet.negative,
                  complaint=tweet.complaint, troll=False, sketch=text_sketch(tweet.text), author=f"u{index}",
                  followers=None, terms=())


class CrisisLoop:
    """What the crisis agent does for one watch (agents/crisis.py ``_process_watch``, also called by its
    quiet-watch timer with no signal): observe a batch's signals at the wall clock ``now``, advance the
    monitor, resolve the alerts quiet long enough and fold each detection into its alert, at the event
    time it was made at."""

    def __init__(self, watch: str, settings: Settings, config: CrisisConfig, monitor: WatchMonitor | None = None):
        self.watch = watch
        self.monitor = monitor or WatchMonitor(watch, config)
        self.cooldown, self.quiet = settings.crisis.alert_cooldown, settings.crisis.auto_resolve_after
        self.alerts: dict[str, Alert] = {}
        self.spans: dict[str, AlertSpan] = {}

    def process(self, signals: Iterable[Signal], now: datetime) -> None:
        for signal in signals:
            self.monitor.observe(signal, now)
        self.step(now)

    def step(self, now: datetime) -> None:
        for moment, detections, spiking_before in self.monitor.advance_with_spiking(now):
            self._resolve_quiet(moment, spiking_before.get)
            for detection in detections:
                alert, _, _ = apply_detection(self.alerts.get(detection.dedup_key), detection, moment, self.cooldown)
                self.alerts[detection.dedup_key] = alert
                self.spans[alert.id] = _span(alert)
        if self.monitor.watermark_time is not None:
            self._resolve_quiet(self.monitor.watermark_time, self.monitor.last_spiking)

    def _resolve_quiet(self, moment: datetime, last_spiking) -> None:
        for incident in INCIDENTS:
            key = f"{incident}:{self.watch}"
            resolved = auto_resolve(self.alerts.get(key), last_spiking(incident), moment, self.quiet)
            if resolved is not None:
                self.alerts[key] = resolved
                self.spans[resolved.id] = _span(resolved)

    def result(self) -> list[AlertSpan]:
        return sorted(self.spans.values(), key=lambda s: s.opened_at)


def replay_watch(watch: str, tweets: list[Tweet], settings: Settings, live_from: datetime | None = None,
                 backfill: bool = False) -> list[AlertSpan]:
    """Alerts raised on one watch's tweets, as the crisis agent raises them (agents/crisis.py _process_watch):
    the tweets before ``live_from`` are left out, or sent as a backfill first with ``backfill``."""
    config = settings.crisis.to_config(None)
    loop = CrisisLoop(watch, settings, config)
    live = [t for t in tweets if live_from is None or t.at >= live_from]
    if backfill and live_from is not None:
        counter = HistoryCounter(int(config.interval.total_seconds()))
        for tweet in tweets:
            if tweet.at < live_from:
                counter.add_mention(tweet.at, tweet.negative, ["complaint"] if tweet.complaint else [])
        history = counter.history(watch, until=live_from, source="first days of the stream")
        if history is not None:
            loop.monitor.learn_history(history)
    for index, tweet in enumerate(live):
        loop.process([_signal(watch, index, tweet)], tweet.at)
    if live:
        loop.step(live[-1].at + config.idle_after + config.tick)  # the source falls idle: its last tick is assessed
    return loop.result()


def _span(alert: Alert) -> AlertSpan:
    return AlertSpan(alert.dedup_key, alert.opened_at, alert.resolved_at, alert.kind, alert.update_count,
                     alert.resolved_by)


def top_negative_hours(tweets: Iterable[Tweet], top: int) -> list[tuple[datetime, int]]:
    """The ``top`` whole UTC hours with the most negative tweets (ties: the earlier hour first)."""
    counts = Counter(t.at.replace(minute=0, second=0, microsecond=0) for t in tweets if t.negative)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def covers(span: AlertSpan, hour: datetime, end: datetime) -> bool:
    """The alert was open during the hour, or opened within one hour of it."""
    return covers_window(span, (hour, hour + HOUR), end)


def score(spans: list[AlertSpan], peaks: list[datetime], start: datetime, end: datetime) -> dict:
    weeks = max((end - start) / timedelta(days=7), 1e-9)
    covered = [hour for hour in peaks if any(covers(span, hour, end) for span in spans)]
    false = [span for span in spans if not any(covers(span, hour, end) for hour in peaks)]
    return {"alerts": len(spans), "peaks_covered": len(covered), "peaks": len(peaks),
            "false_alerts": len(false), "false_alerts_per_week": round(len(false) / weeks, 2),
            "alerts_detail": [{"opened_at": s.opened_at.isoformat(), "resolved_at": s.closed_at and s.closed_at.isoformat(),
                               "kind": s.kind, "updates": s.updates,
                               "covers": [h.isoformat() for h in peaks if covers(s, h, end)]} for s in spans]}


def measure(tweets: list[Tweet], settings: Settings, top: int = 5, backfill_days: float = 2) -> dict:
    start, end = tweets[0].at, tweets[-1].at
    live_from = (start + timedelta(days=backfill_days)).replace(minute=0, second=0, microsecond=0)
    runs: dict[str, dict] = {"whole_stream": {}, "after_first_days_no_backfill": {}, "after_first_days_with_backfill": {}}
    for airline in sorted({t.airline for t in tweets}):
        watch = airline.replace(" ", "")
        own = [t for t in tweets if t.airline == airline]
        later = [t for t in own if t.at >= live_from]
        whole_peaks = [h for h, _ in top_negative_hours(own, top)]
        later_peaks = [h for h, _ in top_negative_hours(later, top)]
        runs["whole_stream"][airline] = {
            "tweets": len(own), "negative": sum(t.negative for t in own),
            "top_negative_hours": [[h.isoformat(), n] for h, n in top_negative_hours(own, top)],
            **score(replay_watch(watch, own, settings), whole_peaks, start, end)}
        for name, backfill in (("after_first_days_no_backfill", False), ("after_first_days_with_backfill", True)):
            runs[name][airline] = {
                "tweets": len(later), "top_negative_hours": [[h.isoformat(), n] for h, n in top_negative_hours(later, top)],
                **score(replay_watch(watch, own, settings, live_from, backfill), later_peaks, live_from, end)}
    summary = {name: {"peaks_covered": sum(r["peaks_covered"] for r in per.values()),
                      "peaks": sum(r["peaks"] for r in per.values()),
                      "alerts": sum(r["alerts"] for r in per.values()),
                      "false_alerts": sum(r["false_alerts"] for r in per.values()),
                      "false_alerts_per_watch_per_week": round(
                          sum(r["false_alerts_per_week"] for r in per.values()) / max(len(per), 1), 2)}
               for name, per in runs.items()}
    return {"stream": {"tweets": len(tweets), "first": start.isoformat(), "last": end.isoformat(),
                       "backfilled_until": live_from.isoformat()},
            "summary": summary, "runs": runs}


# --- NAB realTweets: real multi-week volume streams -------------------------------------------------------

NAB_DIR = PROJECT_ROOT.parent / "shared" / "nab"
NAB_PREFIX = "Twitter_volume_"
PEAKS_APART = timedelta(hours=24)
LATENESS = timedelta(minutes=10)
MACHINE = "2 shared cores"


def read_nab_series(path: Path) -> list[tuple[datetime, int]]:
    """The ``timestamp,value`` points of one NAB file (naive times, UTC), in time order, as counts."""
    return sorted((at, int(value)) for at, value in load_series(path))


def read_nab(nab_dir: Path) -> tuple[dict[str, list[tuple[datetime, int]]], dict[str, list[tuple[datetime, datetime]]]]:
    """Every ``Twitter_volume_<TICKER>.csv`` of ``nab_dir/data`` (or ``nab_dir``) by ticker, and the labelled
    anomaly windows of each (``labels.json``, NAB's combined windows)."""
    data = nab_dir / "data" if (nab_dir / "data").is_dir() else nab_dir
    files = sorted(data.glob(f"{NAB_PREFIX}*.csv"))
    labels_path = next((p for p in (nab_dir / "labels.json", data / "labels.json") if p.exists()), None)
    raw_labels = json.loads(labels_path.read_text()) if labels_path else {}
    series, windows = {}, {}
    for path in files:
        name = path.stem.removeprefix(NAB_PREFIX)
        series[name] = read_nab_series(path)
        labelled = next((v for k, v in raw_labels.items() if Path(k).name == path.name), [])
        windows[name] = [(_time(start), _time(end)) for start, end in labelled]
    return series, windows


def _volume_signal(watch: str, point: int, k: int, at: datetime, partition: int | None = None) -> Signal:
    """Mention ``k`` of the ``point``-th count: the NAB series has volumes only (no text, no sentiment), so
    every mention counts in the volume series alone (no sketch: no near-copies)."""
    return Signal(watch=watch, id=f"nab:{watch}-{point}-{k}", at=at, negative=False, complaint=False, troll=False,
                  sketch="", author=f"u{point}-{k}", followers=None, terms=(), partition=partition)


def replay_counts_live(watch: str, points: list[tuple[datetime, int]], settings: Settings) -> list[AlertSpan]:
    """A live stream: each 5-minute count arrives as that many mentions at its time, the wall clock keeping
    pace with event time, one batch per count (one source partition); when the source has said nothing for
    ``crisis_idle_seconds`` the agent's quiet-watch timer assesses the watch (``_process_watch(watch, [])``)."""
    config = settings.crisis.to_config(None)
    loop = CrisisLoop(watch, settings, config)
    quiet_check = config.idle_after + config.tick
    last: datetime | None = None
    for index, (at, count) in enumerate(points):
        if not count:
            continue
        if last is not None and at - last > quiet_check:
            loop.step(last + quiet_check)
        loop.process((_volume_signal(watch, index, k, at) for k in range(count)), at)
        last = at
    if last is not None:
        loop.step(last + quiet_check)
    return loop.result()


def arrival_order(points: list[tuple[datetime, int]], partitions: int, lateness: timedelta,
                  seed: int = 0) -> list[tuple[int, int, range]]:
    """The mentions of ``points`` as a Kafka consumer of ``partitions`` partitions could read them:
    ``(point index, partition, mention numbers)`` chunks, in reading order. Mention ``k`` of point ``i`` is in
    partition ``(i + k) % partitions``; each partition stays in event-time order (Kafka keeps a partition's
    order), and each chunk is read a random 0 to ``lateness`` after its time (never before its partition's
    previous chunk), so partitions are read up to ``lateness`` of event time apart and interleave."""
    rng = random.Random(seed)
    read_at = [-math.inf] * partitions
    chunks = []
    for index, (at, count) in enumerate(points):
        for partition in range(partitions):
            first = (partition - index) % partitions
            if first >= count:
                continue
            moment = max(read_at[partition], at.timestamp() + rng.uniform(0, lateness.total_seconds()))
            read_at[partition] = moment
            chunks.append((moment, partition, index, range(first, count, partitions)))
    chunks.sort(key=lambda c: (c[0], c[1], c[2]))
    return [(index, partition, numbers) for _, partition, index, numbers in chunks]


def replay_counts_batched(watch: str, points: list[tuple[datetime, int]], settings: Settings, batch_size: int = 1000,
                          partitions: int | None = None, lateness: timedelta = LATENESS, rate: float | None = None,
                          seed: int = 0) -> list[AlertSpan]:
    """A replay of the stream's history: the mentions of :func:`arrival_order` in batches of ``batch_size``
    (the agents' ``signal_batch_size``), read at ``rate`` mentions a second of wall clock (None: as fast as
    possible, the wall clock standing still), the wall clock after every event time (a replay of the past);
    the monitor waits for the ``partitions`` of mentions.raw (topics.yaml's, as the agent's does)."""
    partitions = partitions or next(spec.partitions for spec in topics.load_topics(settings.topics_file)
                                    if spec.name == topics.RAW)
    config = settings.crisis.to_config(partitions)
    loop = CrisisLoop(watch, settings, config)
    if not points:
        return []
    wall = points[-1][0] + timedelta(days=1)
    batch: list[Signal] = []
    for index, partition, numbers in arrival_order(points, partitions, lateness, seed):
        at = points[index][0]
        for k in numbers:
            batch.append(_volume_signal(watch, index, k, at, partition))
            if len(batch) == batch_size:
                loop.process(batch, wall)
                if rate:
                    wall += timedelta(seconds=batch_size / rate)
                batch = []
    if batch:
        loop.process(batch, wall)
    loop.step(wall + config.idle_after + config.tick)  # the replay ends: every partition falls idle
    return loop.result()


def top_hours(points: Iterable[tuple[datetime, int]], top: int, apart: timedelta = PEAKS_APART) -> list[tuple[datetime, int]]:
    """The ``top`` whole UTC hours with the most mentions, each at least ``apart`` from the others (the
    busiest first; ties: the earlier hour first)."""
    counts: Counter[datetime] = Counter()
    for at, count in points:
        counts[at.replace(minute=0, second=0, microsecond=0)] += count
    chosen: list[tuple[datetime, int]] = []
    for hour, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if len(chosen) == top:
            break
        if count and all(abs(hour - other) >= apart for other, _ in chosen):
            chosen.append((hour, count))
    return chosen


def covers_window(span: AlertSpan, window: tuple[datetime, datetime], end: datetime) -> bool:
    """The ``covers`` rule for a labelled window: the alert was open during it, or opened within an hour of it."""
    start, stop = window
    closed = span.closed_at or end
    return (span.opened_at < stop and closed >= start) or start - HOUR <= span.opened_at < stop + HOUR


def score_nab(spans: list[AlertSpan], points: list[tuple[datetime, int]], windows: list[tuple[datetime, datetime]],
              top: int, warmup: timedelta = timedelta(hours=24)) -> dict:
    start, end = points[0][0], points[-1][0]
    peaks = top_hours(points, top)
    scored = score(spans, [hour for hour, _ in peaks], start, end)
    scored.pop("alerts_detail")
    weeks = (end - start) / timedelta(days=7)
    outside = [s for s in spans if not any(covers_window(s, w, end) for w in windows)]
    return {
        "points": len(points), "mentions": sum(count for _, count in points),
        "first": start.isoformat(), "last": end.isoformat(), "weeks": round(weeks, 2),
        "top_hours": [[hour.isoformat(), count] for hour, count in peaks],
        "peaks_in_warmup": [hour.isoformat() for hour, _ in peaks if hour + HOUR <= start + warmup],
        **scored,
        "auto_resolved": sum(s.resolved_by == "auto" for s in spans),
        "still_open_at_end": sum(s.closed_at is None for s in spans),
        "nab_windows": len(windows),
        "nab_windows_covered": sum(any(covers_window(s, w, end) for s in spans) for w in windows),
        "alerts_outside_nab_windows": len(outside),
        "alerts_detail": [{"opened_at": s.opened_at.isoformat(), "resolved_at": s.closed_at and s.closed_at.isoformat(),
                           "resolved_by": s.resolved_by, "kind": s.kind, "updates": s.updates,
                           "covers_peaks": [h.isoformat() for h, _ in peaks if covers(s, h, end)],
                           "in_nab_window": any(covers_window(s, w, end) for w in windows)} for s in spans],
    }


def _alert_keys(spans: list[AlertSpan]) -> list[tuple]:
    return [(s.key, s.kind, s.opened_at.isoformat(), s.closed_at and s.closed_at.isoformat(), s.resolved_by, s.updates)
            for s in spans]


def measure_nab(series: dict[str, list[tuple[datetime, int]]], windows: dict[str, list[tuple[datetime, datetime]]],
                settings: Settings, top: int = 5, batch_size: int = 1000, lateness: timedelta = LATENESS,
                rates: Iterable[float | None] = (1000.0, None), seed: int = 0) -> dict:
    """Per series: the live replay scored (peaks, false alerts, NAB windows), and whether the batched,
    shuffled replays at each of ``rates`` raise the same alerts at the same event times."""
    per_series: dict[str, dict] = {}
    replays: dict[str, dict] = {}
    timings: dict[str, float] = {}
    for name, points in series.items():
        if not points:
            continue
        started = time.perf_counter()
        live = replay_counts_live(name, points, settings)
        timings[f"{name} live"] = round(time.perf_counter() - started, 1)
        per_series[name] = score_nab(live, points, windows.get(name, []), top, timedelta(hours=settings.crisis.warmup_hours))
        for rate in rates:
            label = f"batches of {batch_size:,}, {'as fast as possible' if rate is None else f'{rate:,.0f}/s'}"
            started = time.perf_counter()
            other = replay_counts_batched(name, points, settings, batch_size, lateness=lateness, rate=rate, seed=seed)
            timings[f"{name} {label}"] = round(time.perf_counter() - started, 1)
            same = _alert_keys(other) == _alert_keys(live)
            entry = replays.setdefault(label, {})
            entry[name] = {"alerts": len(other), "same_alerts_as_live": same,
                           **({} if same else {"alerts_detail": [list(key) for key in _alert_keys(other)]})}
    rows = per_series.values()
    totals = {
        "series": len(per_series), "mentions": sum(r["mentions"] for r in rows),
        "peaks_covered": sum(r["peaks_covered"] for r in rows), "peaks": sum(r["peaks"] for r in rows),
        "peaks_in_warmup": sum(len(r["peaks_in_warmup"]) for r in rows),
        "alerts": sum(r["alerts"] for r in rows), "auto_resolved": sum(r["auto_resolved"] for r in rows),
        "false_alerts": sum(r["false_alerts"] for r in rows),
        "false_alerts_per_watch_per_week": round(sum(r["false_alerts_per_week"] for r in rows) / max(len(per_series), 1), 2),
        "nab_windows_covered": sum(r["nab_windows_covered"] for r in rows), "nab_windows": sum(r["nab_windows"] for r in rows),
        "alerts_outside_nab_windows": sum(r["alerts_outside_nab_windows"] for r in rows),
    }
    return {"series": per_series, "totals": totals,
            "replays": {label: {"same_alerts_as_live": all(r["same_alerts_as_live"] for r in per.values()), "series": per}
                        for label, per in replays.items()},
            "seconds": timings}


NAB_DEFINITIONS = {
    "stream": "each NAB realTweets series (5-minute counts of tweets mentioning a company, about 8 weeks) is one "
              "watch; each count arrives as that many mentions at its timestamp, in event-time order, through the "
              "crisis agent's own code (WatchMonitor.observe/advance, apply_detection, auto_resolve) with "
              "Settings().crisis.to_config unchanged; the series has volumes only, so only the volume series can spike",
    "live replay (scored)": "the wall clock keeps pace with event time, one batch per 5-minute count, one source "
                            "partition; the quiet-watch timer assesses a source silent for crisis_idle_seconds",
    "peak": "one of the `top` whole UTC hours with the most mentions of the series, each at least 24 h from the "
            "others (the greedy choice, busiest first); a peak that ends within the first crisis_warmup_hours of the "
            "stream is counted too, though no alert can open then",
    "covered": "an alert was open during that hour (opened_at to resolved_at, or to the end of the stream) or "
               "was opened from one hour before the hour starts to one hour after it ends",
    "false alert": "an alert that covers none of the series' peaks (same rule)",
    "false alerts per week": "false alerts divided by the stream's span in weeks (first to last point); per watch "
                             "per week in the totals: the mean over the series",
    "auto-resolved": "alerts closed by `auto` once the series had not spiked for crisis_auto_resolve_minutes (event time)",
    "NAB window covered": "a labelled anomaly window (labels.json) during which an alert was open, or within an hour "
                          "of which one opened; alerts outside NAB windows: alerts near no labelled window",
    "batched replays": "the same mentions split over mentions.raw's partitions (topics.yaml), each partition in "
                       "event-time order but read a random 0-10 minutes of event time late (partitions interleave "
                       "out of order), in batches of signal_batch_size, the wall clock after the stream's events "
                       "(a replay of the past) advancing at the given rate; same alerts: same kind, opened_at, "
                       "resolved_at, resolved_by and number of updates as the live replay",
    "detector": "the crisis agent's defaults (Settings().crisis with default settings: 24 h warm-up, threshold 9, "
                "auto-resolve after 60 min), unchanged: nothing here tunes it",
}


def write_nab_markdown(result: dict, path: Path) -> None:
    totals = result["totals"]
    lines = ["# Crisis detection on real streams (NAB realTweets volumes)", "",
             f"Measured {result['date']} on {result['machine']}, `{result['command']}`"
             + (f" ({result['why']})" if result.get("why") else "")
             + (f", code at commit {result['code']['commit'][:12]}" if result["code"].get("commit") else "")
             + (f" with uncommitted changes in {', '.join(result['code']['uncommitted_changes'])}"
                if result["code"].get("uncommitted_changes") else "") + ".", "",
             f"{totals['series']} series, {totals['mentions']:,} mentions, replayed live through the crisis agent's "
             f"code; top {result['top']} peak hours per series.", "",
             "| series | weeks | mentions | alerts | auto-resolved | peaks covered | false alerts | false alerts / week "
             "| NAB windows covered | alerts outside NAB windows |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in result["series"].items():
        lines.append(f"| {name} | {row['weeks']} | {row['mentions']:,} | {row['alerts']} | {row['auto_resolved']} | "
                     f"{row['peaks_covered']}/{row['peaks']} | {row['false_alerts']} | {row['false_alerts_per_week']} | "
                     f"{row['nab_windows_covered']}/{row['nab_windows']} | {row['alerts_outside_nab_windows']} |")
    lines.append(f"| **total** | | {totals['mentions']:,} | {totals['alerts']} | {totals['auto_resolved']} | "
                 f"**{totals['peaks_covered']}/{totals['peaks']}** | {totals['false_alerts']} | "
                 f"**{totals['false_alerts_per_watch_per_week']}** per watch | {totals['nab_windows_covered']}/"
                 f"{totals['nab_windows']} | {totals['alerts_outside_nab_windows']} |")
    lines += ["", "Same alerts whatever the replay (issue 17 item 3):", "",
              "| replay | same alerts as live, at the same event times | alerts per series |", "| --- | --- | --- |"]
    for label, replay in result["replays"].items():
        per = ", ".join(f"{n} {r['alerts']}" + ("" if r["same_alerts_as_live"] else " (differ)")
                        for n, r in replay["series"].items())
        lines.append(f"| {label}, {result['partitions']} partitions read up to {result['lateness_minutes']:g} min apart "
                     f"| {'yes' if replay['same_alerts_as_live'] else 'no'} | {per} |")
    for label, replay in result["replays"].items():
        for name, row in replay["series"].items():
            if not row["same_alerts_as_live"]:
                lines += ["", f"{name}, {label} (opened, resolved, by, updates):", ""]
                lines += [f"- {opened[:16]} → {(resolved or 'open at end')[:16]} {by or ''}, {updates} updates"
                          for _, _, opened, resolved, by, updates in row["alerts_detail"]]
    lines += ["", "Alerts of the live replay:", "", "| series | opened | resolved | by | updates | covers peak | in NAB window |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in result["series"].items():
        for alert in row["alerts_detail"]:
            lines.append(f"| {name} | {alert['opened_at'][:16]} | {(alert['resolved_at'] or 'open at end')[:16]} | "
                         f"{alert['resolved_by'] or ''} | {alert['updates']} | {', '.join(h[:13] for h in alert['covers_peaks']) or 'no'} | "
                         f"{'yes' if alert['in_nab_window'] else 'no'} |")
    lines += ["", "Peak hours (UTC, mentions; *in the warm-up*, where no alert can open):", ""]
    for name, row in result["series"].items():
        lines.append(f"- {name}: " + ", ".join(f"*{h[:13]}h {n:,}*" if h in row["peaks_in_warmup"] else f"{h[:13]}h {n:,}"
                                             for h, n in row["top_hours"]))
    lines += ["", "Definitions:", ""] + [f"- **{k}**: {v}" for k, v in result["definitions"].items()]
    path.write_text("\n".join(lines) + "\n")



DEFINITIONS = {
    "peak": "one of the `top` whole UTC hours with the most negative tweets of the airline (of the run's stream)",
    "covered": "an alert was open during that hour (opened_at to resolved_at, or to the end of the stream) or "
               "was opened from one hour before the hour starts to one hour after it ends",
    "false alert": "an alert that covers none of the airline's peaks (same rule)",
    "false_alerts_per_week": "false alerts divided by the run's stream span in weeks (first to last tweet)",
    "complaint": "a negative label with a negative reason other than \"Can't Tell\"",
    "detector": "the crisis agent's defaults (Settings().crisis.to_config with default settings), unchanged",
}


def write_markdown(result: dict, path: Path) -> None:
    lines = ["# Crisis detection on a real stream (Twitter US Airline Sentiment)", ""]
    if "not_measured" in result:
        lines += [f"Not measured: {result['not_measured']}", ""]
    else:
        stream = result["stream"]
        lines += [f"{stream['tweets']:,} tweets from {stream['first']} to {stream['last']}; backfilled runs start at "
                  f"{stream['backfilled_until']}.", "",
                  "| run | peaks covered | alerts | false alerts | false alerts per watch per week |",
                  "| --- | --- | --- | --- | --- |"]
        for name, row in result["summary"].items():
            lines.append(f"| {name} | {row['peaks_covered']}/{row['peaks']} | {row['alerts']} | {row['false_alerts']} | "
                         f"{row['false_alerts_per_watch_per_week']} |")
        lines += ["", "| airline | run | peaks covered | alerts | false alerts |", "| --- | --- | --- | --- | --- |"]
        for name, per in result["runs"].items():
            for airline, row in per.items():
                lines.append(f"| {airline} | {name} | {row['peaks_covered']}/{row['peaks']} | {row['alerts']} | "
                             f"{row['false_alerts']} |")
    lines += ["", "Definitions:", ""] + [f"- **{k}**: {v}" for k, v in DEFINITIONS.items()]
    path.write_text("\n".join(lines) + "\n")


def code_version() -> dict:
    """The commit the measure ran on, and the detector's files that differed from it (others may be editing
    the same checkout: a figure is only worth its code)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "--no-optional-locks", "-C", str(PROJECT_ROOT), *args],
                                  capture_output=True, text=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout

    changed = git("status", "--porcelain", "--", "pipeline", "agents")
    commit = git("rev-parse", "HEAD")
    return {"commit": commit and commit.strip(),
            "uncommitted_changes": None if changed is None else [line[3:] for line in changed.splitlines()]}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=None,
                        help=f"airline tweets with a time column (default {DATASET}; without a time column "
                             "there, the NAB streams are measured instead)")
    parser.add_argument("--nab", type=Path, default=None, help=f"NAB realTweets folder (default when the airline "
                                                              f"file has no time column: {NAB_DIR})")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--backfill-days", type=float, default=2)
    parser.add_argument("--batch-size", type=int, default=Settings().signal.batch_size,
                        help="batches of the batched NAB replays (default: signal_batch_size)")
    parser.add_argument("--lateness-minutes", type=float, default=LATENESS.total_seconds() / 60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    settings = Settings()
    base = {"benchmark": "crisis_realstream", "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": MACHINE, "code": code_version(), "command": "python -m bench.bench_crisis_realstream " + " ".join(argv), "top": args.top}
    why = None
    if args.nab is None:
        tweets, header = read_tweets(args.input or DATASET)
        if tweets is None and args.input is None:
            why = f"{DATASET.name} has no time column: the NAB realTweets streams instead"
            args.nab = NAB_DIR
    args.results.mkdir(parents=True, exist_ok=True)
    if args.nab is not None:
        series, windows = read_nab(args.nab)
        if not series:
            print(f"no {NAB_PREFIX}*.csv in {args.nab}", file=sys.stderr)
            return 2
        lateness = timedelta(minutes=args.lateness_minutes)
        partitions = next(spec.partitions for spec in topics.load_topics(settings.topics_file) if spec.name == topics.RAW)
        result = {**base, "mode": "nab", **({"why": why} if why else {}), "input": str(args.nab),
                  "batch_size": args.batch_size, "partitions": partitions, "lateness_minutes": args.lateness_minutes,
                  "seed": args.seed, "definitions": NAB_DEFINITIONS,
                  **measure_nab(series, windows, settings, args.top, args.batch_size, lateness, seed=args.seed)}
        (args.results / "crisis_realstream.json").write_text(json.dumps(result, indent=2) + "\n")
        write_nab_markdown(result, args.results / "crisis_realstream.md")
        print(json.dumps({"totals": result["totals"], "same_alerts": {k: v["same_alerts_as_live"]
                                                                      for k, v in result["replays"].items()}}, indent=2))
        return 0
    base.update({"mode": "airline", "input": str(args.input or DATASET), "backfill_days": args.backfill_days,
                 "definitions": DEFINITIONS})
    if tweets is None:
        result = {**base, "not_measured": f"{(args.input or DATASET).name} has no time column (its columns: "
                                           f"{', '.join(header)}; one of {', '.join(TIME_COLUMNS)} is needed): give "
                                           "the original Kaggle Tweets.csv with --input"}
        code = 2
    else:
        result = {**base, **measure(tweets, settings, args.top, args.backfill_days)}
        code = 0
    (args.results / "crisis_realstream.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, args.results / "crisis_realstream.md")
    print(json.dumps(result.get("summary") or result["not_measured"], indent=2))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
