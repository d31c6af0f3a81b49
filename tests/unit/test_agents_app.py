"""Importing the app and the agents changes nothing in Faust or aiokafka: the worker installs its fixes when it
starts (agents/worker.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import inspect

from aiokafka.consumer.fetcher import Fetcher
from aiokafka.consumer.group_coordinator import GroupCoordinator
from faust.transport import consumer as base
from faust.transport.drivers import aiokafka as driver
from mode.utils.queues import FlowControlEvent

CLASSES = (base.Consumer, base.ThreadDelegateConsumer, driver.Consumer, driver.Transport, driver.AIOKafkaConsumerThread,
           Fetcher, GroupCoordinator, FlowControlEvent)


def snapshot():
    return {f"{cls.__module__}.{cls.__qualname__}": dict(vars(cls)) for cls in CLASSES}


before = snapshot()
import agents.app
import agents.crisis, agents.erasures, agents.health, agents.index, agents.membership, agents.offsets  # noqa: E401
import agents.per_watch, agents.runtime, agents.tag, agents.trends, agents.worker  # noqa: E401
import pipeline.kafka_polling  # noqa: F401
after = snapshot()
changed = sorted(f"{cls}.{name}" for cls in before for name in before[cls].keys() | after[cls].keys()
                 if before[cls].get(name) is not after[cls].get(name))
app = agents.app.app
print("changed:", changed)
print("consumer:", app.transport.Consumer is driver.Consumer)
print("flow control:", sorted(name for name in ("resume", "clear") if name in vars(app.flow_control)))
"""


def test_agents_app_importing_the_app_and_the_agents_patches_nothing(tmp_path):
    import os

    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, timeout=120,
                            cwd=ROOT, env={**os.environ, "VEILLE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3:] == ["changed: []", "consumer: True", "flow control: []"]
