import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pipeline.alerts.raid import text_sketch
from pipeline.trends.backfill import (
    MAX_BACKFILL_RECORD_BYTES,
    BackfillError,
    BackfillHistory,
    HistoryCounter,
    count_csv,
    count_document,
)
from pipeline.trends.crisis import SERIES, WatchMonitor
from pipeline.trends.signals import Signal
from pipeline.trends.spikes import SpikeConfig, SpikeDetector

T0 = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
LIVE = T0 + timedelta(days=4)


def signal(at, i, negative=False, complaint=False):
    return Signal(watch="acme", id=f"m{i}", at=at, negative=negative, complaint=complaint, troll=False,
                  sketch=text_sketch(f"message {i} about acme"), author=f"u{i}", followers=100, terms=())


def steady_history(days=4, per_hour=30, seed=1, end=LIVE) -> BackfillHistory:
    rng = random.Random(seed)
    counter = HistoryCounter(300)
    moment = end - timedelta(days=days)
    while True:
        moment += timedelta(seconds=rng.expovariate(per_hour / 3600))
        if moment >= end:
            break
        counter.add_mention(moment, rng.random() < 0.2, ["complaint"] if rng.random() < 0.03 else [])
    return counter.history("acme", until=end, source="test")


def burst(monitor, start, count=150, first_id=10**6):
    for k in range(count):  # angry complaints within 90 seconds, at the start of the live stream
        monitor.observe(signal(start + timedelta(seconds=k * 0.6), first_id + k, negative=True, complaint=True))
    return [d for _, found in monitor.advance() for d in found] + monitor.assess()


@pytest.mark.parametrize("lines, kind, expected", [
    (["timestamp,volume,negative,complaint",  # counts: each row adds to the interval its timestamp is in
      "2026-11-02T10:00:00Z,12,3,1", "2026-11-02T10:02:00+00:00,4,0,0", "2026-11-02 10:20:00,5,5,2"],
     "counts", {"volume_spike": [16, 0, 0, 0, 5], "negative_spike": [3, 0, 0, 0, 5],
                "complaint_spike": [1, 0, 0, 0, 2], "troll_spike": [0] * 5}),
    (["timestamp,sentiment,categories",  # mentions, in any order
      "2026-11-02T10:06:00Z,negative,complaint;troll", "2026-11-02T10:01:00Z,positive,",
      "2026-11-02T10:03:00Z,Negative,Complaint|question"],
     "mentions", {"volume_spike": [2, 1], "negative_spike": [1, 1], "complaint_spike": [1, 1], "troll_spike": [0, 1]}),
])
def test_trends_backfill_csv_of_counts_or_mentions_gives_counts_per_interval(lines, kind, expected):
    counter = HistoryCounter(300)
    assert count_csv(lines, counter) == kind
    history = counter.history("acme")
    assert history.start == int(datetime(2026, 11, 2, 10, tzinfo=UTC).timestamp()) and history.interval == 300
    assert {series: history.counts[series] for series in SERIES} == expected


@pytest.mark.parametrize("lines, message", [
    (["time,volume"], "no timestamp column"),
    (["timestamp,other"], "need count columns"),
    (["timestamp,volume,sentiment"], "not both"),
    (["timestamp,volume", "yesterday,3"], "line 2: timestamp"),
    (["timestamp,volume", "2026-11-02T10:00:00Z,-1"], "line 2: volume '-1' is not a whole count"),
    (["timestamp,volume", "2026-11-02T10:00:00Z,many"], "line 2: volume 'many' is not a number"),
    (["timestamp,volume,negative", "2026-11-02T10:00:00Z,3"], "line 2: 2 fields"),
])
def test_trends_backfill_csv_refuses_what_it_cannot_count_naming_the_line(lines, message):
    with pytest.raises(BackfillError, match=message):
        count_csv(lines, HistoryCounter(300))


def test_trends_backfill_documents_are_flagged_as_signals_are():
    counter = HistoryCounter(300)
    count_document({"id": "x:1", "created_at": "2026-11-02T10:00:00Z", "sentiment": "negative",
                    "categories": ["complaint"]}, counter)
    count_document({"id": "x:2", "created_at": "2026-11-02T10:01:00+00:00", "sentiment": "neutral",
                    "categories": ["troll"]}, counter)
    history = counter.history("acme")
    assert [history.counts[s][0] for s in SERIES] == [2, 1, 1, 1]


def test_trends_backfill_history_runs_to_until_with_zeros_and_leaves_its_filling_interval_out():
    counter = HistoryCounter(300)
    counter.add(T0, {"volume_spike": 3})
    counter.add(T0 + timedelta(minutes=31), {"volume_spike": 2})  # in the interval "until" falls in: still filling
    history = counter.history("acme", until=T0 + timedelta(minutes=32))
    assert history.counts["volume_spike"] == [3, 0, 0, 0, 0, 0]
    assert history.end == int((T0 + timedelta(minutes=30)).timestamp())


