"""Erasing an author (right to erasure) and keeping mentions no longer than the retention period.

An erasure is a record in the compacted ``erasures`` topic, keyed ``author:<platform or *>:<author id>``.
Its value is the erasure itself (never a null value: a null is the Kafka tombstone that compaction uses
to forget a key, and forgetting an erasure would let a replay bring the author's mentions back).
Agents, ``veille reprocess``, ``veille train`` (for CM corrections) and the lead's table agents keep an
:class:`ErasureSet` from that topic and drop whatever it says is erased; ``veille erase`` writes the record
first, then deletes the author's documents from Elasticsearch, their ids from the alerts' and trends'
evidence, and the CM corrections of their mentions.
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


def _platform_of(mention_id: str | None) -> str | None:
    if not mention_id or ":" not in mention_id:
        return None
    return mention_id.partition(":")[0] or None


def feedback_is_erased(record: Any, erased: ErasureSet, erased_mention_ids: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether an erasure reaches this CM correction: by its author, or, for a record that predates
    ``author_id``, by the id of one of the erased author's mentions."""
    if record.id is not None and record.id in erased_mention_ids:
        return True
    platform = record.platform or _platform_of(record.id) or ANY_PLATFORM
    return bool(record.author_id) and erased.is_erased_author(platform, record.author_id)


def keep_unerased_feedback(records: Iterable[Any], erased: ErasureSet,
                           erased_mention_ids: Iterable[str] = ()) -> tuple[list[Any], int]:
    """(the CM corrections no erasure reaches, how many were dropped)."""
    ids = frozenset(erased_mention_ids)
    records = list(records)
    kept = [r for r in records if not feedback_is_erased(r, erased, ids)]
    return kept, len(records) - len(kept)


def rewrite_feedback(path, erased: ErasureSet, erased_mention_ids: Iterable[str] = ()) -> int:
    """Rewrite the CM corrections file without the records an erasure reaches (atomically, under the
    file's lock); how many were removed. Lines that are not records are kept as they are."""
    import os

    from pydantic import ValidationError

    from pipeline.tagging.feedback import FeedbackRecord, feedback_lock

    if not path.exists():
        return 0
    ids = frozenset(erased_mention_ids)
    with feedback_lock(path):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept_lines = []
        for line in lines:
            try:
                record = FeedbackRecord.model_validate_json(line) if line.strip() else None
            except (ValidationError, ValueError):
                record = None
            if record is None or not feedback_is_erased(record, erased, ids):
                kept_lines.append(line)
        removed = len(lines) - len(kept_lines)
        if removed:
            temporary = path.with_name(path.name + ".erasing")
            with temporary.open("w", encoding="utf-8") as handle:
                handle.writelines(kept_lines)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
    return removed


def without_ids(ids: Iterable[str] | None, erased_ids: set[str] | frozenset[str]) -> list[str]:
    return [i for i in ids or () if i not in erased_ids]


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


async def matching_ids(client, index: str, query: dict[str, Any], page: int = 1000) -> set[str]:
    """The ids of every document of ``index`` matching ``query`` (page by page, ``search_after`` on ``id``)."""
    if not await client.indices.exists(index=index):
        return set()
    await client.indices.refresh(index=index)
    ids: set[str] = set()
    after = None
    while True:
        extra = {"search_after": after} if after is not None else {}
        response = await client.search(index=index, query=query, size=page, source=False,
                                       sort=[{"id": {"order": "asc", "unmapped_type": "keyword"}}], **extra)
        hits = response["hits"]["hits"]
        ids.update(hit["_id"] for hit in hits)
        if len(hits) < page or not hits[-1].get("sort"):
            return ids
        after = hits[-1]["sort"]


async def scrub_evidence(client, index: str, erased_ids: Iterable[str], rounds: int = 20) -> int:
    """Rewrite every document of ``index`` (alerts, trends) whose ``sample_ids`` names an erased mention,
    without those ids; how many documents were rewritten. A document changed meanwhile (the crisis agent
    updating an alert) is not overwritten (``if_seq_no``): the next round reads it again."""
    from elasticsearch import ConflictError

    ids = frozenset(erased_ids)
    if not ids or not await client.indices.exists(index=index):
        return 0
    rewritten = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        query = {"terms": {"sample_ids": ordered[start:start + 500]}}
        for _ in range(rounds):
            await client.indices.refresh(index=index)
            hits = (await client.search(index=index, query=query, size=500, seq_no_primary_term=True))["hits"]["hits"]
            if not hits:
                break
            for hit in hits:
                document = dict(hit["_source"])
                document["sample_ids"] = without_ids(document.get("sample_ids"), ids)
                guard = ({"if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"]}
                         if "_seq_no" in hit and "_primary_term" in hit else {})
                try:
                    await client.index(index=index, id=hit["_id"], document=document, **guard)
                    rewritten += 1
                except ConflictError:
                    continue
        else:
            raise RuntimeError(f"documents of {index} still name erased mentions after {rounds} rounds")
    await client.indices.refresh(index=index)
    return rewritten


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
    evidence_rewritten: int = 0  # alerts and trends documents whose sample_ids named the author's mentions
    feedback_removed: int = 0  # CM corrections of the author's mentions removed from feedback.jsonl


async def erase_author(settings: Settings, erasure: Erasure, settle_seconds: float) -> EraseReport:
    """Publish the erasure, then delete the author's documents; delete again after ``settle_seconds``
    for mentions the agents were holding when the erasure reached them. ``remaining`` must be 0.

    The ids of the deleted mentions are then taken out of the alerts' and trends' evidence
    (``sample_ids``), and the CM corrections of those mentions or by that author out of this data
    directory's ``feedback.jsonl`` (``veille train`` also drops any that an erasure names)."""
    from pipeline.alerts.store import alerts_index, trends_index
    from pipeline.sinks.elasticsearch import make_client
    from pipeline.tagging.feedback import feedback_path

    await publish_erasure(settings, erasure)
    query = author_query(erasure.author_id, erasure.platform)
    async with make_client(settings) as client:
        erased_ids = await matching_ids(client, settings.mentions_index, query)
        deleted = await delete_matching(client, settings.mentions_index, query)
        if settle_seconds:
            await asyncio.sleep(settle_seconds)
            erased_ids |= await matching_ids(client, settings.mentions_index, query)
            deleted += await delete_matching(client, settings.mentions_index, query)
        remaining = await count_matching(client, settings.mentions_index, query)
        rewritten = 0
        for index in (alerts_index(settings), trends_index(settings)):
            rewritten += await scrub_evidence(client, index, erased_ids)
    erased = ErasureSet()
    erased.add(erasure)
    removed = rewrite_feedback(feedback_path(settings.data_dir), erased, erased_ids)
    return EraseReport(erasure, deleted, remaining, rewritten, removed)


async def apply_retention(settings: Settings, now: datetime | None = None) -> int:
    """Delete indexed mentions created more than ``mentions_retention_days`` ago; how many were deleted."""
    from pipeline.sinks.elasticsearch import make_client

    if settings.mentions_retention_days <= 0:
        return 0
    async with make_client(settings) as client:
        return await delete_matching(client, settings.mentions_index,
                                     older_than_query(settings.mentions_retention_days, now))
