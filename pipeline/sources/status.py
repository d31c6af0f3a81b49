"""What ``veille status`` says about each connector, from its checkpoint, as pure functions; and the
agents' consumer lag per topic."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.settings import Settings
from pipeline.timestamps import parse_iso

STREAM_STALE_SECONDS = 600.0


@dataclass(frozen=True)
class ConnectorHealth:
    name: str
    type: str
    health: str  # ok, failing, stale, never run
    checkpoint_age: float | None
    sent: int
    dead_letters: int
    errors: int
    lag: float | None  # seconds between now and how far the source has been read
    last_error: str | None


def connector_health(name: str, declared_type: str | None, state: dict[str, Any] | None, now: datetime) -> ConnectorHealth:
    if not state:
        return ConnectorHealth(name, declared_type or "?", "never run", None, 0, 0, 0, None, None)
    stats = state.get("stats") if isinstance(state.get("stats"), dict) else {}
    updated = parse_iso(state.get("updated_at"))
    success = parse_iso(stats.get("last_success_at"))
    failed = parse_iso(stats.get("last_error_at"))
    cursor = parse_iso(stats.get("cursor_at"))
    age = (now - updated).total_seconds() if updated else None
    poll = state.get("poll_seconds")
    stale_after = 3 * float(poll) if isinstance(poll, (int, float)) and poll else STREAM_STALE_SECONDS
    if failed and (success is None or failed > success):
        health = "failing"
    elif age is None or age > stale_after:
        health = "stale"
    else:
        health = "ok"
    if state.get("source") == "webhook" or declared_type == "webhook":
        lag = None  # pushed: nothing to be behind on
    else:
        lag = (now - cursor).total_seconds() if cursor else None
    return ConnectorHealth(name, declared_type or str(state.get("source") or state.get("type") or "?"), health, age,
                           int(stats.get("sent") or 0), int(stats.get("dead_letters") or 0),
                           int(stats.get("errors") or 0), lag, stats.get("last_error"))


def human_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def format_health(h: ConnectorHealth) -> str:
    line = (f"{h.name:<20} {h.type:<10} {h.health:<9} checkpoint {human_seconds(h.checkpoint_age):>5} ago  "
            f"sent {h.sent:>7}  dead letters {h.dead_letters:>5}  errors {h.errors:>4}  lag {human_seconds(h.lag):>5}")
    if h.health == "failing" and h.last_error:
        line += f"  last error: {h.last_error[:160]}"
    return line


async def consumer_lag(settings: Settings, group: str, topics: list[str], timeout: float = 10.0) -> dict[str, int]:
    """Messages not yet committed by ``group`` per topic (end offset minus committed offset)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.sinks.kafka import aiokafka_options

    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await asyncio.wait_for(admin.start(), timeout)
    try:
        consumer = AIOKafkaConsumer(**aiokafka_options(settings), group_id=None, enable_auto_commit=False)
        await asyncio.wait_for(consumer.start(), timeout)
        try:
            committed = await asyncio.wait_for(admin.list_consumer_group_offsets(group), timeout)
            lag: dict[str, int] = {}
            for topic in topics:
                partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
                if not partitions:
                    continue
                ends = await asyncio.wait_for(consumer.end_offsets(partitions), timeout)
                total = 0
                for tp in partitions:
                    done = committed.get(tp)
                    offset = done.offset if done is not None and done.offset >= 0 else 0
                    total += max(0, ends[tp] - offset)
                lag[topic] = total
            return lag
        finally:
            await consumer.stop()
    finally:
        await admin.close()
