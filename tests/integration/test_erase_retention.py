"""`veille retention` on the session stack: mentions created before the retention period are deleted
from Elasticsearch, recent ones stay."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faults import forget, indexed_copies, sample_mentions

from pipeline.sinks.elasticsearch import ElasticsearchMentionSink, make_client

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


async def test_erase_retention_deletes_only_mentions_older_than_the_period(settings, stack_env, stack):
    run = uuid.uuid4().hex[:8]
    old, recent = sample_mentions(f"retention-{run}-old", 3), sample_mentions(f"retention-{run}-new", 3, 50)
    for mention in old:
        mention["created_at"] = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    for mention in recent:
        mention["created_at"] = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    sink = ElasticsearchMentionSink(make_client(settings), settings)
    try:
        await sink.setup()
        assert len((await sink.write(old + recent)).indexed) == 6
    finally:
        await sink.close()

    done = subprocess.run([sys.executable, "-m", "pipeline", "retention"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **stack_env, "VEILLE_MENTIONS_RETENTION_DAYS": "30"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "retention 30 days:" in done.stdout, done.stdout + done.stderr
    assert await indexed_copies(settings, [m["id"] for m in old]) == {}, done.stdout
    assert len(await indexed_copies(settings, [m["id"] for m in recent])) == 3
    await forget(settings, [m["id"] for m in recent])


async def test_erase_retention_deletes_by_id_where_delete_by_query_is_missing(settings, stack):
    from tools.faults import FaultyElasticsearch

    from pipeline.privacy import author_query, delete_matching

    run = uuid.uuid4().hex[:8]
    mentions = sample_mentions(f"nodbq-{run}", 4)
    for mention in mentions:
        mention["author"] = {"id": f"nodbq-{run}"}
    proxy = FaultyElasticsearch(settings.elasticsearch.url).start()
    proxy.unsupported = {"/_delete_by_query"}
    through_proxy = settings.model_copy(update={"elasticsearch": settings.elasticsearch.model_copy(update={"url": proxy.url})})
    sink = ElasticsearchMentionSink(make_client(through_proxy), through_proxy)
    try:
        await sink.setup()
        assert len((await sink.write(mentions)).indexed) == 4
        async with make_client(through_proxy) as client:
            assert await delete_matching(client, settings.mentions_index, author_query(f"nodbq-{run}")) == 4
    finally:
        await sink.close()
        proxy.stop()
    assert await indexed_copies(settings, [m["id"] for m in mentions]) == {}
