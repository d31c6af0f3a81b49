"""Safe offset commits for the agents' Faust consumer (faust-streaming 0.15): an offset is committed only
once every record before it was processed.

Faust, as shipped, commits offsets past records no agent processed (issue 7: mentions lost around a
killed worker or a restarted broker, never indexed nor dead-lettered). Three defects, seen in the fault
tests' logs:

1. When table recovery ends (at every start and every rebalance), Faust resumes the stream partitions and
   seeks them to the committed offsets, *then* resumes flow control, which empties the agents' queues.
   Records fetched in between are thrown away although the consumer counts them as read, so they are
   never fetched again.
2. It commits the first run of consecutive acknowledged offsets if that run starts at most *one* past the
   committed offset (so one missing record at the head is skipped), and without any check when the
   committed offset is unknown, which it is from a rebalance until recovery ends (so any missing head is).
3. A jump in the offsets read (which a seek causes) is taken for a hole in the log (compaction,
   transaction markers) and the offsets jumped over count as acknowledged.

Here: flow control no longer empties queues on resume (Faust already empties them when it suspends, at
a rebalance); only a run that starts exactly at the committed offset is committed, and nothing while that
offset is unknown; jumps are not holes (the agents read only ``delete``-policy topics written without
transactions, whose offsets have none); an acknowledgement counts only for a record delivered since its
partition's last seek (records from before are fetched again); and a partition whose head records have
gone missing is sought back to its committed offset so that they are read again. At least once, then:
some records are processed twice, and the agents' outputs are idempotent (documents by mention id).

``SafeOffsets(app).install()`` (the worker does it at start, ``agents/worker.py``) makes the app's transport
create a ``SafeOffsetsConsumer``, which keeps this bookkeeping per consumer; no class of Faust is changed.
The private Faust names used are listed in ``agents/internals.py``.
"""

from __future__ import annotations

import bisect
import logging
import time
import weakref
from collections import defaultdict

from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types.tuples import ack_lock

from agents.internals import check_versions

log = logging.getLogger(__name__)

#: how long the records at a partition's head may stay missing before it is read again from there
MISSING_HEAD_GRACE_SECONDS = 5.0


def safe_commit_offset(acked: list[int], next_offset: int | None) -> int | None:
    """The offset to commit, given the acknowledged offsets (sorted) and the offset of the next record to
    process: just past the run of consecutive offsets that starts exactly at ``next_offset``. None when
    ``next_offset`` is unknown or not acknowledged (Faust commits then, skipping what is missing)."""
    if next_offset is None:
        return None
    end = next_offset
    for offset in acked:
        if offset == end:
            end += 1
        elif offset > end:
            break
    return end if end > next_offset else None


