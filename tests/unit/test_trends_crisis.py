import random
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.alerts.model import Severity
from pipeline.alerts.raid import text_sketch
from pipeline.trends.crisis import CrisisConfig, WatchMonitor
from pipeline.trends.signals import Signal
from pipeline.trends.terms import Term

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def signal(at, i, negative=False, complaint=False, troll=False, text=None, author=None, followers=100, terms=(),
           partition=None):
    return Signal(watch="acme", id=f"m{i}", at=at, negative=negative, complaint=complaint, troll=troll,
                  sketch=text_sketch(text or f"message number {i} about acme {random.random()}"),
                  author=author or f"u{i}", followers=followers, terms=tuple(terms), partition=partition)


def quiet_history(monitor, days=2, per_hour=30, seed=1):
    rng = random.Random(seed)
    i = 0
    moment = T0
    end = T0 + timedelta(days=days)
    while moment < end:
        moment += timedelta(seconds=rng.expovariate(per_hour / 3600))
        monitor.observe(signal(moment, i, negative=rng.random() < 0.2, complaint=rng.random() < 0.05))
        i += 1
    return moment, i


def test_trends_crisis_quiet_stream_raises_nothing():
    monitor = WatchMonitor("acme")
    detections = []
    rng = random.Random(3)
    moment, i = T0, 0
    while moment < T0 + timedelta(days=3):
        moment += timedelta(seconds=rng.expovariate(30 / 3600))
        monitor.observe(signal(moment, i, negative=rng.random() < 0.2))
        i += 1
        if i % 50 == 0:
            detections += monitor.assess()
    assert detections == []


def test_trends_crisis_complaint_burst_is_one_critical_crisis_detected_before_the_interval_closes():
    monitor = WatchMonitor("acme")
    moment, i = quiet_history(monitor)
    burst_start = moment + timedelta(minutes=1)
    for k in range(150):  # 150 angry complaints within 90 seconds
        monitor.observe(signal(burst_start + timedelta(seconds=k * 0.6), i + k, negative=True, complaint=True,
                               terms=[Term("hashtag", "#boycottacme"), Term("keyword", "allergie")],
                               followers=k))
    detections = monitor.assess()
    assert [d.kind for d in detections] == ["complaint_spike"]
    crisis = detections[0]
    assert crisis.severity is Severity.critical and crisis.observed >= 150 and crisis.baseline < 20
    assert crisis.top_terms[:2] == ["#boycottacme", "allergie"]
    assert crisis.sample_ids[0] == f"m{i + 149}"  # widest reach first
    assert "usual" in crisis.explanation and "#boycottacme" in crisis.explanation
    assert crisis.verdict in ("organic", "troll_raid")


def test_trends_crisis_copy_paste_troll_burst_is_a_raid_and_a_separate_incident():
    monitor = WatchMonitor("acme")
    moment, i = quiet_history(monitor)
    for k in range(60):
        monitor.observe(signal(moment + timedelta(seconds=30 + k), i + k, troll=True, negative=True,
                               text="acme are clowns, everybody boycott acme now!!! #acmeclowns", followers=2,
                               author=f"new{k}"))
    kinds = {d.kind: d for d in monitor.assess()}
    assert "troll_spike" in kinds and kinds["troll_spike"].verdict == "troll_raid"
    assert kinds["troll_spike"].dedup_key == "troll:acme"


def test_trends_crisis_needs_warmup_before_any_alert():
    monitor = WatchMonitor("acme", CrisisConfig())
    for k in range(200):
        monitor.observe(signal(T0 + timedelta(hours=2, seconds=k), k, negative=True))
    assert monitor.assess() == []


def test_trends_crisis_state_round_trip_gives_the_same_assessment():
    monitor = WatchMonitor("acme")
    moment, i = quiet_history(monitor)
    for k in range(120):
        monitor.observe(signal(moment + timedelta(seconds=k), i + k, negative=True))
    restored = WatchMonitor.from_state(monitor.to_state())
    assert [d.model_dump() for d in restored.assess()] == [d.model_dump() for d in monitor.assess()]


