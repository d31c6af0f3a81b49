"""Each crisis alert says what share of its mentions comes from likely fake or automated accounts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pipeline.alerts.model import apply_detection
from pipeline.alerts.raid import text_sketch
from pipeline.trends.crisis import WatchMonitor
from pipeline.trends.signals import Signal, signals_for

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _signal(at, i, likely_fake=False, complaint=False):
    return Signal(watch="acme", id=f"m{i}", at=at, negative=complaint, complaint=complaint, troll=False,
                  sketch=text_sketch(f"message number {i} about acme {random.random()}"), author=f"u{i}",
                  followers=100, terms=(), likely_fake=likely_fake)


def _burst(fake_every: int | None):
    monitor = WatchMonitor("acme")
    rng = random.Random(1)
    moment, i = T0, 0
    while moment < T0 + timedelta(days=2):
        moment += timedelta(seconds=rng.expovariate(30 / 3600))
        monitor.observe(_signal(moment, i))
        i += 1
    for k in range(150):
        monitor.observe(_signal(moment + timedelta(seconds=60 + k * 0.6), i + k, complaint=True,
                                likely_fake=fake_every is not None and k % fake_every == 0))
    return monitor.assess()


def test_authors_crisis_share_of_likely_fake_accounts_in_the_alert():
    detection, = _burst(fake_every=2)
    assert 0.2 <= detection.fake_share <= 0.8
    assert "come from likely fake or automated accounts" in detection.explanation
    alert, _, _ = apply_detection(None, detection, T0 + timedelta(days=2), timedelta(minutes=30))
    assert alert.fake_share == detection.fake_share
    assert alert.model_dump(mode="json")["fake_share"] == detection.fake_share


def test_authors_crisis_share_is_zero_without_fake_accounts_and_said_nowhere():
    detection, = _burst(fake_every=None)
    assert detection.fake_share == 0.0
    assert "fake" not in detection.explanation


def test_authors_crisis_share_signal_carries_the_flag_of_the_tagged_document():
    document = {"id": "mastodon:1", "watch": ["acme"], "created_at": "2026-11-01T00:00:00Z", "text": "acme!",
                "author": {"id": "b"}, "author_health": {"score": 1.0, "likely_fake": True, "reasons": []}}
    signal, = signals_for(document)
    assert signal.likely_fake
    assert Signal.from_json(signal.to_json()).likely_fake
    assert "likely_fake" not in signals_for({**document, "author_health": None})[0].to_json()
