import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka.consumer.group_coordinator import GroupCoordinator

from agents import internals
from agents.membership import LeaveGroupOnStop, WorkerSlot, claim_instance_id, instance_id

HOLD_A_SLOT = """
import sys, time
from pathlib import Path
from agents.membership import WorkerSlot
slot = WorkerSlot(Path(sys.argv[1]))
print(slot.slot, flush=True)
time.sleep(60)
"""


def test_agents_membership_instance_id_is_stable_and_differs_by_slot_and_data_dir(tmp_path):
    assert instance_id("host-a", tmp_path, 0) == instance_id("host-a", tmp_path, 0)
    ids = {instance_id("host-a", tmp_path, 0), instance_id("host-a", tmp_path, 1),
           instance_id("host-a", tmp_path / "other", 0), instance_id("host-b", tmp_path, 0)}
    assert len(ids) == 4


def test_agents_membership_workers_side_by_side_hold_different_slots(tmp_path):
    first, second = WorkerSlot(tmp_path), WorkerSlot(tmp_path)
    try:
        assert (first.slot, second.slot) == (0, 1)
    finally:
        first.release()
        second.release()


def test_agents_membership_a_slot_held_by_a_killed_process_is_free_again(tmp_path):
    """SIGKILL runs no cleanup: the kernel must release the lock, so the restarted worker gets the same
    slot, hence the same group.instance.id as the one it replaces."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_A_SLOT, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout.readline().strip() == "0"
        taken = WorkerSlot(tmp_path)
        assert taken.slot == 1  # slot 0 is held while the holder lives
        taken.release()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        time.sleep(0.05)
        again = WorkerSlot(tmp_path)
        assert again.slot == 0
        again.release()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_agents_membership_a_configured_instance_id_claims_no_slot(tmp_path):
    assert claim_instance_id(tmp_path, "worker-7") == ("worker-7", None)
    assert not (tmp_path / "run").exists()


def test_agents_membership_leaving_on_stop_installs_once_and_uninstalls_to_aiokafkas_own():
    original = GroupCoordinator._maybe_leave_group
    first, second = LeaveGroupOnStop(), LeaveGroupOnStop()
    first.install()
    patched = GroupCoordinator._maybe_leave_group
    first.install()
    second.install()  # another one: nothing stacked
    assert patched is not original and GroupCoordinator._maybe_leave_group is patched
    second.uninstall()
    assert GroupCoordinator._maybe_leave_group is patched
    first.uninstall()
    assert GroupCoordinator._maybe_leave_group is original


def test_agents_membership_leaving_on_stop_is_refused_on_an_unchecked_aiokafka(monkeypatch):
    import aiokafka

    original = GroupCoordinator._maybe_leave_group
    monkeypatch.setitem(internals.WRITTEN_FOR, "aiokafka", (aiokafka, "0.15."))
    with pytest.raises(internals.UnsupportedVersion, match=r"aiokafka 0\.14\.\d+ \(written for 0\.15\.x\)"):
        LeaveGroupOnStop().install()
    assert GroupCoordinator._maybe_leave_group is original
