"""The long-poll emulation against the session's embedded broker, which answers empty fetches at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.consumer.fetcher import Fetcher

from pipeline.kafka_polling import EmptyFetchPacing

pytestmark = pytest.mark.integration


async def _fetches_while_idle(settings, seconds: float, wait: float) -> tuple[int, list[bytes]]:
    """Fetch requests an idle consumer sends in ``seconds``, then the record produced at the end."""
    topic = f"polling-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    await admin.close()
    calls = 0
    original = Fetcher._proc_fetch_request

    async def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)

    Fetcher._proc_fetch_request = counted
    pacing = EmptyFetchPacing(wait)
    pacing.install()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka.bootstrap, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap)
    try:
        await consumer.start()
        await producer.start()
        await asyncio.sleep(seconds)
        idle_calls = calls
        await producer.send_and_wait(topic, b"after the quiet")
        batch = await consumer.getmany(timeout_ms=5000)
        return idle_calls, [record.value for records in batch.values() for record in records]
    finally:
        await producer.stop()
        await consumer.stop()
        pacing.uninstall()
        Fetcher._proc_fetch_request = original


def test_kafka_polling_idle_consumer_waits_between_empty_fetches_and_still_gets_records(settings, stack):
    paced, received = asyncio.run(_fetches_while_idle(settings, 2.0, wait=0.05))
    assert received == [b"after the quiet"]
    assert paced <= 2.0 / 0.05 + 5  # at most one empty fetch per wait


def test_kafka_polling_without_pacing_the_embedded_broker_makes_a_consumer_spin(settings, stack):
    spinning, _ = asyncio.run(_fetches_while_idle(settings, 1.0, wait=0))
    assert spinning > 200  # why the pacing exists: empty fetches answered at once, back to back