def test_trends_backfill_long_history_is_coarsened_then_cut_to_stay_bounded():
    counter = HistoryCounter(300)
    for hour in range(24 * 40):  # 40 days: too many 5-minute points even at 10 minutes
        counter.add(T0 + timedelta(hours=hour), {"volume_spike": 10**9})
    history = counter.history("acme", max_points=4032)
    assert history.interval == 600 and history.intervals == 4032
    assert history.end == int((T0 + timedelta(hours=24 * 40 - 1, minutes=10)).timestamp())  # the newest are kept
    assert len(history.record()[1]) <= MAX_BACKFILL_RECORD_BYTES
    small = counter.history("acme", max_bytes=30_000)
    assert len(small.record()[1]) <= 30_000 and small.interval > 600


def test_trends_backfill_record_round_trips_and_refuses_bad_counts():
    history = steady_history(days=1)
    key, value = history.record()
    assert key == b"acme" and BackfillHistory.from_json(orjson.loads(value)) == history
    with pytest.raises(BackfillError):
        BackfillHistory.from_json({"type": "mention"})
    with pytest.raises(BackfillError, match="non-negative"):
        BackfillHistory("acme", 0, 300, {s: [-1] for s in SERIES})
    with pytest.raises(BackfillError, match="one count per interval"):
        BackfillHistory("acme", 0, 300, {**{s: [1] for s in SERIES}, "troll_spike": []})


def test_trends_backfill_detector_with_history_has_the_baselines_of_one_fed_the_whole_series():
    config = SpikeConfig(warmup=timedelta(hours=24))
    rng = random.Random(5)
    points = [(T0 + timedelta(minutes=5 * k), rng.randrange(0, 8) + (20 if (k // 12) % 24 == 18 else 0))
              for k in range(12 * 24 * 5)]
    whole, older, newer = SpikeDetector(config), SpikeDetector(config), SpikeDetector(config)
    cut = 12 * 24 * 4 + 7  # mid-slot: the slot both saw is summed
    for moment, value in points:
        whole.update(value, moment)
    for moment, value in points[:cut]:
        older.update(value, moment)
    for moment, value in points[cut:]:
        newer.update(value, moment)
    merged = newer.with_history(older)
    later = points[-1][0] + timedelta(minutes=5)
    for hour in range(24):
        moment = later + timedelta(hours=hour)
        assert merged.baseline(moment) == whole.baseline(moment)
    assert merged._first_seen == whole._first_seen and list(merged._totals) == list(whole._totals)
    assert len(merged._day_maxima) == len(whole._day_maxima)
    with pytest.raises(ValueError, match="before the first point"):
        older.with_history(newer)


def test_trends_backfill_spike_on_the_first_live_hour_is_detected_only_with_a_backfill():
    blind = WatchMonitor("acme")
    assert burst(blind, LIVE + timedelta(minutes=2)) == []  # warm-up: a day blind

    monitor = WatchMonitor("acme")
    assert monitor.learn_history(steady_history()) == 4 * 24 * 12
    assert monitor.detectors["volume_spike"]._first_seen == LIVE - timedelta(days=4)
    detections = burst(monitor, LIVE + timedelta(minutes=2))
    assert {d.kind for d in detections} == {"complaint_spike"}
    crisis = detections[0]
    # raised at the first tick it spikes: the burst brings about 17 complaints a 10-second tick
    assert crisis.score >= monitor.config.spike.threshold and crisis.observed < 2 * 17 and crisis.baseline < 5


def test_trends_backfill_quiet_live_hours_after_a_backfill_raise_nothing():
    monitor = WatchMonitor("acme")
    monitor.learn_history(steady_history(seed=2))
    rng = random.Random(9)
    moment, found = LIVE, []
    for i in range(30 * 24):  # a further day at the usual rate
        moment += timedelta(seconds=rng.expovariate(30 / 3600))
        monitor.observe(signal(moment, i, negative=rng.random() < 0.2, complaint=rng.random() < 0.03))
        if i % 20 == 0:
            found += monitor.advance()
    assert found == []


def test_trends_backfill_never_counts_an_interval_twice():
    monitor = WatchMonitor("acme")
    for i in range(60):  # the live stream already counted two hours before LIVE
        monitor.observe(signal(LIVE - timedelta(hours=2) + timedelta(minutes=2 * i), i))
    monitor.advance()
    counted = monitor.counted_since()
    assert counted == int((LIVE - timedelta(hours=2)).timestamp())
    history = steady_history()  # overlaps those two hours
    learnt = monitor.learn_history(history)
    assert learnt == (counted - history.start) // history.interval
    state = orjson.dumps(monitor.to_state())
    assert monitor.learn_history(history) == 0  # the same history again: nothing older is left
    assert orjson.dumps(monitor.to_state()) == state
    restored = WatchMonitor.from_state(orjson.loads(state))
    assert restored.counted_since() == history.start
