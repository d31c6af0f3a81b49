"""A batch from Faust's ``take_events`` is acknowledged only once the agent has handled it (agents/runtime.py)."""

import asyncio
from types import SimpleNamespace

import pytest
from faust.types.tuples import Message

from agents.app import app
from agents.runtime import acknowledged_when_done, describe_batch


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

    from agents.runtime import retry_delays

    assert list(islice(retry_delays(), 9)) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


async def _batches(*batches, then_wait: asyncio.Event | None = None):
    """An agent's ``take_events``: yields ``batches``, then (if given) waits like an idle stream."""
    for events in batches:
        yield events
        _take_events_acks(events)  # take_events releases its own reference when asked for the next batch
    if then_wait is not None:
        await then_wait.wait()


async def test_agents_batches_overlapped_starts_the_next_batch_before_the_previous_is_finished():
    from agents.runtime import overlapped

    first, second = _batch([1, 2]), _batch([3, 4])
    steps, release_first = [], asyncio.Event()

    async def start(events):
        steps.append(f"start {events[0].message.offset}")
        return events[0].message.offset

    async def finish(events, started):
        steps.append(f"finish {started}")
        if started == 1:
            await release_first.wait()

    async def agent():
        await overlapped(_batches(first, second), start, finish, depth=2, agent="tag")

    task = asyncio.create_task(agent())
    while "start 3" not in steps:
        await asyncio.sleep(0.01)
    assert steps == ["start 1", "finish 1", "start 3"]  # the second batch is started while the first is finishing
    assert [e.message.acked for e in first + second] == [False] * 4
    release_first.set()
    await task
    assert steps == ["start 1", "finish 1", "start 3", "finish 3"]
    assert [e.message.acked for e in first + second] == [True] * 4


async def test_agents_batches_overlapped_finishes_in_arrival_order_whatever_order_starts_complete_in():
    from agents.runtime import overlapped

    batches = [_batch([offset]) for offset in (10, 11, 12)]
    finished = []

    async def start(events):
        await asyncio.sleep({10: 0.05, 11: 0.0, 12: 0.02}[events[0].message.offset])
        return events[0].message.offset

    async def finish(events, started):
        finished.append(started)

    await overlapped(_batches(*batches), start, finish, depth=3, agent="tag")
    assert finished == [10, 11, 12]
    assert all(e.message.acked for events in batches for e in events)


async def test_agents_batches_overlapped_finishes_the_last_batch_while_the_stream_is_idle():
    from agents.runtime import overlapped

    events, idle, finished = _batch([7]), asyncio.Event(), asyncio.Event()

    async def start(events):
        return None

    async def finish(events, started):
        finished.set()

    task = asyncio.create_task(overlapped(_batches(events, then_wait=idle), start, finish, depth=2, agent="tag"))
    await asyncio.wait_for(finished.wait(), timeout=2)  # not held back until a next batch arrives
    await asyncio.sleep(0.01)
    assert events[0].message.acked
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_agents_batches_overlapped_failure_leaves_that_batch_and_later_ones_unacknowledged():
    from agents.runtime import overlapped

    first, second, third = _batch([1]), _batch([2]), _batch([3])

    async def start(events):
        return events[0].message.offset

    async def finish(events, started):
        if started == 2:
            raise RuntimeError("broker gone")
        await asyncio.sleep(0.01)

    with pytest.raises(RuntimeError, match="broker gone"):
        await overlapped(_batches(first, second, third, then_wait=asyncio.Event()), start, finish, depth=2,
                         agent="tag")
    assert first[0].message.acked
    assert not second[0].message.acked and not third[0].message.acked


async def test_agents_batches_overlapped_cancelled_leaves_batches_under_way_unacknowledged():
    from agents.runtime import overlapped

    first, second = _batch([1]), _batch([2])
    started_second = asyncio.Event()

    async def start(events):
        if events is second:
            started_second.set()
        return None

    async def finish(events, started):
        await asyncio.sleep(60)

    task = asyncio.create_task(overlapped(_batches(first, second, then_wait=asyncio.Event()), start, finish, depth=2,
                                          agent="tag"))
    await started_second.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not first[0].message.acked and not second[0].message.acked


@pytest.mark.parametrize("depth", [1, 2])
async def test_agents_batches_overlapped_never_has_more_than_depth_batches_under_way(depth):
    from agents.runtime import overlapped

    batches = [_batch([offset]) for offset in range(5)]
    under_way, most, release = 0, 0, asyncio.Event()

    async def start(events):
        nonlocal under_way, most
        under_way += 1
        most = max(most, under_way)
        return None

    async def finish(events, started):
        nonlocal under_way
        await release.wait()
        under_way -= 1

    task = asyncio.create_task(overlapped(_batches(*batches), start, finish, depth=depth, agent="tag"))
    await asyncio.sleep(0.05)
    assert most == depth  # the others wait until a batch is finished
    release.set()
    await task
    assert most == depth
    assert all(e.message.acked for events in batches for e in events)


def test_agents_app_polls_never_fill_a_stream_buffer():
    """Faust waits on a full stream buffer before delivering any other topic's records; a poll that fits in the
    headroom above the pressure mark (where Faust pauses that topic) never gets there."""
    from mode.utils.queues import FlowControlQueue

    maxsize = app.conf.stream_buffer_maxsize
    assert app.conf.broker_max_poll_records <= maxsize - maxsize / FlowControlQueue.pressure_high_ratio
