"""Connector checkpoints in the compacted ``connector.state`` topic: keyed by connector name, the latest
value wins, so a restarted connector (on any machine) resumes where the last one stopped.

A checkpoint is a JSON object::

    {"connector": "reddit", "type": "reddit", "updated_at": "...",
     "cursors": {"r/smarthome/new": {"newest": 1763280000.0}, ...},   # per stream, connector-specific
     "recent_ids": ["reddit:t3_abc", ...],                             # deduplication across restarts
     "stats": {"sent": 120, "dead_letters": 2, "errors": 0, ...}}

The store reads the topic without a consumer group (assign + seek), which works on every broker.
A checkpoint is saved only after the mentions it covers were acknowledged by Kafka (at-least-once;
deduplication by mention id absorbs the replays).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from pipeline.kafka_tools import read_topic
from pipeline.settings import Settings
from pipeline.sources.base import RecordSink
from pipeline.topics import CONNECTOR_STATE

log = logging.getLogger(__name__)


def latest_by_key(records: Iterable[tuple[bytes | None, bytes | None]]) -> dict[str, dict[str, Any]]:
    """Compaction, done by hand: the last readable value per key; a null value (tombstone) removes it."""
    latest: dict[str, dict[str, Any]] = {}
    for key, value in records:
        if key is None:
            continue
        name = key.decode("utf-8", "replace")
        if value is None:
            latest.pop(name, None)
            continue
        try:
            state = orjson.loads(value)
        except orjson.JSONDecodeError:
            log.warning("checkpoint of %s is not JSON; ignoring that version", name)
            continue
        if isinstance(state, dict):
            latest[name] = state
    return latest


async def load_checkpoints(settings: Settings, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
    records = await read_topic(settings, settings.topic(CONNECTOR_STATE), timeout=timeout)
    return latest_by_key((r.key, r.value) for r in records)


class CheckpointStore:
    """Reads every checkpoint once at start; saves through the connectors' own sink, after a flush."""

    def __init__(self, settings: Settings, sink: RecordSink, initial: dict[str, dict[str, Any]] | None = None):
        self.settings = settings
        self.sink = sink
        self.topic = settings.topic(CONNECTOR_STATE)
        self.states: dict[str, dict[str, Any]] = dict(initial or {})

    @classmethod
    async def open(cls, settings: Settings, sink: RecordSink) -> CheckpointStore:
        return cls(settings, sink, await load_checkpoints(settings))

    def get(self, name: str) -> dict[str, Any]:
        return dict(self.states.get(name) or {})

    async def save(self, name: str, state: dict[str, Any]) -> None:
        """Flush what was sent before (the mentions this checkpoint covers), then write the checkpoint."""
        state = {**state, "connector": name, "updated_at": datetime.now(UTC).isoformat()}
        await self.sink.flush()
        await self.sink.send(self.topic, orjson.dumps(state), key=name.encode())
        await self.sink.flush()
        self.states[name] = state


class RecentIds:
    """The most recent mention ids, bounded (least recently seen forgotten first)."""

    def __init__(self, capacity: int, initial: Iterable[str] = ()):
        self.capacity = max(capacity, 1)
        self._ids: OrderedDict[str, None] = OrderedDict()
        for mention_id in initial:
            self.add(mention_id)

    def __contains__(self, mention_id: str) -> bool:
        return mention_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, mention_id: str) -> bool:
        """Remember ``mention_id``; False if it was already known."""
        if mention_id in self._ids:
            self._ids.move_to_end(mention_id)
            return False
        self._ids[mention_id] = None
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def discard(self, mention_id: str) -> None:
        self._ids.pop(mention_id, None)

    def newest(self, count: int) -> list[str]:
        if count <= 0:
            return []
        ids = list(self._ids)
        return ids[-count:]
