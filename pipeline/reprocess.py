"""``veille reprocess``: re-tag and re-index history from the ``mentions.raw`` log with today's models,
rules and lexicons.

It reads the log without a consumer group (from the offsets of time T, found with ListOffsets by
timestamp, to the end offsets seen at the start), runs the same :func:`process_raw_batch` as the tag
agent, drops erased authors and writes straight to Elasticsearch with the same document ids, so a
mention is overwritten, never duplicated. It does not go through ``mentions.enriched``: the trend and
crisis agents must not count history a second time. Bad records go to the dead-letter topic, marked
``"replayed_by": "reprocess"``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from pipeline.privacy import ErasureSet, keep_unerased, load_erasures
from pipeline.processing import RawRecord, dead_letter, process_raw_batch
from pipeline.settings import Settings
from pipeline.tagging import Tagger

log = logging.getLogger(__name__)


@dataclass
class ReprocessProgress:
    total: int = 0  # records in the range when it started
    read: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    erased: int = 0
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition -> [start, end)

    def line(self) -> str:
        share = 100 * self.read / self.total if self.total else 100.0
        return (f"{self.read}/{self.total} records ({share:.0f}%): {self.indexed} indexed, "
                f"{self.dead_lettered} dead-lettered, {self.erased} of erased authors dropped")


def plan_ranges(starts: dict[int, int | None], ends: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Per partition, the offsets to read: from the first record at or after T (``None``: nothing that
    recent) to the end seen at the start."""
    return {p: ((end if starts.get(p) is None else min(starts[p], end)), end) for p, end in ends.items()
            if (end if starts.get(p) is None else starts[p]) < end}


async def reprocess(
    settings: Settings, since: datetime | None, tagger: Tagger, *,
    on_progress: Callable[[ReprocessProgress], None] | None = None,
    erased: ErasureSet | None = None,
) -> ReprocessProgress:
    """Re-tag and re-index the raw mentions that entered Kafka at or after ``since`` (None: the whole log)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from pipeline.sinks.elasticsearch import (
        ElasticsearchMentionSink,
        document_for,
        make_client,
    )
    from pipeline.sinks.kafka import KafkaRecordSink, aiokafka_options
    from pipeline.topics import DEADLETTER, RAW

    topic = settings.topic(RAW)
    erased = erased if erased is not None else await load_erasures(settings)
    progress = ReprocessProgress()
    consumer = AIOKafkaConsumer(**aiokafka_options(settings), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=settings.reprocess_batch_size)
    await consumer.start()
    sink = ElasticsearchMentionSink(make_client(settings), settings)
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            raise RuntimeError(f"topic {topic} does not exist on {settings.kafka.brokers}")
        ends = {tp.partition: o for tp, o in (await consumer.end_offsets(partitions)).items()}
        if since is None:
            starts = {tp.partition: o for tp, o in (await consumer.beginning_offsets(partitions)).items()}
        else:
            found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
            starts = {tp.partition: (hit.offset if hit is not None else None) for tp, hit in found.items()}
        progress.ranges = plan_ranges(starts, ends)
        progress.total = sum(end - start for start, end in progress.ranges.values())
        if on_progress:
            on_progress(progress)
        if not progress.ranges:
            return progress
        await sink.setup()
        assigned = [TopicPartition(topic, p) for p in progress.ranges]
        consumer.assign(assigned)
        for tp in assigned:
            consumer.seek(tp, progress.ranges[tp.partition][0])
        remaining = set(assigned)
        loop = asyncio.get_running_loop()
        async with KafkaRecordSink(settings) as dead_letters:
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=settings.reprocess_batch_size)
                records = []
                for tp, messages in batch.items():
                    end = progress.ranges[tp.partition][1]
                    records += [RawRecord(value=m.value, key=m.key, topic=m.topic, partition=m.partition,
                                          offset=m.offset, timestamp_ms=m.timestamp)
                                for m in messages if m.offset < end]
                    if messages and messages[-1].offset >= end - 1:
                        remaining.discard(tp)
                for tp in list(remaining):  # an empty tail (compacted or aborted records) ends a range too
                    if await consumer.position(tp) >= progress.ranges[tp.partition][1]:
                        remaining.discard(tp)
                if not records:
                    continue
                result = await loop.run_in_executor(None, process_raw_batch, records, tagger)
                enriched, dropped = keep_unerased(result.enriched, erased)
                letters = list(result.dead_letters)
                if enriched:
                    outcome = await _until_written(sink, [document_for(d) for d in enriched])
                    progress.indexed += len(outcome.indexed)
                    origin = {_mention_id(r.value): r for r in records}
                    for document, reason in outcome.dead:
                        record = origin[document["id"]]
                        letters.append(dead_letter(reason, "index", topic=topic, partition=record.partition,
                                                   offset=record.offset, raw=record.value, mention_id=document["id"]))
                for letter in letters:
                    letter["replayed_by"] = "reprocess"
                    key = (letter.get("mention_id") or "").encode() or None
                    await dead_letters.send(settings.topic(DEADLETTER), value=orjson.dumps(letter), key=key)
                await dead_letters.flush()
                progress.read += len(records)
                progress.dead_lettered += len(letters)
                progress.erased += dropped
                if on_progress:
                    on_progress(progress)
        return progress
    finally:
        await consumer.stop()
        await sink.close()


def _mention_id(value: bytes | None) -> str | None:
    try:
        data = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return data.get("id") if isinstance(data, dict) else None


async def _until_written(sink, documents):
    """Elasticsearch down or overloaded: wait and retry, as the index agent does; never skip a batch."""
    delay = 0.5
    while True:
        try:
            return await sink.write(documents)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("indexing %d mentions failed (%s: %s); retrying in %.1fs", len(documents),
                        type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