def test_trends_crisis_late_signals_count_in_their_own_open_interval_never_in_another():
    monitor = WatchMonitor("acme")
    monitor.observe(signal(T0 + timedelta(minutes=1), 0))
    monitor.observe(signal(T0 + timedelta(minutes=20, seconds=30), 1))
    monitor.advance()
    monitor.observe(signal(T0 + timedelta(minutes=20, seconds=5), 2))  # late, but its interval is still open
    monitor.observe(signal(T0 - timedelta(minutes=5), 3))  # its interval is closed: late, counted nowhere
    assert monitor.late == 2
    assert sum(c[0] for c in monitor.counts.values()) == 2  # the two of the open interval, none moved into it
    assert sum(sum(value for _, value in d.to_state()["window"]) for d in [monitor.detectors["volume_spike"]]) == 1


def test_trends_crisis_future_signals_count_now():
    monitor = WatchMonitor("acme")
    now = T0 + timedelta(minutes=21)
    monitor.observe(signal(T0 + timedelta(days=365), 3), now=now)
    monitor.advance(now)
    assert monitor.newest <= int((now + timedelta(minutes=10)).timestamp())


def test_trends_crisis_fast_replay_out_of_order_raises_no_false_alert():
    """Partitions read hours of event time apart (a fast replay) must not pile up into a fake spike."""
    rng = random.Random(5)
    moments = sorted(T0 + timedelta(seconds=rng.uniform(0, 40 * 3600)) for _ in range(1200))
    chunks = [moments[k::6] for k in range(6)]  # six partitions, each read in long stretches
    order = [m for stretch in range(0, 200, 50) for chunk in chunks for m in chunk[stretch:stretch + 50]]
    monitor = WatchMonitor("acme")
    detections = []
    for i, moment in enumerate(order):
        monitor.observe(signal(moment, i))
        if i % 20 == 0:
            detections += monitor.assess()
    assert detections == []


def test_trends_crisis_config_rejects_interval_longer_than_window():
    with pytest.raises(ValueError):
        CrisisConfig(interval=timedelta(hours=2))


def test_trends_crisis_forgets_the_recent_evidence_of_erased_authors():
    from pipeline.privacy import Erasure, ErasureSet

    monitor = WatchMonitor("acme")
    for i in range(6):
        monitor.observe(Signal(watch="acme", id=f"{'twitter' if i % 2 else 'reddit'}:{i}", at=T0 + timedelta(minutes=i),
                               negative=True, complaint=False, troll=False, sketch=text_sketch(f"text {i}"),
                               author="troublemaker" if i < 4 else f"u{i}", followers=1, terms=()))
    erased = ErasureSet()
    version = erased.version
    erased.add(Erasure("troublemaker", "twitter", "2026-11-21T00:00:00+00:00", "request"))
    assert erased.version > version
    assert monitor.forget_authors(erased.is_erased_author) == 2  # twitter:1 and twitter:3, not reddit's namesake
    assert [s.id for s in monitor.recent] == ["reddit:0", "reddit:2", "reddit:4", "twitter:5"]
    assert [s.id for s in WatchMonitor.from_state(monitor.to_state()).recent] == [s.id for s in monitor.recent]
    assert monitor.forget_authors(erased.is_erased_author) == 0


def _stream_with_a_burst(seed=9, partitions=6):
    rng = random.Random(seed)
    signals, moment, i = [], T0, 0
    while moment < T0 + timedelta(days=2, hours=6):
        moment += timedelta(seconds=rng.expovariate(30 / 3600))
        signals.append(signal(moment, i, negative=rng.random() < 0.2, partition=i % partitions))
        i += 1
    burst = moment + timedelta(minutes=2)
    for k in range(200):
        signals.append(signal(burst + timedelta(seconds=k * 0.9), i, negative=True, complaint=True, followers=k,
                              terms=[Term("hashtag", "#acmefail")], partition=i % partitions))
        i += 1
    end = burst + timedelta(hours=3)
    while moment < end:
        moment = max(moment, burst + timedelta(minutes=4)) + timedelta(seconds=rng.expovariate(30 / 3600))
        signals.append(signal(moment, i, partition=i % partitions))
        i += 1
    return signals


