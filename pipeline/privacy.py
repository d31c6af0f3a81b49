"""Erasing an author (right to erasure) and keeping mentions no longer than the retention period.

An erasure is a record in the compacted ``erasures`` topic, keyed ``author:<platform or *>:<author id>``.
Its value is the erasure itself (never a null value: a null is the Kafka tombstone that compaction uses
to forget a key, and forgetting an erasure would let a replay bring the author's mentions back).
Agents, ``veille reprocess`` and the lead's table agents keep an :class:`ErasureSet` from that topic and
drop whatever :meth:`ErasureSet.is_erased` says; ``veille erase`` writes the record first, then deletes
the author's documents from Elasticsearch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pipeline.settings import Settings

log = logging.getLogger(__name__)

ANY_PLATFORM = "*"


@dataclass(frozen=True, slots=True)
class Erasure:
    author_id: str
    platform: str | None = None  # None: the author id on every platform
    requested_at: str | None = None
    reason: str | None = None

    @property
    def key(self) -> bytes:
        return erasure_key(self.author_id, self.platform)

    def value(self) -> bytes:
        return orjson.dumps({"type": "author", "author_id": self.author_id, "platform": self.platform,
                             "requested_at": self.requested_at, "reason": self.reason})


def erasure_key(author_id: str, platform: str | None = None) -> bytes:
    return f"author:{platform or ANY_PLATFORM}:{author_id}".encode()


def new_erasure(author_id: str, platform: str | None = None, reason: str | None = None,
                now: datetime | None = None) -> Erasure:
    if not author_id or not author_id.strip():
        raise ValueError("an author id is required")
    return Erasure(author_id.strip(), platform or None, (now or datetime.now(UTC)).isoformat(), reason)


class ErasureSet:
    """The authors erased so far, built from the ``erasures`` topic's records (latest value per key wins)."""

    def __init__(self) -> None:
        self._everywhere: set[str] = set()
        self._on_platform: set[tuple[str, str]] = set()
        self.version = 0  # counts the records taken into account: state derived from mentions can tell it is stale

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Take one record of the topic into account. A malformed record is logged and skipped: it cannot
        be an erasure this code wrote, and stopping the pipeline over it would lose mentions instead."""
        if key is None or not key.startswith(b"author:"):
            return
        try:
            _, platform, author_id = key.decode().split(":", 2)
        except (UnicodeDecodeError, ValueError):
            log.warning("ignoring erasure record with key %r", key[:200])
            return
        entry = (platform, author_id)
        self.version += 1
        if value is None:  # a deliberate un-erasure (Kafka tombstone): the author may be indexed again
            self._discard(entry)
            return
        if platform == ANY_PLATFORM:
            self._everywhere.add(author_id)
        else:
            self._on_platform.add(entry)

    def add(self, erasure: Erasure) -> None:
        self.apply(erasure.key, erasure.value())

    def _discard(self, entry: tuple[str, str]) -> None:
        platform, author_id = entry
        if platform == ANY_PLATFORM:
            self._everywhere.discard(author_id)
        else:
            self._on_platform.discard(entry)

    def is_erased(self, mention: Mapping[str, Any] | Any) -> bool:
        """Whether ``mention`` (a dict as on the topics, or a :class:`~pipeline.mention.Mention`) is by an
        erased author."""
        if not self:
            return False
        if isinstance(mention, Mapping):
            author, platform = mention.get("author"), mention.get("platform")
            author_id = author.get("id") if isinstance(author, Mapping) else None
        else:
            author = getattr(mention, "author", None)
            author_id = getattr(author, "id", None)
            platform = getattr(mention, "platform", None)
        if not isinstance(author_id, str):
            return False
        return self.is_erased_author(str(getattr(platform, "value", platform)), author_id)

    def is_erased_author(self, platform: str, author_id: str) -> bool:
        return author_id in self._everywhere or (platform, author_id) in self._on_platform

    def __len__(self) -> int:
        return len(self._everywhere) + len(self._on_platform)

    def __bool__(self) -> bool:
        return len(self) > 0


def erased_authors(records: Iterable[Any]) -> ErasureSet:
    """The erasure set from records of the ``erasures`` topic (anything with ``key`` and ``value``)."""
    erased = ErasureSet()
    for record in records:
        erased.apply(record.key, record.value)
    return erased


def keep_unerased(documents: list[dict[str, Any]], erased: ErasureSet) -> tuple[list[dict[str, Any]], int]:
    """(the documents not by an erased author, how many were dropped)."""
    kept = [d for d in documents if not erased.is_erased(d)]
    return kept, len(documents) - len(kept)


# --- Kafka --------------------------------------------------------------------------------------


async def load_erasures(settings: Settings, timeout: float = 60.0) -> ErasureSet:
    from pipeline.kafka_tools import read_topic
    from pipeline.topics import ERASURES

    return erased_authors(await read_topic(settings, settings.topic(ERASURES), timeout=timeout))


async def publish_erasure(settings: Settings, erasure: Erasure) -> None:
    """Write the erasure and wait until the broker has it (acks=all)."""
    from pipeline.sinks.kafka import KafkaRecordSink
    from pipeline.topics import ERASURES

    async with KafkaRecordSink(settings) as sink:
        await sink.send(settings.topic(ERASURES), value=erasure.value(), key=erasure.key)


class ErasureWatcher:
    """Keeps an :class:`ErasureSet` current by following the ``erasures`` topic without a consumer group
    (every worker needs every erasure, whatever partitions it owns). ``ready`` is set once the topic has
    been read to the end it had at start, so nothing is processed against a partial set."""

    def __init__(self, settings: Settings, poll_ms: int = 500):
        self.settings = settings
        self.erased = ErasureSet()
        self.ready = asyncio.Event()
        self.poll_ms = poll_ms

    def is_erased(self, mention: Mapping[str, Any] | Any) -> bool:
        return self.erased.is_erased(mention)

    async def run(self) -> None:
        """Follow the topic forever; reconnect (re-reading from the start, which is idempotent) on errors."""
        delay = 0.5
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("following %s failed (%s: %s); retrying in %.1fs", self._topic, type(exc).__name__,
                            exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    @property
    def _topic(self) -> str:
        from pipeline.topics import ERASURES

        return self.settings.topic(ERASURES)

    async def _follow(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        from pipeline.sinks.kafka import aiokafka_options

        consumer = AIOKafkaConsumer(**aiokafka_options(self.settings), group_id=None, enable_auto_commit=False,
                                    auto_offset_reset="earliest")
        await consumer.start()
        try:
            partitions: list = []
            while not partitions:
                await consumer.topics()
                partitions = [TopicPartition(self._topic, p)
                              for p in sorted(consumer.partitions_for_topic(self._topic) or ())]
                if not partitions:
                    log.warning("topic %s not found; no author is erased until it exists (run veille init)",
                                self._topic)
                    self.ready.set()
                    await asyncio.sleep(5)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            while True:
                batch = await consumer.getmany(timeout_ms=self.poll_ms)
                for messages in batch.values():
                    for message in messages:
                        self.erased.apply(message.key, message.value)
                if not self.ready.is_set() and await _read_to(consumer, ends):
                    log.info("%d erased author(s) loaded from %s", len(self.erased), self._topic)
                    self.ready.set()
        finally:
            await consumer.stop()


async def _read_to(consumer, ends: dict) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


# --- Elasticsearch ------------------------------------------------------------------------------


def author_query(author_id: str, platform: str | None = None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"author.id": author_id}}]
    if platform:
        filters.append({"term": {"platform": platform}})
    return {"bool": {"filter": filters}}


def older_than_query(days: int, now: datetime | None = None) -> dict[str, Any]:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    return {"range": {"created_at": {"lt": cutoff.isoformat()}}}


async def delete_matching(client, index: str, query: dict[str, Any]) -> int:
    """Delete every document of ``index`` matching ``query``; how many were deleted.

    ``delete_by_query`` where the server has it; otherwise search the ids page by page and bulk-delete them.
    """
    from elasticsearch import ApiError, NotFoundError

    if not await client.indices.exists(index=index):
        return 0
    await client.indices.refresh(index=index)  # delete_by_query only sees what a refresh has made visible
    try:
        response = await client.delete_by_query(index=index, query=query, refresh=True, conflicts="proceed",
                                                wait_for_completion=True)
        if response.get("failures"):
            raise RuntimeError(f"delete_by_query on {index} reported failures: {response['failures'][:3]}")
        return int(response.get("deleted", 0))
    except (NotFoundError, ApiError) as exc:
        if getattr(exc, "status_code", None) not in (400, 404, 405):
            raise
        log.info("delete_by_query not available on %s (%s); deleting by id", index, exc)
    return await _delete_by_ids(client, index, query)


async def _delete_by_ids(client, index: str, query: dict[str, Any]) -> int:
    from elasticsearch.helpers import async_streaming_bulk

    deleted = 0
    while True:
        await client.indices.refresh(index=index)
        response = await client.search(index=index, query=query, size=1000, source=False)
        ids = [hit["_id"] for hit in response["hits"]["hits"]]
        if not ids:
            return deleted
        actions = ({"_op_type": "delete", "_index": index, "_id": i} for i in ids)
        async for ok, item in async_streaming_bulk(client, actions, raise_on_error=False, max_retries=3):
            status = item.get("delete", {}).get("status")
            if ok:
                deleted += 1
            elif status != 404:
                raise RuntimeError(f"could not delete {item.get('delete', {}).get('_id')} from {index}: {item}")


async def count_matching(client, index: str, query: dict[str, Any]) -> int:
    if not await client.indices.exists(index=index):
        return 0
    await client.indices.refresh(index=index)
    return int((await client.count(index=index, query=query))["count"])


# --- the whole erasure, and retention -----------------------------------------------------------


@dataclass(frozen=True)
class EraseReport:
    erasure: Erasure
    deleted: int
    remaining: int


async def erase_author(settings: Settings, erasure: Erasure, settle_seconds: float) -> EraseReport:
    """Publish the erasure, then delete the author's documents; delete again after ``settle_seconds``
    for mentions the agents were holding when the erasure reached them. ``remaining`` must be 0."""
    from pipeline.sinks.elasticsearch import make_client

    await publish_erasure(settings, erasure)
    query = author_query(erasure.author_id, erasure.platform)
    async with make_client(settings) as client:
        deleted = await delete_matching(client, settings.mentions_index, query)
        if settle_seconds:
            await asyncio.sleep(settle_seconds)
            deleted += await delete_matching(client, settings.mentions_index, query)
        remaining = await count_matching(client, settings.mentions_index, query)
    return EraseReport(erasure, deleted, remaining)


async def apply_retention(settings: Settings, now: datetime | None = None) -> int:
    """Delete indexed mentions created more than ``mentions_retention_days`` ago; how many were deleted."""
    from pipeline.sinks.elasticsearch import make_client

    if settings.mentions_retention_days <= 0:
        return 0
    async with make_client(settings) as client:
        return await delete_matching(client, settings.mentions_index,
                                     older_than_query(settings.mentions_retention_days, now))
