"""Reading topics without a consumer group (assign + seek): for the demo summary, status and tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.settings import Settings
from pipeline.sinks.kafka import aiokafka_options


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


async def _consumer(settings: Settings) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(**aiokafka_options(settings), enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    return consumer


async def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = await _consumer(settings)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        offsets = await consumer.end_offsets(partitions) if partitions else {}
        return {tp.partition: offset for tp, offset in offsets.items()}
    finally:
        await consumer.stop()


async def read_topic(settings: Settings, topic: str, timeout: float = 30.0) -> list[Record]:
    """Every record currently in ``topic`` (from the beginning up to the end offsets seen at the start)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    consumer = await _consumer(settings)
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        records: list[Record] = []
        while remaining:
            if loop.time() > deadline:
                raise TimeoutError(f"read {len(records)} records of {topic} in {timeout:.0f}s; partitions "
                                   f"{sorted(tp.partition for tp in remaining)} not read to their end")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for m in messages:
                    if m.offset < ends[tp]:
                        records.append(Record(m.topic, m.partition, m.offset, m.key, m.value, m.timestamp))
                if await _reached(consumer, tp, ends[tp]):
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, tp: TopicPartition, end: int) -> bool:
    return await consumer.position(tp) >= end
