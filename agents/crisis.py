"""Crisis agent: per-watch spike detection → alerts (Faust table, alerts topic, Elasticsearch, delivery).

One task owns each watch (signals are keyed by watch): its :class:`WatchMonitor` and its alerts, kept in
Faust tables. The monitor's state is saved as records of bounded size (pipeline/trends/records.py).
Detections come with the event time they were made at (the monitor's watermark), and alerts open,
update and resolve themselves (``crisis_auto_resolve_minutes``) at those times, not at batch ends.
Acknowledge and resolve arrive on the same topic, in order with the detections, so a person's decision
is never overwritten by the next update of the crisis. Deliveries run in the background (a slow Slack
must not delay detection); what fails waits in the outbox, flushed on a timer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import orjson

from agents.app import alerts_topic, app, dead_letter_topic, settings, signals_topic, table, topic
from agents.erasures import erasures
from agents.per_watch import read_signals, run_per_watch
from agents.runtime import acknowledged_when_done, event_context, send_and_confirm
from pipeline import topics as t
from pipeline.alerts.model import (
    Alert,
    InvalidTransition,
    acknowledge,
    apply_detection,
    auto_resolve,
    resolve,
)
from pipeline.alerts.store import AlertStore, wait_for_alert_indices
from pipeline.alerts.wiring import delivery_from_settings
from pipeline.processing import dead_letter
from pipeline.sinks.elasticsearch import make_client
from pipeline.trends.backfill import BACKFILL_TOPIC, BackfillError, BackfillHistory
from pipeline.trends.crisis import WatchMonitor
from pipeline.trends.records import read_state, state_records
from pipeline.trends.signals import AlertAction, Signal

log = logging.getLogger(__name__)

config = settings.crisis.to_config(next(spec.partitions for spec in t.load_topics(settings.topics_file)
                                      if spec.name == t.RAW))
cooldown = settings.crisis.alert_cooldown
quiet_to_resolve = settings.crisis.auto_resolve_after
INCIDENTS = ("crisis", "troll")
# how often quiet watches are looked at: a burst followed by silence is assessed at most this long after its
# partitions fall idle (every 10 s until 2026-12-02 put up to 10 s on the alert latency of such a burst)
QUIET_CHECK_SECONDS = min(2.0, max(0.5, settings.crisis.idle_seconds / 3))

backfill_topic = topic(BACKFILL_TOPIC)
monitor_state = table("crisis-monitors", t.SIGNALS, key_type=bytes, value_type=bytes)
alert_table = table("crisis-alerts", t.SIGNALS, key_type=bytes, value_type=bytes)  # dedup key → alert
monitors: dict[str, WatchMonitor] = {}
last_events: dict[str, object] = {}  # watch → its latest event: the table partition its timer-driven writes go to
saved_at: dict[str, float] = {}
_runtime: dict[str, object] = {}
_pending: set[asyncio.Task] = set()


def _monitor(watch: str) -> WatchMonitor:
    if watch not in monitors:
        saved = read_state(watch, monitor_state.get)
        monitors[watch] = WatchMonitor.from_state(saved, config) if saved else WatchMonitor(watch, config)
        _forget_erased_in(watch, monitors[watch])  # its saved state may predate an erasure
    return monitors[watch]


def _forget_erased_authors() -> None:
    """After an erasure, drop the erased authors' texts from every watch's recent evidence (what alerts
    quote); each watch's saved state is rewritten at its next batch."""
    if erasures.erased.version == _runtime.get("erasures_version", 0):
        return
    _runtime["erasures_version"] = erasures.erased.version
    for watch, monitor in monitors.items():
        _forget_erased_in(watch, monitor)


def _forget_erased_in(watch: str, monitor: WatchMonitor) -> None:
    dropped = monitor.forget_authors(erasures.erased.is_erased_author)
    if dropped:
        saved_at[watch] = 0.0  # rewrite the saved state at the watch's next batch
        log.info("forgot %d recent mention(s) of erased authors in watch %s", dropped, watch)


