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
Without a time column the benchmark writes why it measured nothing and exits 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
        for moment, detections in self.monitor.advance(now):
            self._resolve_quiet(moment)
            for detection in detections:
                alert, _, _ = apply_detection(self.alerts.get(detection.dedup_key), detection, moment, self.cooldown)
                self.alerts[detection.dedup_key] = alert
                self.spans[alert.id] = _span(alert)
        if self.monitor.watermark_time is not None:
            self._resolve_quiet(self.monitor.watermark_time)

    def _resolve_quiet(self, moment: datetime) -> None:
        for incident in INCIDENTS:
            key = f"{incident}:{self.watch}"
            resolved = auto_resolve(self.alerts.get(key), self.monitor.last_spiking(incident), moment, self.quiet)
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
    closed = span.closed_at or end
    open_during = span.opened_at < hour + HOUR and closed >= hour
    opened_near = hour - HOUR <= span.opened_at < hour + 2 * HOUR
    return open_during or opened_near


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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, default=DATASET)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--backfill-days", type=float, default=2)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    tweets, header = read_tweets(args.input)
    base = {"benchmark": "crisis_realstream", "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "input": str(args.input), "top": args.top, "backfill_days": args.backfill_days, "definitions": DEFINITIONS}
    if tweets is None:
        result = {**base, "not_measured": f"{args.input.name} has no time column (its columns: {', '.join(header)}; "
                                           f"one of {', '.join(TIME_COLUMNS)} is needed): give the original Kaggle "
                                           "Tweets.csv with --input"}
        code = 2
    else:
        result = {**base, **measure(tweets, Settings(), args.top, args.backfill_days)}
        code = 0
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "crisis_realstream.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, args.results / "crisis_realstream.md")
    print(json.dumps(result.get("summary") or result["not_measured"], indent=2))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
