"""Where Veille reaches inside Faust, mode, aiokafka and asyncio: the library versions this was checked
against, and every private name used, with why.

Each private name below has no public equivalent in the versions of ``WRITTEN_FOR``; everything else goes
through public API. The worker refuses to start on other versions (``check_versions``): re-read each use
below against the new version's source, then update ``WRITTEN_FOR``. ``test_agents_internals`` fails when a
module of ``agents/`` (or ``pipeline/kafka_polling.py``) uses a private name of a library that is not listed
here, or when a listed name is gone from the installed library.

============================================  =======================  ==================================================
private name (owner)                          used in                  why
============================================  =======================  ==================================================
``Consumer._new_offset`` (faust)              agents/offsets.py        overridden: the offset to commit for a partition
``Consumer._add_gap`` (faust)                 agents/offsets.py        overridden: a jump in offsets is not a hole here
``Consumer._acked``, ``_acked_index`` (faust) agents/offsets.py        the acknowledged offsets ``_new_offset`` commits
``Consumer._gap`` (faust)                     agents/offsets.py        forgotten on a seek, as the acknowledged offsets
``Consumer._committed_offset`` (faust)        agents/offsets.py        the committed offset Faust knows (None for 0)
``Consumer._unacked_messages`` (faust)        agents/offsets.py        a record delivered before a seek is dropped from
                                                                       it (the public ``unacked`` is a read-only view)
``Consumer._thread`` (faust)                  agents/offsets.py        with ``_ensure_consumer``: the aiokafka consumer,
``AIOKafkaConsumerThread._ensure_consumer``                            whose public ``committed()`` Faust does not offer
``FlowControlEvent._queues`` (mode)           agents/offsets.py        with ``_queue``: whether a record is still queued
``Queue._queue`` (asyncio)                                             for an agent (asyncio has no way to peek)
``faust.streams._current_event``              agents/runtime.py        a batch's table writes go to its partition; only
                                                                       per-event iteration sets it, and no API does
``Stream._active_agens`` (faust)              agents/health.py         the ``take_events`` a crashed agent left open
``SupervisorStrategy._index`` (mode)          agents/health.py         a crashed agent's place, for its replacement
``GroupCoordinator._maybe_leave_group``       agents/membership.py     wrapped: a static member leaves on a clean stop
``GroupCoordinator._send_req``                agents/membership.py     sends that LeaveGroup
``GroupCoordinator._group_instance_id``       agents/membership.py     whether this member is a static one
``Fetcher._proc_fetch_request`` (aiokafka)    pipeline/kafka_polling   wrapped: waits after an empty fetch
``Fetcher._fetch_max_wait_ms`` (aiokafka)     pipeline/kafka_polling   how long a long-polling broker would have held it
============================================  =======================  ==================================================
"""

from __future__ import annotations

import aiokafka
import faust

#: distribution -> (its module, the version prefix everything here was checked against)
WRITTEN_FOR = {"faust-streaming": (faust, "0.15."), "aiokafka": (aiokafka, "0.14.")}

#: (module, class or None for a module attribute, name): the table above, for the test that keeps it true
PRIVATE_NAMES = (
    ("faust.transport.consumer", "Consumer", "_new_offset"),
    ("faust.transport.consumer", "Consumer", "_add_gap"),
    ("faust.transport.consumer", "Consumer", "_acked"),
    ("faust.transport.consumer", "Consumer", "_acked_index"),
    ("faust.transport.consumer", "Consumer", "_gap"),
    ("faust.transport.consumer", "Consumer", "_committed_offset"),
    ("faust.transport.consumer", "Consumer", "_unacked_messages"),
    ("faust.transport.drivers.aiokafka", "Consumer", "_thread"),
    ("faust.transport.drivers.aiokafka", "AIOKafkaConsumerThread", "_ensure_consumer"),
    ("mode.utils.queues", "FlowControlEvent", "_queues"),
    ("asyncio", "Queue", "_queue"),
    ("faust.streams", None, "_current_event"),
    ("faust.streams", "Stream", "_active_agens"),
    ("mode.supervisors", "SupervisorStrategy", "_index"),
    ("aiokafka.consumer.group_coordinator", "GroupCoordinator", "_maybe_leave_group"),
    ("aiokafka.consumer.group_coordinator", "GroupCoordinator", "_send_req"),
    ("aiokafka.consumer.group_coordinator", "GroupCoordinator", "_group_instance_id"),
    ("aiokafka.consumer.fetcher", "Fetcher", "_proc_fetch_request"),
    ("aiokafka.consumer.fetcher", "Fetcher", "_fetch_max_wait_ms"),
)


class UnsupportedVersion(RuntimeError):
    pass


def unsupported_versions() -> list[str]:
    """``name version`` for each library installed in a version the private names were not checked on."""
    return [f"{name} {module.__version__} (written for {prefix}x)"
            for name, (module, prefix) in WRITTEN_FOR.items() if not module.__version__.startswith(prefix)]


def check_versions() -> None:
    """Refuse to patch libraries whose private names were not checked (see the table above)."""
    if unsupported := unsupported_versions():
        raise UnsupportedVersion(f"the agents' fixes to Faust and aiokafka use private names checked only on other "
                                 f"versions: {', '.join(unsupported)}; re-check agents/internals.py's table first")
