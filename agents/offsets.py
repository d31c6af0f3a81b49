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
"""

from __future__ import annotations

import bisect
import logging
import time
import weakref
from collections import defaultdict

from faust.transport import consumer as faust_consumer
from faust.types.tuples import ack_lock

log = logging.getLogger(__name__)

Consumer = faust_consumer.Consumer

#: how long the records at a partition's head may stay missing before it is read again from there
MISSING_HEAD_GRACE_SECONDS = 5.0

_seek_epoch: dict = defaultdict(int)  # TP -> number of seeks so far
_delivered_in: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # message -> epoch it was delivered in
_next_offset: dict = {}  # TP -> offset of the next record to process, as the broker says (None: unknown)
_missing_since: dict = {}  # TP -> (committed offset, first acknowledged offset, since when)


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


def _new_offset(self, tp):
    acked = self._acked[tp]
    committed = self._committed_offset[tp]
    if committed is None:
        committed = _next_offset.get(tp)
    if not acked or committed is None:
        return None
    acked.sort()
    offset = safe_commit_offset(acked, committed)
    done = bisect.bisect_left(acked, offset if offset is not None else committed)
    if done:  # acknowledged before, or now committed: forget them
        self._acked_index[tp].difference_update(acked[:done])
        del acked[:done]
    return offset


async def _no_gap(self, tp, offset_from, offset_to) -> None:
    return None


def _ack(self, message) -> bool:
    if _delivered_in.get(message, _seek_epoch[message.tp]) != _seek_epoch[message.tp]:
        with ack_lock:  # delivered before the last seek: it will be read (and acknowledged) again
            message.acked = True
            self._unacked_messages.discard(message)
        return False
    return _original_ack(self, message)


async def _perform_seek(self) -> None:
    for tp in self.assignment():
        _seek_epoch[tp] += 1
        self._acked.pop(tp, None)
        self._acked_index.pop(tp, None)
        self._gap.pop(tp, None)
        _missing_since.pop(tp, None)
        _next_offset.pop(tp, None)
    await _original_perform_seek(self)
    acking = self.app.topics.acks_enabled_for
    unknown = [tp for tp in self.assignment() if self._committed_offset[tp] is None and acking(tp.topic)]
    committed = await self.call_committed(unknown) if unknown else {}
    for tp in unknown:  # never committed (or committed 0, which Faust also keeps as None)
        _next_offset[tp] = committed.get(tp)


async def _on_partitions_revoked(self, revoked) -> None:
    for tp in revoked:
        _next_offset.pop(tp, None)
    await _original_on_partitions_revoked(self, revoked)


async def _call_committed(self, tps) -> dict:
    """The next offset to process for partitions with nothing committed (Faust keeps 0 as None too): the
    committed offset if there is one, else where ``auto_offset_reset=earliest`` starts, the log start."""
    thread = self._thread
    consumer = thread._ensure_consumer()
    result = {}
    for tp in tps:
        offset = await thread.call_thread(consumer.committed, tp)
        result[tp] = offset
    missing = [tp for tp, offset in result.items() if offset is None]
    if missing:
        result.update(await self.earliest_offsets(*missing))
    return result


async def _force_commit(self, topics=None, start_new_transaction: bool = True) -> bool:
    did_commit = await _original_force_commit(self, topics, start_new_transaction=start_new_transaction)
    await _read_missing_heads_again(self)
    return did_commit


async def _read_missing_heads_again(self) -> None:
    """Records at a partition's head that are neither acknowledged nor coming (later ones are acknowledged,
    and each agent handles a partition in order) were dropped: read the partition again from there."""
    if self.app.rebalancing or not self.app.flow_control.is_active():
        return
    now = time.monotonic()
    seeks = {}
    for tp in self.assignment():
        acked = self._acked.get(tp)
        committed = self._committed_offset[tp] if self._committed_offset[tp] is not None else _next_offset.get(tp)
        if not acked or committed is None or min(acked) <= committed:
            _missing_since.pop(tp, None)
            continue
        head = (committed, min(acked))
        seen = _missing_since.get(tp)
        if seen is None or seen[:2] != head:
            _missing_since[tp] = (*head, now)
        elif now - seen[2] >= MISSING_HEAD_GRACE_SECONDS and not _coming(self, tp, *head):
            log.warning("records %s[%s]@%s..%s were dropped before processing; reading them again",
                        tp.topic, tp.partition, committed, min(acked) - 1)
            seeks[tp] = committed
    if seeks:
        for tp in seeks:
            _seek_epoch[tp] += 1
            self._acked.pop(tp, None)
            self._acked_index.pop(tp, None)
            _missing_since.pop(tp, None)
        await self.seek_wait(seeks)


def _coming(self, tp, low: int, high: int) -> bool:
    """Whether a record of ``tp`` in ``[low, high)``, delivered since the last seek, is still queued for
    or being handled by an agent (then it will be acknowledged)."""
    epoch = _seek_epoch[tp]
    messages = list(self._unacked_messages)
    for queue in list(self.app.flow_control._queues):
        messages += [getattr(item, "message", None) for item in list(queue._queue)]
    return any(m is not None and m.tp == tp and low <= m.offset < high and _delivered_in.get(m) == epoch
               for m in messages)


def _resume_without_clearing(flow_control):
    def resume() -> None:
        flow_control._suspend.clear()
        flow_control._resume.set()

    return resume


_original_init = Consumer.__init__
_original_ack = Consumer.ack
_original_perform_seek = Consumer.perform_seek
_original_force_commit = Consumer.force_commit
_original_on_partitions_revoked = Consumer.on_partitions_revoked


def _init(self, transport, callback, *args, **kwargs):
    async def deliver(message):
        _delivered_in[message] = _seek_epoch[message.tp]
        return await callback(message)

    _original_init(self, transport, deliver, *args, **kwargs)


def install(app) -> None:
    """Make ``app``'s consumer commit safely (see the module's docstring). Call before the worker starts."""
    Consumer.__init__ = _init
    Consumer._new_offset = _new_offset
    Consumer._add_gap = _no_gap
    Consumer.ack = _ack
    Consumer.perform_seek = _perform_seek
    Consumer.force_commit = _force_commit
    Consumer.on_partitions_revoked = _on_partitions_revoked
    Consumer.call_committed = _call_committed
    app.flow_control.resume = _resume_without_clearing(app.flow_control)
