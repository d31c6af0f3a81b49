"""The demo's "searchable" count against the session's embedded Elasticsearch API: on a rerun over the same data
directory, documents of the previous run (same ids) must not count as this run's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.commands.demo import count_indexed

pytestmark = pytest.mark.integration


def test_demo_count_indexed_counts_only_documents_indexed_since_the_replay(stack, settings):
    from elasticsearch import Elasticsearch

    from pipeline.sinks.elasticsearch import MENTION_PROPERTIES

    prefix = f"demotest-{uuid.uuid4().hex[:8]}"
    scoped = settings.model_copy(update={"index_prefix": prefix})
    client = Elasticsearch(settings.elasticsearch.url, request_timeout=10, max_retries=0)
    client.indices.create(index=scoped.mentions_index, mappings={"dynamic": False, "properties": MENTION_PROPERTIES})
    replay_started = datetime.now(UTC)
    try:
        for number, indexed_at in enumerate([replay_started - timedelta(minutes=10), replay_started - timedelta(seconds=1),
                                             replay_started + timedelta(milliseconds=5), replay_started + timedelta(seconds=2)]):
            client.index(index=scoped.mentions_index, id=f"twitter:{number}",
                         document={"id": f"twitter:{number}", "text": "colis perdu", "indexed_at": indexed_at.isoformat()})
        ids = {f"twitter:{number}" for number in range(5)}
        assert asyncio.run(count_indexed(scoped, ids)) == 4
        assert asyncio.run(count_indexed(scoped, ids, since=replay_started)) == 2
        assert asyncio.run(count_indexed(scoped, {"twitter:0", "twitter:3"}, since=replay_started)) == 1
    finally:
        client.indices.delete(index=scoped.mentions_index, ignore_unavailable=True)
        client.close()


def test_demo_raises_the_sample_crisis_on_a_fresh_data_directory(tmp_path):
    """`veille demo` from nothing (its own data directory and ports, as a fresh clone): the sample's crisis
    (Aquarelle's evening of complaints) must be raised by the crisis agent, whatever order the agents happen
    to read the replayed partitions in."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    from pipeline.stack import free_port, isolated_stack_env

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **isolated_stack_env(tmp_path / "veille"), "VEILLE_WORKER_WEB_PORT": str(free_port()),
           "VEILLE_WEB_PORT": str(free_port())}
    try:
        demo = subprocess.run([sys.executable, "-m", "pipeline", "demo"], env=env, cwd=root, capture_output=True,
                              text=True, timeout=600)
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        raised = re.search(r"crisis alerts raised by the crisis agent: (\d+)", demo.stdout)
        assert raised and int(raised.group(1)) >= 1, demo.stdout[-3000:]
        # the sample goes on for hours after its crisis (event time): the alert has resolved itself by the end
        assert re.search(r"\[(warning|critical), (open|resolved by auto)\] crisis:Aquarelle:", demo.stdout), demo.stdout[-3000:]
    finally:
        subprocess.run([sys.executable, "-m", "pipeline", "stack", "down"], env=env, cwd=root, capture_output=True,
                       timeout=120)
