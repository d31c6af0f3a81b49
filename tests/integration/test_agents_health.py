"""One failing agent never stops the others, and ``veille status`` says which agent fails and why: a real
worker runs the agents with two more that fail (``failing_agents.py``: one on every batch of the index
agent's topic, one as soon as it starts); every mention is still tagged and indexed, the worker stays up,
and ``veille status`` shows the two failing with their last error, the others ok, and each agent's lag."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from faults import as_records, indexed_copies, produce, sample_mentions
from pipeline.stack import ManagedProcess, settings_for, tail

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKER_WITH_FAILING_AGENTS = ("import sys; sys.argv = [sys.argv[0]]; import failing_agents; "
                              "from agents.worker import run; run()")


def _status(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "status"], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _lines(output: str) -> dict[str, str]:
    """status lines by their first two words (``worker NAME``, ``agent NAME``)."""
    lines = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("worker", "agent"):
            lines[words[1] if words[0] == "agent" else "worker"] = line
    return lines


@pytest.fixture()
def health_env(stack, stack_env, tmp_path):
    tag = uuid.uuid4().hex[:8]
    env = {**stack_env, "VEILLE_DATA_DIR": str(tmp_path), "VEILLE_APP_ID": f"veille-health-{tag}",
           "VEILLE_TOPIC_PREFIX": f"health{tag}.", "VEILLE_INDEX_PREFIX": f"health{tag}",
           "VEILLE_TAG_BATCH_SIZE": "50", "VEILLE_INDEX_BATCH_SIZE": "50"}
    subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **env}, check=True,
                   capture_output=True, cwd=ROOT, timeout=120)
    return env


def test_agents_health_failing_agents_never_stop_the_others_and_status_names_them(health_env):
    settings = settings_for(health_env)
    worker = ManagedProcess(settings.data_dir, "agents")
    pythonpath = os.pathsep.join([str(Path(__file__).parent), str(ROOT), os.environ.get("PYTHONPATH", "")])
    worker.start([sys.executable, "-c", WORKER_WITH_FAILING_AGENTS], env={**health_env, "PYTHONPATH": pythonpath})
    try:
        deadline = time.monotonic() + 120
        while "Worker]: Ready" not in tail(worker.log_file, 2000):
            assert worker.pid() is not None, f"worker exited:\n{tail(worker.log_file, 40)}"
            assert time.monotonic() < deadline, f"worker not ready:\n{tail(worker.log_file, 40)}"
            time.sleep(0.3)

        # apart, so that the agent failing on every batch fails at least three times; the last wave is more
        # than an agent's stream buffer holds (4,096), which one that stopped draining its topic would fill
        waves = [100, 100, 4000]
        mentions = sample_mentions(f"health-{uuid.uuid4().hex[:6]}", sum(waves))
        ids = [m["id"] for m in mentions]
        sent = 0
        for size in waves:
            asyncio.run(produce(settings, as_records(mentions[sent:sent + size])))
            sent += size
            time.sleep(2)
        deadline = time.monotonic() + 240
        while len(copies := asyncio.run(indexed_copies(settings, ids))) < len(ids):
            assert worker.pid() is not None, f"the worker died:\n{tail(worker.log_file, 40)}"
            assert time.monotonic() < deadline, \
                f"{len(copies)} of {len(ids)} indexed while two agents fail:\n{tail(worker.log_file, 40)}"
            time.sleep(0.5)
        time.sleep(6)  # past the crash-loop threshold of the agent failing at start (restarts at 0.5, 1, 2 s)
        assert worker.pid() is not None, f"the worker died:\n{tail(worker.log_file, 40)}"

        status = _status(health_env)
        print(status.stdout)
        lines = _lines(status.stdout)
        assert status.returncode == 1, status.stdout + status.stderr
        assert " ok " in lines["worker"], status.stdout
        assert " ok " in lines["tag_mentions"] and " ok " in lines["index_mentions"], status.stdout
        assert "crash-looping" in lines["fail_every_batch"], status.stdout
        assert "RuntimeError: poisoned batch of" in lines["fail_every_batch"]
        assert "crash-looping" in lines["fail_at_start"], status.stdout
        assert "OSError: model file missing: /nowhere/model.npz" in lines["fail_at_start"]
        assert f"behind on {settings.topic('mentions.raw')}" in lines["tag_mentions"], status.stdout
        assert f"behind on {settings.topic('mentions.enriched')}" in lines["index_mentions"]
    finally:
        worker.stop()
    status = _status(health_env)
    assert "stopped" in _lines(status.stdout)["worker"], status.stdout