class SafeOffsetsConsumer(aiokafka_driver.Consumer):
    """Faust's Kafka consumer, committing only past processed records (see the module's docstring)."""

    def __init__(self, transport, callback, *args, **kwargs) -> None:
        self.seeks_so_far: defaultdict = defaultdict(int)  # TP -> number of seeks so far
        self.delivered_in: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # message -> seeks before it
        self.broker_next_offset: dict = {}  # TP -> next offset to process, as the broker says (None: unknown)
        self.missing_since: dict = {}  # TP -> (committed offset, first acknowledged offset, since when)

        async def deliver(message):
            self.delivered_in[message] = self.seeks_so_far[message.tp]
            return await callback(message)

        super().__init__(transport, deliver, *args, **kwargs)

    def next_offset(self, tp) -> int | None:
        committed = self._committed_offset[tp]
        return committed if committed is not None else self.broker_next_offset.get(tp)

    def _new_offset(self, tp):
        acked = self._acked[tp]
        committed = self.next_offset(tp)
        if not acked or committed is None:
            return None
        acked.sort()
        offset = safe_commit_offset(acked, committed)
        done = bisect.bisect_left(acked, offset if offset is not None else committed)
        if done:  # acknowledged before, or now committed: forget them
            self._acked_index[tp].difference_update(acked[:done])
            del acked[:done]
        return offset

    async def _add_gap(self, tp, offset_from, offset_to) -> None:
        return None

    def ack(self, message) -> bool:
        if self.delivered_in.get(message, self.seeks_so_far[message.tp]) != self.seeks_so_far[message.tp]:
            with ack_lock:  # delivered before the last seek: it will be read (and acknowledged) again
                message.acked = True
                self._unacked_messages.discard(message)
            return False
        return super().ack(message)

    async def perform_seek(self) -> None:
        for tp in self.assignment():
            self.forget_acknowledged(tp)
            self._gap.pop(tp, None)
            self.broker_next_offset.pop(tp, None)
        await super().perform_seek()
        acking = self.app.topics.acks_enabled_for
        unknown = [tp for tp in self.assignment() if self._committed_offset[tp] is None and acking(tp.topic)]
        committed = await self.committed_or_log_start(unknown) if unknown else {}
        for tp in unknown:  # never committed (or committed 0, which Faust also keeps as None)
            self.broker_next_offset[tp] = committed.get(tp)

    def forget_acknowledged(self, tp) -> None:
        """A seek of ``tp``: what was acknowledged is read (and acknowledged) again."""
        self.seeks_so_far[tp] += 1
        self._acked.pop(tp, None)
        self._acked_index.pop(tp, None)
        self.missing_since.pop(tp, None)

    async def on_partitions_revoked(self, revoked) -> None:
        for tp in revoked:
            self.broker_next_offset.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    async def committed_or_log_start(self, tps) -> dict:
        """The next offset to process for partitions with nothing committed (Faust keeps 0 as None too): the
        committed offset if there is one, else where ``auto_offset_reset=earliest`` starts, the log start."""
        thread = self._thread
        consumer = thread._ensure_consumer()
        result = {}
        for tp in tps:
            result[tp] = await thread.call_thread(consumer.committed, tp)
        missing = [tp for tp, offset in result.items() if offset is None]
        if missing:
            result.update(await self.earliest_offsets(*missing))
        return result

    async def force_commit(self, topics=None, start_new_transaction: bool = True) -> bool:
        did_commit = await super().force_commit(topics, start_new_transaction=start_new_transaction)
        await self.read_missing_heads_again()
        return did_commit

    async def read_missing_heads_again(self) -> None:
        """Records at a partition's head that are neither acknowledged nor coming (later ones are acknowledged,
        and each agent handles a partition in order) were dropped: read the partition again from there."""
        if self.app.rebalancing or not self.app.flow_control.is_active():
            return
        now = time.monotonic()
        seeks = {}
        for tp in self.assignment():
            acked = self._acked.get(tp)
            committed = self.next_offset(tp)
            if not acked or committed is None or min(acked) <= committed:
                self.missing_since.pop(tp, None)
                continue
            head = (committed, min(acked))
            seen = self.missing_since.get(tp)
            if seen is None or seen[:2] != head:
                self.missing_since[tp] = (*head, now)
            elif now - seen[2] >= MISSING_HEAD_GRACE_SECONDS and not self.coming(tp, *head):
                log.warning("records %s[%s]@%s..%s were dropped before processing; reading them again",
                            tp.topic, tp.partition, committed, min(acked) - 1)
                seeks[tp] = committed
        if seeks:
            for tp in seeks:
                self.forget_acknowledged(tp)
            await self.seek_wait(seeks)

    def coming(self, tp, low: int, high: int) -> bool:
        """Whether a record of ``tp`` in ``[low, high)``, delivered since the last seek, is still queued for
        or being handled by an agent (then it will be acknowledged)."""
        epoch = self.seeks_so_far[tp]
        messages = list(self.unacked)
        for queue in list(self.app.flow_control._queues):
            messages += [getattr(item, "message", None) for item in list(queue._queue)]
        return any(m is not None and m.tp == tp and low <= m.offset < high and self.delivered_in.get(m) == epoch
                   for m in messages)


class SafeOffsets:
    """Install ``SafeOffsetsConsumer`` for one app, and flow control that keeps the agents' queues on resume.
    Before the worker starts (the consumer is created then); installing twice is harmless, and ``uninstall``
    undoes only what this one installed."""

    def __init__(self, app) -> None:
        self.app = app
        self.installed = False
        self._resuming = False

    def install(self) -> None:
        check_versions()
        transport = self.app.transport
        if transport.Consumer is SafeOffsetsConsumer:  # by this or another SafeOffsets (which undoes it)
            return
        if transport.Consumer is not aiokafka_driver.Consumer:
            raise RuntimeError(f"agents/offsets.py is written for Faust's aiokafka consumer, not {transport.Consumer}")
        transport.Consumer = SafeOffsetsConsumer
        flow_control = self.app.flow_control
        resume_and_clear, clear = flow_control.resume, flow_control.clear

        def resume() -> None:
            self._resuming = True
            try:
                resume_and_clear()
            finally:
                self._resuming = False

        def clear_unless_resuming() -> None:
            if not self._resuming:  # Faust also clears the queues itself when it suspends, at a rebalance
                clear()

        flow_control.resume, flow_control.clear = resume, clear_unless_resuming
        self.installed = True

    def uninstall(self) -> None:
        if not self.installed:
            return
        del self.app.transport.Consumer
        del self.app.flow_control.resume, self.app.flow_control.clear
        self.installed = False
