"""Session fixtures: a real embedded stack (Kafka protocol + Elasticsearch API) on free ports in a
temporary directory, and the agents' worker as a real subprocess against it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.settings import Settings
from pipeline.stack import EmbeddedStack, ManagedProcess, isolated_stack_env, settings_for
from tools.faults import start_worker

ROOT = Path(__file__).resolve().parents[2]


ALERT_SECRET = "integration-alert-secret"


@pytest.fixture(scope="session")
def alert_receiver():
    """The customer's webhook endpoint: records the alerts the session's worker delivers."""
    from bench.receiver import WebhookReceiver

    receiver = WebhookReceiver(ALERT_SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory, alert_receiver) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("veille-stack")
    routing = alert_receiver.routing_file(data_dir / "alerting.yaml", "VEILLE_TEST_ALERT_URL", "VEILLE_TEST_ALERT_SECRET")
    return {
        **isolated_stack_env(data_dir),
        "VEILLE_ALERTING_FILE": str(routing),
        "VEILLE_TEST_ALERT_URL": alert_receiver.url,
        "VEILLE_TEST_ALERT_SECRET": ALERT_SECRET,
        "VEILLE_INDEX_REFRESH_INTERVAL": "200ms",
        "VEILLE_TAG_BATCH_WITHIN": "0.1",
        "VEILLE_INDEX_BATCH_WITHIN": "0.1",
    }


@pytest.fixture(scope="session")
def settings(stack_env) -> Settings:
    return settings_for(stack_env)


@pytest.fixture(scope="session")
def stack(settings) -> EmbeddedStack:
    embedded = EmbeddedStack(settings)
    embedded.up(timeout=60)
    yield embedded
    embedded.down()


@pytest.fixture(scope="session")
def worker(stack, settings, stack_env) -> ManagedProcess:
    """The agents (tag, index) running in a real Faust worker process, ready to consume."""
    subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **stack_env}, check=True,
                   capture_output=True, cwd=ROOT)
    process = ManagedProcess(settings.data_dir, "agents")
    try:
        start_worker(process, stack_env, timeout=90)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield process
    process.stop()
