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
    client = Elasticsearch(settings.elasticsearch_url, request_timeout=10, max_retries=0)
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