def _alert(key: str) -> Alert | None:
    saved = alert_table.get(key.encode())
    return Alert.model_validate_json(saved) if saved else None


async def _kafka_send(topic: str, key: bytes, value: bytes) -> None:
    await app.topic(settings.topic(topic), key_type=bytes, value_type=bytes).send(key=key, value=value)


def _delivery():
    if "delivery" not in _runtime:
        _runtime["http"] = httpx.AsyncClient()
        _runtime["delivery"] = delivery_from_settings(settings, _runtime["http"], _kafka_send)
    return _runtime["delivery"]


def _deliver_in_background(alert: Alert) -> None:
    delivery = _delivery()
    if delivery is None:
        return
    started = time.monotonic()

    async def deliver() -> None:
        results = await delivery.deliver(alert)
        for result in results:
            log.info("alert %s → %s: %s in %.2fs", alert.id, result.channel,
                     "delivered" if result.delivered else f"queued ({result.error})", time.monotonic() - started)

    task = asyncio.create_task(deliver())
    _pending.add(task)
    task.add_done_callback(_pending.discard)


@app.agent(signals_topic)
async def detect_crises(stream):
    client = make_client(settings)
    await wait_for_alert_indices(client, settings)
    store = AlertStore(client, settings)
    _runtime["store"] = store
    try:
        async for events in stream.take_events(settings.signal.batch_size, within=settings.signal.batch_within):
            async with acknowledged_when_done(events, "crisis"):
                _forget_erased_authors()
                by_watch, unreadable = read_signals(events)
                letters = []
                for event, exc in unreadable:
                    message = event.message
                    log.error("signal at %s[%s]@%s unreadable: %s", message.topic, message.partition,
                              message.offset, exc)
                    letters.append((dead_letter_topic, None, orjson.dumps(dead_letter(
                        f"unreadable signal: {exc}", "crisis", topic=message.topic, partition=message.partition,
                        offset=message.offset, raw=message.value))))
                await send_and_confirm(letters)
                for watch, items in by_watch.items():
                    last_events[watch] = items[-1][0]
                changed: list[Alert] = run_per_watch(by_watch, _process_watch, "crisis detection")
                await _publish(changed, store)
    finally:
        _runtime.pop("store", None)
        await client.close()


@app.agent(backfill_topic)
async def learn_backfills(stream):
    """``veille backfill``'s histories: each watch's monitor learns the baselines older than what it has
    counted itself (pipeline/trends/backfill.py), and its state is saved at once."""
    async for event in stream.events():
        message = event.message
        try:
            history = BackfillHistory.from_json(orjson.loads(message.value))
        except (ValueError, BackfillError) as exc:
            log.error("backfill at %s[%s]@%s unreadable: %s", message.topic, message.partition, message.offset, exc)
            await send_and_confirm([(dead_letter_topic, None, orjson.dumps(dead_letter(
                f"unreadable backfill: {exc}", "crisis", topic=message.topic, partition=message.partition,
                offset=message.offset, raw=message.value)))])
            continue
        with event_context(event):
            monitor = _monitor(history.watch)
            learnt = monitor.learn_history(history)
            _save(history.watch, monitor)
        saved_at[history.watch] = time.monotonic()
        log.info("backfill of watch %s (%s, %s[%s]@%s): learnt %d of %d interval(s) of %d s", history.watch,
                 history.source or "no source given", message.topic, message.partition, message.offset, learnt,
                 history.intervals, history.interval)


async def _publish(changed: list[Alert], store: AlertStore) -> None:
    await send_and_confirm([(alerts_topic, alert.dedup_key.encode(), alert.model_dump_json().encode())
                            for alert in changed])
    if changed:
        try:
            await store.upsert_many(changed)
        except Exception as exc:  # in the table and the alerts topic already; the next change re-indexes
            log.error("could not index %d alert(s) into Elasticsearch: %s", len(changed), exc)


