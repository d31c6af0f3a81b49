"""The embedded broker restart the fault tests use keeps every write it acknowledged (pipeline/stack.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.stack import EmbeddedStack, isolated_stack_env, settings_for

pytestmark = pytest.mark.integration

TOPIC = "restart-probe"


async def _read_all(bootstrap: list[str], partitions: int) -> set[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        values: set[bytes] = set()
        while [await consumer.position(tp) for tp in tps] < [ends[tp] for tp in tps]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values |= {record.value for record in records}
        return values
    finally:
        await consumer.stop()


async def test_stack_broker_restart_mid_write_keeps_every_acknowledged_record(tmp_path):
    settings = settings_for(isolated_stack_env(tmp_path))
    stack = EmbeddedStack(settings)
    stack.up(timeout=60)
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(TOPIC, 6, 1)])
        await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks=-1, linger_ms=5)
        await producer.start()
        acknowledged: set[bytes] = set()

        async def send(value: bytes) -> None:
            await (await producer.send(TOPIC, value=value))
            acknowledged.add(value)

        restart = threading.Thread(target=stack.restart_kafka, kwargs={"timeout": 60})
        sends, number = [], 0
        for _ in range(400):  # about 4 s of writes; the restart lands after 1 s
            sends += [asyncio.create_task(send(b"v%d" % (number + i))) for i in range(25)]
            number += 25
            await asyncio.sleep(0.01)
            if number == 2500:
                restart.start()
        await asyncio.gather(*sends, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(None, restart.join)
        await producer.stop()
        assert len(acknowledged) > number // 2, "the producer hardly got anything through"
        kept = await _read_all(settings.kafka_bootstrap, 6)
        assert acknowledged - kept == set()
    finally:
        stack.down()
