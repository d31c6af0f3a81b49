"""What a community manager reads is current: an alert the crisis agent has just written (``upsert_many``,
as the agent does) is listed at once by ``veille alerts list``, the JSON API and the store the crisis page
reads, on the embedded Elasticsearch API, with no refresh or wait in between."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipeline.alerts.model import Detection, apply_detection
from pipeline.alerts.store import AlertStore, setup_alert_indices
from pipeline.sinks.elasticsearch import make_client
from pipeline.stack import free_port, settings_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def alerts_env(stack, stack_env):
    env = {**stack_env, "VEILLE_INDEX_PREFIX": f"current{uuid.uuid4().hex[:8]}", "VEILLE_WEB_PORT": str(free_port())}
    settings = settings_for(env)

    async def create():
        async with make_client(settings) as client:
            await setup_alert_indices(client, settings)
    asyncio.run(create())
    yield env

    async def drop():
        async with make_client(settings) as client:
            await client.options(ignore_status=404).indices.delete(index=f"{settings.index_prefix}-alerts")
    asyncio.run(drop())


def _alert(watch: str):
    return apply_detection(None, Detection(watch=watch, kind="complaint_spike", severity="critical", title="spike"),
                           datetime.now(UTC), timedelta(hours=1))[0]


async def _write(settings, alert) -> None:
    async with make_client(settings) as client:
        await AlertStore(client, settings).upsert_many([alert])


def test_alerts_written_by_the_agent_are_listed_at_once_by_the_store_cli_and_api(alerts_env):
    from starlette.testclient import TestClient

    from pipeline.web.app import create_app

    settings = settings_for(alerts_env)
    missed = []
    for attempt in range(5):  # each round writes a new alert and lists it straight away

        async def write_then_list(alert):
            async with make_client(settings) as client:
                store = AlertStore(client, settings)
                await store.upsert_many([alert])
                return await store.list(watch=alert.watch)
        alert = _alert(f"acme{attempt}")
        if [a.id for a in asyncio.run(write_then_list(alert))] != [alert.id]:
            missed.append(attempt)
    assert not missed, f"a listing right after the write missed the alert in rounds {missed}"

    alert = _alert("globex")
    asyncio.run(_write(settings, alert))
    with TestClient(create_app(settings), base_url=f"http://127.0.0.1:{settings.web.port}") as client:
        api = client.get("/api/alerts", params={"watch": "globex"})
    assert api.status_code == 200, api.text
    assert [a["id"] for a in api.json()] == [alert.id]

    alert = _alert("initech")
    asyncio.run(_write(settings, alert))
    cli = subprocess.run([sys.executable, "-m", "pipeline", "alerts", "list", "--watch", "initech", "--json"],
                         env={**os.environ, **alerts_env}, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert cli.returncode == 0, cli.stderr
    assert [orjson.loads(line)["id"] for line in cli.stdout.splitlines()] == [alert.id]