@app.timer(QUIET_CHECK_SECONDS)
async def assess_quiet_watches():
    """A burst followed by silence: once its partitions have been idle for ``crisis_idle_seconds``, the
    watch's monitor assesses the last tick and resolves the alerts quiet long enough, without a new batch."""
    store = _runtime.get("store")
    if store is None or not last_events:
        return
    try:
        assigned = app.consumer.assignment()
    except Exception:  # the consumer is not ready (starting, rebalancing): the next tick will do
        return
    changed: list[Alert] = []
    for watch, event in list(last_events.items()):
        if event.message.tp not in assigned:  # the watch's partition went to another worker
            del last_events[watch]
            continue
        with event_context(event):
            try:
                changed += _process_watch(watch, [])
            except Exception:
                log.exception("assessing the quiet watch %s failed", watch)
    try:
        await _publish(changed, store)
    except Exception:  # in the table already; the next change publishes the alert again
        log.exception("could not publish %d alert(s) of quiet watches", len(changed))


def _process_watch(watch: str, items: list[Signal | AlertAction]) -> list[Alert]:
    monitor = _monitor(watch)
    now = datetime.now(UTC)
    changed: dict[str, Alert] = {}
    for item in items:
        if isinstance(item, AlertAction):
            alert = _apply_action(item)
            if alert is not None:
                changed[alert.dedup_key] = alert
        else:
            monitor.observe(item, now)
    for moment, detections, spiking_before in monitor.advance_with_spiking(now):
        _resolve_quiet(watch, spiking_before.get, moment, changed)
        for detection in detections:
            alert, was_changed, notify = apply_detection(_alert(detection.dedup_key), detection, moment, cooldown)
            if was_changed:
                _store(alert, changed)
            if notify:
                _deliver_in_background(alert)
    if monitor.watermark_time is not None:
        _resolve_quiet(watch, monitor.last_spiking, monitor.watermark_time, changed)
    if time.monotonic() - saved_at.get(watch, 0) >= settings.crisis.checkpoint_seconds:
        _save(watch, monitor)
        saved_at[watch] = time.monotonic()
    return list(changed.values())


def _store(alert: Alert, changed: dict[str, Alert]) -> None:
    alert_table[alert.dedup_key.encode()] = alert.model_dump_json().encode()
    changed[alert.dedup_key] = alert
    level = logging.INFO if alert.last_event == "updated" else logging.WARNING  # updates come every tick of a crisis
    log.log(level, "alert %s %s (%s, %s): %s", alert.id, alert.last_event, alert.kind, alert.severity.value, alert.title)


def _resolve_quiet(watch: str, last_spiking: Callable[[str], datetime | None], moment: datetime,
                   changed: dict[str, Alert]) -> None:
    """Resolve (by ``auto``) the watch's alerts whose series has been back to normal long enough by ``moment``
    (``last_spiking(incident)``: when it last spiked, as of that moment)."""
    for incident in INCIDENTS:
        key = f"{incident}:{watch}"
        resolved = auto_resolve(_alert(key), last_spiking(incident), moment, quiet_to_resolve)
        if resolved is not None:
            _store(resolved, changed)


def _save(watch: str, monitor: WatchMonitor) -> None:
    records, stale = state_records(watch, monitor.to_state(), monitor_state.get(watch.encode()))
    for key in stale:
        monitor_state.pop(key, None)
    for key, value in records:
        monitor_state[key] = value


def _apply_action(action: AlertAction) -> Alert | None:
    key = action.alert_id.rsplit(":", 1)[0]
    alert = _alert(key)
    if alert is None or alert.id != action.alert_id:
        log.warning("%s of alert %s ignored: not the current alert of %s", action.action, action.alert_id, key)
        return None
    change = acknowledge if action.action == "acknowledge" else resolve
    try:
        updated = change(alert, action.by, action.at)
    except InvalidTransition as exc:
        log.info("%s", exc)
        return None
    alert_table[key.encode()] = updated.model_dump_json().encode()
    return updated


@app.timer(30.0)
async def flush_alert_outbox():
    delivery = _delivery()
    if delivery is not None and len(delivery.outbox.load()):
        results = await delivery.flush_outbox()
        log.info("outbox: %d delivered, %d still failing", sum(r.delivered for r in results),
                 sum(not r.delivered for r in results))
