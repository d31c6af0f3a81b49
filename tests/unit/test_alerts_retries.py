"""Delivery with retries and the outbox, against in-memory channels that fail on cue (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.alerts.channels import DeliveryError
from pipeline.alerts.delivery import AlertDelivery
from pipeline.alerts.model import Detection, apply_detection
from pipeline.alerts.outbox import OutboxEntry, OutboxQueue, OutboxStore, delivery_id
from pipeline.alerts.routing import parse_alerting_config

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
CONFIG = parse_alerting_config({
    "channels": {"a": {"type": "kafka"}, "b": {"type": "kafka"}},
    "routes": {"default": {"critical": ["a", "b"], "warning": ["a"]}},
    "retry": {"attempts": 4, "initial_backoff": 0.5, "max_backoff": 4, "max_retry_after": 30},
})


class ScriptedChannel:
    """Raises the scripted errors in turn, then succeeds; records what it delivered."""

    def __init__(self, name, errors=()):
        self.name, self.errors, self.delivered, self.calls = name, list(errors), [], 0

    async def send(self, alert, identity):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append((alert.id, identity))


def alert(severity="critical", title="Complaints about acme surge", kind="complaint_spike"):
    detection = Detection(watch="acme", kind=kind, severity=severity, title=title)
    return apply_detection(None, detection, NOW, timedelta(hours=1))[0]


def delivery(tmp_path, channels):
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    return AlertDelivery(CONFIG, {c.name: c for c in channels}, OutboxStore(tmp_path), sleep=sleep,
                         clock=lambda: NOW), sleeps


async def test_alerts_delivery_routes_by_severity(tmp_path):
    a, b = ScriptedChannel("a"), ScriptedChannel("b")
    service, _ = delivery(tmp_path, [a, b])
    await service.deliver(alert("warning"))
    assert len(a.delivered) == 1 and b.delivered == []


async def test_alerts_delivery_honours_retry_after_then_succeeds(tmp_path):
    throttled = DeliveryError("HTTP 429", retryable=True, retry_after=3.0)
    a = ScriptedChannel("a", [throttled, DeliveryError("HTTP 429", retryable=True, retry_after=3.0)])
    service, sleeps = delivery(tmp_path, [a, ScriptedChannel("b")])
    results = await service.deliver(alert())
    assert sleeps == [3.0, 3.0]
    assert {r.channel: (r.delivered, r.attempts) for r in results} == {"a": (True, 3), "b": (True, 1)}
    assert len(OutboxStore(tmp_path).load()) == 0


async def test_alerts_delivery_backs_off_exponentially_without_retry_after(tmp_path):
    a = ScriptedChannel("a", [DeliveryError("timed out", retryable=True) for _ in range(3)])
    service, sleeps = delivery(tmp_path, [a, ScriptedChannel("b")])
    await service.deliver(alert())
    assert len(sleeps) == 3
    for waited, base in zip(sleeps, [0.5, 1.0, 2.0], strict=True):
        assert base <= waited <= base + 0.5  # jitter up to initial_backoff


async def test_alerts_delivery_permanent_error_is_not_retried_but_kept(tmp_path):
    a = ScriptedChannel("a", [DeliveryError("HTTP 404 Not Found", retryable=False)])
    service, sleeps = delivery(tmp_path, [a, ScriptedChannel("b")])
    results = await service.deliver(alert())
    assert sleeps == [] and a.calls == 1
    failed = next(r for r in results if r.channel == "a")
    assert (failed.delivered, failed.queued, failed.error) == (False, True, "HTTP 404 Not Found")
    [entry] = OutboxStore(tmp_path).load().entries
    assert (entry.channel, entry.attempts, entry.last_error) == ("a", 1, "HTTP 404 Not Found")


async def test_alerts_delivery_too_long_retry_after_goes_to_outbox_without_waiting(tmp_path):
    a = ScriptedChannel("a", [DeliveryError("HTTP 429", retryable=True, retry_after=3600)])
    service, sleeps = delivery(tmp_path, [a, ScriptedChannel("b")])
    await service.deliver(alert())
    assert sleeps == [] and len(OutboxStore(tmp_path).load()) == 1


async def test_alerts_delivery_flush_sends_once_and_empties_outbox(tmp_path):
    down = [DeliveryError("cannot connect", retryable=True) for _ in range(4)]
    a, b = ScriptedChannel("a", down), ScriptedChannel("b")
    service, _ = delivery(tmp_path, [a, b])
    first = alert()
    await service.deliver(first)
    assert a.delivered == [] and len(OutboxStore(tmp_path).load()) == 1
    results = await service.flush_outbox()
    assert [(r.channel, r.delivered) for r in results] == [("a", True)]
    assert a.delivered == [(first.id, delivery_id("a", first))] and len(b.delivered) == 1
    assert await service.flush_outbox() == [] and len(a.delivered) == 1


async def test_alerts_delivery_flush_stops_on_a_channel_still_down(tmp_path):
    a = ScriptedChannel("a", [DeliveryError("cannot connect", retryable=True) for _ in range(20)])
    service, _ = delivery(tmp_path, [a, ScriptedChannel("b")])
    await service.deliver(alert(title="first"))
    await service.deliver(alert(title="second", severity="warning", kind="troll_spike"))
    calls_before = a.calls
    results = await service.flush_outbox()
    assert a.calls == calls_before + 1 and len(results) == 1
    queue = OutboxStore(tmp_path).load()
    assert len(queue) == 2 and queue.entries[0].attempts == 5


async def test_alerts_delivery_unexpected_channel_bug_does_not_lose_alert(tmp_path):
    a = ScriptedChannel("a", [KeyError("oops")])
    service, _ = delivery(tmp_path, [a, ScriptedChannel("b")])
    results = await service.deliver(alert())
    assert next(r for r in results if r.channel == "a").queued
    assert len(OutboxStore(tmp_path).load()) == 1


def test_alerts_outbox_queue_survives_save_and_load(tmp_path):
    first, second = alert(title="one"), alert(title="two", kind="troll_spike")
    entries = [OutboxEntry(id=delivery_id("a", x), channel="a", alert=x, attempts=2, first_failed_at=NOW,
                           last_failed_at=NOW, last_error="HTTP 503") for x in (first, second)]
    queue = OutboxQueue().add(entries[0]).add(entries[1]).add(entries[0])
    assert [e.alert.title for e in queue.entries] == ["two", "one"] and queue.entries[1].attempts == 4
    store = OutboxStore(tmp_path / "outbox")
    store.save(queue)
    assert store.load() == queue
    assert store.load().without([entries[1].id]).entries == (queue.entries[1],)


def test_alerts_outbox_skips_a_torn_line(tmp_path):
    store = OutboxStore(tmp_path)
    entry = OutboxEntry(id="x", channel="a", alert=alert(), attempts=1, first_failed_at=NOW, last_failed_at=NOW,
                        last_error="e")
    store.save(OutboxQueue((entry,)))
    with store.path.open("a") as stream:
        stream.write('{"id": "half')
    assert store.load().entries == (entry,)


@pytest.mark.parametrize("event_change", [{"updated_at": NOW + timedelta(minutes=5)}, {"last_event": "escalated"}])
def test_alerts_outbox_delivery_id_differs_per_alert_state(event_change):
    base = alert()
    assert delivery_id("a", base) != delivery_id("a", base.model_copy(update=event_change))
    assert delivery_id("a", base) != delivery_id("b", base)
