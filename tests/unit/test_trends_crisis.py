import random
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.alerts.model import Severity
from pipeline.trends.crisis import CrisisConfig, WatchMonitor
from pipeline.trends.signals import Signal
from pipeline.trends.terms import Term

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def signal(at, i, negative=False, complaint=False, troll=False, text=None, author=None, followers=100, terms=()):
    return Signal(watch="acme", id=f"m{i}", at=at, negative=negative, complaint=complaint, troll=troll,
                  text=text or f"message number {i} about acme {random.random()}", author=author or f"u{i}",
                  followers=followers, terms=tuple(terms))


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


def test_trends_crisis_late_and_future_signals_are_counted_not_lost():
    monitor = WatchMonitor("acme", CrisisConfig(lateness=timedelta(minutes=1)))
    monitor.observe(signal(T0 + timedelta(minutes=20), 1))
    monitor.observe(signal(T0 - timedelta(minutes=5), 2))  # its interval is closed
    assert monitor.late == 1 and sum(c["volume_spike"] for c in monitor.open.values()) == 2
    now = T0 + timedelta(minutes=21)
    monitor.observe(signal(T0 + timedelta(days=365), 3), now=now)
    assert monitor.watermark <= int((now + timedelta(minutes=10)).timestamp())


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
                               negative=True, complaint=False, troll=False, text=f"text {i}",
                               author="troublemaker" if i < 4 else f"u{i}", followers=1, terms=()))
    erased = ErasureSet()
    version = erased.version
    erased.add(Erasure("troublemaker", "twitter", "2026-11-21T00:00:00+00:00", "request"))
    assert erased.version > version
    assert monitor.forget_authors(erased.is_erased_author) == 2  # twitter:1 and twitter:3, not reddit's namesake
    assert [s.id for s in monitor.recent] == ["reddit:0", "reddit:2", "reddit:4", "twitter:5"]
    assert all(s.text != "text 1" for s in WatchMonitor.from_state(monitor.to_state()).recent)
    assert monitor.forget_authors(erased.is_erased_author) == 0
