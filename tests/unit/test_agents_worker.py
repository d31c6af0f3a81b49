import logging

import faust
from aiokafka.consumer.fetcher import Fetcher
from aiokafka.consumer.group_coordinator import GroupCoordinator
from faust.transport.drivers import aiokafka as driver

from agents.offsets import SafeOffsetsConsumer
from agents.worker import Worker, install_patches
from pipeline.settings import Settings


def test_agents_worker_keeps_the_root_logger_at_the_chosen_level():
    app = faust.App("test-worker-logging", broker="memory://", web_enabled=False)
    worker = Worker(app, loglevel="warning")
    root = logging.getLogger()
    before = root.level
    try:
        root.setLevel(logging.WARNING)
        worker.on_setup_root_logger(root, logging.WARNING)
        assert root.level == logging.WARNING  # Faust's spinner handler would set DEBUG here
        assert worker.spinner is None
    finally:
        root.setLevel(before)


CANNOT_START = """
from agents.worker import run

def prepare():
    raise ConnectionError("Elasticsearch at http://elastic:hunter2@127.0.0.1:9 refused the connection")

run(prepare=prepare)
"""


def test_agents_worker_that_cannot_start_says_why_in_one_line_and_in_its_health_record(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pipeline import worker_health

    env = {**os.environ, "VEILLE_DATA_DIR": str(tmp_path), "VEILLE_WORKER_INSTANCE_ID": "w-test"}
    result = subprocess.run([sys.executable, "-c", CANNOT_START], env=env, capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the worker cannot start: ConnectionError: Elasticsearch at http://***@127.0.0.1:9 refused the "
        "connection")
    assert "hunter2" not in "".join(p.read_text() for p in worker_health.health_dir(tmp_path).iterdir())
    [record] = worker_health.read_records(tmp_path)
    verdict = worker_health.assess_worker(record, record.updated_at + 1)
    assert (record.instance_id, verdict.health) == ("w-test", "down")
    assert "cannot start: ConnectionError: Elasticsearch at" in verdict.detail


def test_agents_worker_installs_its_patches_at_start_twice_harmlessly_and_they_come_off():
    app = faust.App("test-worker-patches", broker="kafka://127.0.0.1:9", web_enabled=False)
    fetch, leave = Fetcher._proc_fetch_request, GroupCoordinator._maybe_leave_group
    patches = install_patches(app, Settings(kafka_empty_fetch_wait=0.05))
    try:
        patched = (Fetcher._proc_fetch_request, GroupCoordinator._maybe_leave_group)
        assert patched[0] is not fetch and patched[1] is not leave and app.transport.Consumer is SafeOffsetsConsumer
        for patch in install_patches(app, Settings(kafka_empty_fetch_wait=0.2)):  # a second worker start
            patch.uninstall()  # installed nothing, so undoes nothing
        assert (Fetcher._proc_fetch_request, GroupCoordinator._maybe_leave_group) == patched
        assert app.transport.Consumer is SafeOffsetsConsumer
    finally:
        for patch in patches:
            patch.uninstall()
    assert (Fetcher._proc_fetch_request, GroupCoordinator._maybe_leave_group) == (fetch, leave)
    assert app.transport.Consumer is driver.Consumer