def _alerts_of(batches):
    monitor = WatchMonitor("acme", CrisisConfig(source_partitions=6))
    raised = []
    for batch in batches:
        for item in batch:
            monitor.observe(item)
        for moment, detections in monitor.advance():
            raised += [(moment, d.kind, d.severity, d.observed, tuple(d.sample_ids), tuple(d.top_terms), d.verdict)
                       for d in detections]
    return raised


def test_trends_crisis_same_alerts_at_the_same_event_times_whatever_the_batching_or_partition_order():
    stream = _stream_with_a_burst()
    by_partition = [[s for s in stream if s.partition == p] for p in range(6)]

    def in_batches(size):
        return [stream[k:k + size] for k in range(0, len(stream), size)]

    def partition_skew(chunk):  # one partition read far ahead of the others, in turns
        batches = []
        for start in range(0, max(map(len, by_partition)), chunk):
            batches += [part[start:start + chunk] for part in by_partition]
        return batches

    def shuffled_within_partitions():  # partitions interleaved at random, each in order
        rng, cursors, batches = random.Random(4), [0] * 6, []
        while any(c < len(by_partition[p]) for p, c in enumerate(cursors)):
            p = rng.randrange(6)
            take = rng.randint(1, 40)
            batches.append(by_partition[p][cursors[p]:cursors[p] + take])
            cursors[p] += take
        return batches

    reference = _alerts_of(in_batches(10))  # a slow stream: ~200/s in batches of 10
    assert reference and {kind for _, kind, *_ in reference} == {"complaint_spike"}
    assert reference[0][0] <= stream[-1].at  # raised while the burst goes on, not at the end of the stream
    for batches in (in_batches(1000), [stream], partition_skew(100), partition_skew(7), shuffled_within_partitions()):
        assert _alerts_of(batches) == reference


def test_trends_crisis_assessment_follows_event_time_not_batch_ends():
    """One big batch that holds the whole burst and hours after it: the burst is still assessed."""
    stream = _stream_with_a_burst()
    monitor = WatchMonitor("acme", CrisisConfig(source_partitions=6))
    history_end = next(k for k, s in enumerate(stream) if s.complaint)
    for item in stream[:history_end]:
        monitor.observe(item)
    monitor.advance()
    for item in stream[history_end:]:
        monitor.observe(item)
    found = monitor.advance()
    assert found and all(moment < stream[-1].at - timedelta(hours=2) for moment, _ in found)


def test_trends_crisis_burst_then_silence_is_assessed_once_every_partition_is_idle():
    config = CrisisConfig(source_partitions=2, idle_after=timedelta(seconds=30))
    monitor = WatchMonitor("acme", config)
    wall = datetime(2026, 12, 1, tzinfo=UTC)
    rng = random.Random(2)
    moment, i = T0, 0
    while moment < T0 + timedelta(days=2):
        moment += timedelta(seconds=rng.expovariate(30 / 3600))
        monitor.observe(signal(moment, i, partition=i % 2), now=wall)
        i += 1
    assert monitor.advance(wall) == []
    burst = (moment + timedelta(minutes=5)).replace(second=1, microsecond=0)
    for k in range(120):  # all within one tick, nothing after it
        monitor.observe(signal(burst + timedelta(milliseconds=5 * k), i + k, negative=True, partition=k % 2), now=wall)
    assert monitor.advance(wall) == []  # the tick of the burst may still fill
    found = monitor.advance(wall + timedelta(seconds=31))
    assert [d.kind for _, d in [(at, ds[0]) for at, ds in found]][:1] == ["negative_spike"]
    assert monitor.last_spiking("crisis") == found[-1][0]


def test_trends_crisis_state_saved_before_ticks_keeps_its_baselines():
    monitor = WatchMonitor("acme")
    quiet_history(monitor)
    monitor.advance()
    legacy = {"watch": "acme", "detectors": {s: d.to_state() for s, d in monitor.detectors.items()},
              "open": {}, "closed_until": monitor.closed_until, "watermark": monitor.watermark, "recent": []}
    restored = WatchMonitor.from_state(legacy)
    assert restored.detectors["volume_spike"].to_state() == monitor.detectors["volume_spike"].to_state()
    assert restored.closed_until == monitor.closed_until and restored.watermark is None
    assert WatchMonitor.from_state({"watch": "acme", "recent": []}).closed_until is None  # unreadable: fresh
