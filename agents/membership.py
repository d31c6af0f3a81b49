"""The worker's place in its consumer group: a static member (KIP-345 ``group.instance.id``) that leaves on
a clean stop.

A worker killed with SIGKILL never sends LeaveGroup. Real Kafka evicts such a member after the session
timeout; the embedded broker (noida-db 0.2) never does, and keeps the dead member as the group's leader:
a restarted worker with a fresh member id joins as a follower and waits in SyncGroup for an assignment the
dead leader will never send (probed: no assignment after 60 s, on every try). Both brokers accept a
JoinGroup carrying the ``group.instance.id`` of a member already in the group as that member coming back:
the new member id replaces the dead one at once, with its partitions (probed on noida-db: assigned in
under 0.1 s, whether the dead one was the leader or a follower).

So each worker joins with an instance id that a restart reuses: this host, this data directory, and the
lowest worker slot free on it (a ``flock`` the kernel releases when the process dies, even by SIGKILL; two
workers running side by side hold two slots). aiokafka sends no LeaveGroup for a static member, so a worker
stopped for good would keep its partitions until the session timeout on Kafka, and for ever on noida-db:
``LeaveGroupOnStop`` makes a clean stop leave by member id, as a dynamic member does.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import socket
from pathlib import Path

from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import LeaveGroupRequest

from agents.internals import check_versions

log = logging.getLogger(__name__)

MAX_SLOTS = 64


def instance_id(host: str, data_dir: Path, slot: int) -> str:
    """A group.instance.id that the same worker slot on the same host and data directory always gets."""
    where = hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', host)[:64]}-{where}-{slot}"


class WorkerSlot:
    """The lowest worker slot free under ``run_dir``, held (an exclusive ``flock``) until the process ends."""

    def __init__(self, run_dir: Path, max_slots: int = MAX_SLOTS):
        run_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(max_slots):
            descriptor = os.open(run_dir / f"worker-slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            self.slot, self._descriptor = slot, descriptor
            return
        raise RuntimeError(f"{max_slots} workers already run from {run_dir}; set VEILLE_WORKER_INSTANCE_ID")

    def release(self) -> None:
        os.close(self._descriptor)


def claim_instance_id(data_dir: Path, configured: str | None = None) -> tuple[str, WorkerSlot | None]:
    """The instance id this worker joins with: ``configured`` (VEILLE_WORKER_INSTANCE_ID) if set, else one
    derived from the slot it claims (keep the returned slot alive as long as the worker runs)."""
    if configured:
        return configured, None
    slot = WorkerSlot(data_dir / "run")
    return instance_id(socket.gethostname(), data_dir, slot.slot), slot


def leaving_even_if_static(maybe_leave_group):
    """aiokafka's ``GroupCoordinator._maybe_leave_group``, sending LeaveGroup for a static member too."""

    async def leave_even_if_static(coordinator) -> None:
        if coordinator.generation > 0 and coordinator._group_instance_id is not None:
            try:
                await coordinator._send_req(LeaveGroupRequest(coordinator.group_id, coordinator.member_id))
            except KafkaError as exc:
                log.warning("leaving consumer group %s failed: %s", coordinator.group_id, exc)
            else:
                log.info("left consumer group %s (instance %s)", coordinator.group_id, coordinator._group_instance_id)
        await maybe_leave_group(coordinator)  # sends nothing for a static member; resets the generation

    leave_even_if_static.leaves_even_if_static = True
    return leave_even_if_static


class LeaveGroupOnStop:
    """Make a static member leave its group on a clean stop: aiokafka 0.14's ``_maybe_leave_group`` sends
    nothing for one. Patches aiokafka's ``GroupCoordinator`` (one class for the whole process) while
    installed; installing twice is harmless, and ``uninstall`` undoes only what this one installed. The private
    names used are listed in agents/internals.py."""

    def __init__(self) -> None:
        self.replaced = None  # aiokafka's own method, while this is installed

    def install(self) -> None:
        check_versions()
        current = GroupCoordinator._maybe_leave_group
        if self.replaced is None and not hasattr(current, "leaves_even_if_static"):  # else installed already
            GroupCoordinator._maybe_leave_group, self.replaced = leaving_even_if_static(current), current

    def uninstall(self) -> None:
        if self.replaced is not None:
            GroupCoordinator._maybe_leave_group, self.replaced = self.replaced, None
