"""How the agents handle a batch from ``take_events``: acknowledged only once handled, sent records confirmed
by the broker, failures retried with backoff, two steps overlapped; and the current event a batch's table
writes need."""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import asynccontextmanager, contextmanager

from faust.streams import _current_event

from agents.app import app
from agents.health import health

log = logging.getLogger(__name__)

RETRY_FIRST_DELAY = 0.5
RETRY_MAX_DELAY = 30.0


@contextmanager
def event_context(event):
    """Make ``event`` the current event while a batch (``take_events``) writes tables: Faust picks a table
    changelog partition from the current event, which only plain per-event iteration sets."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def retry_delays():
    """Seconds to wait before each retry: doubling from 0.5 s, then every 30 s for as long as it takes."""
    delay = RETRY_FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, RETRY_MAX_DELAY)


async def send_and_confirm(sends) -> None:
    """Send ``(topic, key, value)`` records and wait until the broker has them, sending again (with backoff,
    for as long as it takes) those it did not confirm: a batch's offsets may be committed right after the
    agent asks for the next batch, so a record the broker never got would be lost. Goes to the producer
    directly: Faust's topic buffer hands records over one at a time, and throttles (about 10x slower here).
    Sending again can write a record twice; every consumer of the agents' topics is idempotent."""
    pending = list(sends)
    delays = retry_delays()
    while pending:
        try:
            deliveries = [await app.producer.send(topic.get_topic_name(), key, value, None, None, None)
                          for topic, key, value in pending]
            results = await asyncio.gather(*deliveries, return_exceptions=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no delivery future at all (metadata never came, producer restarting)
            results = [exc] * len(pending)
        failed = [(send, result) for send, result in zip(pending, results) if isinstance(result, BaseException)]
        if not failed:
            return
        if any(isinstance(result, asyncio.CancelledError) for _, result in failed):
            raise asyncio.CancelledError()
        (topic, key, _), error = failed[0]
        health.agent_failed(error)
        delay = next(delays)
        log.warning("the broker did not confirm %d of %d records (e.g. to %s, key %r: %s: %s); sending them again "
                    "in %.1fs", len(failed), len(pending), topic.get_topic_name(), key, type(error).__name__, error,
                    delay)
        pending = [send for send, _ in failed]
        await asyncio.sleep(delay)


async def until_done(what: str, operation):
    """Run ``operation`` until it succeeds, retrying a transient failure (a service down or overloaded) with
    backoff: a batch is never dropped."""
    delays = retry_delays()
    while True:
        try:
            return await operation()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            health.agent_failed(exc)
            delay = next(delays)
            log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)


def describe_batch(events) -> str:
    """Where a batch's records are: ``topic[partition]@first..last`` per partition."""
    spans: dict[tuple[str, int], list[int]] = {}
    for event in events:
        message = event.message
        span = spans.setdefault((message.topic, message.partition), [message.offset, message.offset])
        span[0], span[1] = min(span[0], message.offset), max(span[1], message.offset)
    return ", ".join(f"{topic}[{partition}]@{low}..{high}" for (topic, partition), (low, high) in sorted(spans.items()))


def hold(events) -> None:
    """Take one reference on each record of a batch: Faust cannot acknowledge them until ``release``."""
    for event in events:
        event.message.incref()


def release(events) -> None:
    """Give back the references ``hold`` took. Whichever of this and Faust's own acknowledgement comes last
    marks the record processed (safe to commit past)."""
    for event in events:
        event.message.ack(app.consumer)


@asynccontextmanager
async def acknowledged_when_done(events, agent: str, held: bool = False):
    """Hold a batch's acknowledgement until the ``async with`` body has completed. Faust's ``take_events``
    acknowledges a batch when the agent asks for the next one *and* when the agent leaves its loop, so a
    batch whose handling raised, or was cancelled by a shutdown, would have its offsets committed
    unprocessed. Holding one reference per record keeps them unacknowledged then: they are read again
    after the next rebalance or restart. ``held``: the caller has already called ``hold(events)``."""
    if not held:
        hold(events)
    try:
        yield
    except asyncio.CancelledError:
        log.info("%s: stopped while handling %s; those records stay uncommitted", agent, describe_batch(events))
        raise
    except Exception as exc:
        log.exception("%s failed on %s; those records stay uncommitted and are read again after the next "
                      "rebalance or restart", agent, describe_batch(events))
        health.batch_failed(exc)
        raise  # the agent crashes; its supervisor restarts it at once (agents/health.py)
    release(events)
    health.batch_done()


async def overlapped(batches, start, finish, depth: int, agent: str) -> None:
    """Handle ``batches`` (from ``take_events``) in two steps, overlapping batches: ``start(events)`` is
    begun as soon as a batch arrives (say, tagging it in another process) and ``finish(events, result)``
    runs for each batch in arrival order (say, sending its results and waiting for the broker), while up
    to ``depth`` batches are under way. A batch is acknowledged only once finished; if a step fails, the
    failure ends the agent and that batch and every later one stay unacknowledged, to be read again."""
    queue: asyncio.Queue = asyncio.Queue()
    slots = asyncio.Semaphore(depth)

    async def finish_in_order() -> None:
        while (batch := await queue.get()) is not None:
            events, started = batch
            async with acknowledged_when_done(events, agent, held=True):
                await finish(events, await started)
            slots.release()

    finishing = asyncio.ensure_future(finish_in_order())
    waiting: list[asyncio.Future] = []
    try:
        async for events in batches:
            hold(events)  # before asking for the next batch: take_events then acknowledges this one
            slot = asyncio.ensure_future(slots.acquire())
            waiting.append(slot)
            await asyncio.wait({slot, finishing}, return_when=asyncio.FIRST_COMPLETED)
            if finishing.done():  # the finally cancels the slot still awaited
                finishing.result()  # raises what ended it
                raise RuntimeError(f"{agent}: batches stopped being finished")
            started = asyncio.ensure_future(start(events))
            waiting.append(started)
            queue.put_nowait((events, started))
            waiting = [future for future in waiting if not future.done()]
        queue.put_nowait(None)  # the stream ended: finish what is under way
        await finishing
    finally:
        finishing.cancel()
        for future in waiting:
            future.cancel()
        await asyncio.gather(finishing, *waiting, return_exceptions=True)
