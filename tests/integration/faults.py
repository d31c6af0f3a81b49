"""What the delivery tests send and check: sample mentions with ids of their own, produced to the raw topic,
then found in the index and the dead-letter topic. The fault proxy itself is :mod:`tools.faults`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson

from tools.faults import FaultyElasticsearch

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "mentions.jsonl"


def sample_mentions(tag: str, count: int, start: int = 0) -> list[dict]:
    """``count`` valid mentions from the bundled sample with ids of their own (``<platform>:<tag>-<n>``)."""
    lines = SAMPLE.read_bytes().splitlines()
    mentions = []
    for n in range(count):
        mention = orjson.loads(lines[(start + n) % len(lines)])
        mention["native_id"] = f"{tag}-{n}"
        mention["id"] = f"{mention['platform']}:{mention['native_id']}"
        mentions.append(mention)
    return mentions


async def produce(settings, records: list[tuple[bytes | None, bytes | None]]) -> None:
    from pipeline.sinks.kafka import KafkaRecordSink
    from pipeline.topics import RAW

    async with KafkaRecordSink(settings) as sink:
        for key, value in records:
            await sink.send(settings.topic(RAW), value=value, key=key)


def as_records(mentions: list[dict]) -> list[tuple[bytes, bytes]]:
    return [(m["id"].encode(), orjson.dumps(m)) for m in mentions]


async def indexed_copies(settings, ids: list[str]) -> dict[str, int]:
    """How many documents carry each of ``ids`` (read straight from Elasticsearch, not via the proxy)."""
    from pipeline.sinks.elasticsearch import make_client

    found: dict[str, int] = {}
    async with make_client(settings) as client:
        if not await client.indices.exists(index=settings.mentions_index):
            return found
        await client.indices.refresh(index=settings.mentions_index)
        for start in range(0, len(ids), 500):
            response = await client.search(index=settings.mentions_index, size=1000, source=["id"],
                                           query={"terms": {"id": ids[start:start + 500]}})
            for hit in response["hits"]["hits"]:
                found[hit["_source"]["id"]] = found.get(hit["_source"]["id"], 0) + 1
    return found


async def dead_letters(settings) -> list[dict]:
    from pipeline.kafka_tools import read_topic
    from pipeline.topics import DEADLETTER

    return [orjson.loads(r.value) for r in await read_topic(settings, settings.topic(DEADLETTER))]


async def wait_until_settled(settings, ids: list[str], dead_ids: set[str], timeout: float = 240) -> dict[str, int]:
    """Wait until every id is indexed or dead-lettered (or the timeout); the indexed copies then."""
    deadline = time.monotonic() + timeout
    copies: dict[str, int] = {}
    while time.monotonic() < deadline:
        copies = await indexed_copies(settings, ids)
        lettered = {l["mention_id"] for l in await dead_letters(settings) if l.get("mention_id")} & set(ids)
        if set(copies) | lettered >= set(ids) and lettered >= dead_ids:
            return copies
        await asyncio.sleep(1)
    return copies


async def forget(settings, ids: list[str]) -> None:
    """Delete these mentions from the index: tests on the session stack leave it as they found it."""
    from pipeline.privacy import delete_matching
    from pipeline.sinks.elasticsearch import make_client

    async with make_client(settings) as client:
        for start in range(0, len(ids), 500):
            await delete_matching(client, settings.mentions_index, {"terms": {"id": ids[start:start + 500]}})


async def trace_lost(settings, lost: set[str], proxy: FaultyElasticsearch | None = None) -> str:
    """Where each lost id got to: raw topic, enriched topic, bulk requests seen by the proxy; the consumer
    group's committed offsets against the log ends. For the failure message of a delivery test."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from pipeline.kafka_tools import end_offsets, read_topic
    from pipeline.sinks.kafka import aiokafka_options
    from pipeline.topics import ENRICHED, RAW

    lines = []
    where: dict[str, dict[str, list]] = {i: {} for i in lost}
    for name in (RAW, ENRICHED):
        topic = settings.topic(name)
        for r in await read_topic(settings, topic):
            key = (r.key or b"").decode(errors="replace")
            if key in where:
                where[key].setdefault(name, []).append((r.partition, r.offset))
        ends = await end_offsets(settings, topic)
        consumer = AIOKafkaConsumer(**aiokafka_options(settings), group_id=settings.app_id, enable_auto_commit=False)
        await consumer.start()
        try:
            committed = {p: await consumer.committed(TopicPartition(topic, p)) for p in sorted(ends)}
        finally:
            await consumer.stop()
        lines.append(f"{topic}: end offsets {ends}, committed by {settings.app_id} {committed}")
    seen = set(proxy.stats.seen_ids) if proxy else set()
    for i in sorted(lost)[:40]:
        lines.append(f"  {i}: {where[i]} bulk-sent={'yes' if i in seen else 'no'}")
    return "\n".join(lines)
