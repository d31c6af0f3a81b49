"""A batch from Faust's ``take_events`` is acknowledged only once the agent has handled it (agents/app.py)."""

import asyncio
from types import SimpleNamespace

import pytest
from faust.types.tuples import Message

from agents.app import acknowledged_when_done, describe_batch


def _batch(offsets, topic="veille.mentions.raw", partition=0):
    events = []
    for offset in offsets:
        message = Message(topic, partition, offset, 0.0, 0, None, b"k", b"v", None)
        message.incref()  # the one stream reading it, as Faust's consumer does on delivery
        events.append(SimpleNamespace(message=message))
    return events


def _take_events_acks(events) -> list[int]:
    """What ``take_events`` does in its ``finally`` once the agent asks for more or leaves its loop; the
    offsets whose last reference this released, which the consumer may then commit past."""
    return [event.message.offset for event in events if event.message.ack(consumer=None)]


async def test_agents_batches_a_handled_batch_is_acknowledged():
    events = _batch([5, 6, 7])
    async with acknowledged_when_done(events, "tag"):
        pass
    assert _take_events_acks(events) == [5, 6, 7]


async def test_agents_batches_a_batch_whose_handling_raised_stays_unacknowledged():
    events = _batch([5, 6, 7])
    with pytest.raises(RuntimeError):
        async with acknowledged_when_done(events, "tag"):
            raise RuntimeError("broker gone")
    assert _take_events_acks(events) == []  # Faust alone would have acknowledged all three, and committed 8


async def test_agents_batches_a_batch_cancelled_at_shutdown_stays_unacknowledged():
    events = _batch([1, 2])
    handling = asyncio.Event()

    async def agent():
        async with acknowledged_when_done(events, "index"):
            handling.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(agent())
    await handling.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _take_events_acks(events) == []


async def test_agents_batches_a_batch_is_described_by_partition_and_offsets():
    events = _batch([7, 3, 5], partition=2) + _batch([10], partition=0)
    assert describe_batch(events) == "veille.mentions.raw[0]@10..10, veille.mentions.raw[2]@3..7"


def test_agents_batches_retries_back_off_to_every_30_seconds_and_never_give_up():
    from itertools import islice

    from agents.app import retry_delays

    assert list(islice(retry_delays(), 9)) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
