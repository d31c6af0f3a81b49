"""Elasticsearch sink: the index template (French and English analyzers) and idempotent bulk indexing.

Document id = mention id, so a replay or a redelivery overwrites instead of duplicating. Per-item bulk
errors are classified the way Confluent's sink does: 409 on an idempotent write is success, 429 and 5xx
are retried, any other 4xx (mapping or parsing error) is a dead letter with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer
from elasticsearch.helpers import async_streaming_bulk

from pipeline.mention import CATEGORIES
from pipeline.settings import Settings
from pipeline.sinks.field_types import DATE, KEYWORD, LONG

log = logging.getLogger(__name__)

MENTION_PROPERTIES: dict[str, Any] = {
    "id": KEYWORD,
    "platform": KEYWORD,
    "native_id": KEYWORD,
    "source": KEYWORD,
    "author": {
        "properties": {
            "id": KEYWORD,
            "handle": KEYWORD,
            "name": {"type": "text", "fields": {"keyword": KEYWORD}},
            "followers": LONG,
            "created_at": DATE,
            "following": LONG,
            "posts": LONG,
        }
    },
    "text": {
        "type": "text",
        "analyzer": "standard",
        "fields": {"fr": {"type": "text", "analyzer": "french"}, "en": {"type": "text", "analyzer": "english"}},
    },
    "title": {
        "type": "text",
        "fields": {"fr": {"type": "text", "analyzer": "french"}, "en": {"type": "text", "analyzer": "english"}},
    },
    "language": KEYWORD,
    "url": KEYWORD,
    "created_at": DATE,
    "fetched_at": DATE,
    "metrics": {"properties": {"likes": LONG, "shares": LONG, "replies": LONG, "views": LONG}},
    "parent_id": KEYWORD,
    "conversation_id": KEYWORD,
    "watch": KEYWORD,
    "truncated": {"type": "boolean"},
    "lang": KEYWORD,
    "sentiment": KEYWORD,
    "sentiment_score": {"type": "float"},
    "categories": KEYWORD,
    "scores": {"properties": {c: {"type": "float"} for c in CATEGORIES}},
    "action": KEYWORD,
    "priority": KEYWORD,
    "reply_by": DATE,
    "tagged_at": DATE,
    "tagger": KEYWORD,
    "ingested_at": DATE,
    "author_health": {"properties": {"score": {"type": "float"}, "likely_fake": {"type": "boolean"}, "reasons": KEYWORD}},
    "indexed_at": DATE,
    "content_hash": KEYWORD,
}


def index_template(pattern: str, properties: dict[str, Any], description: str, refresh_interval: str) -> dict[str, Any]:
    """A composable index template of one shard, strict (non-dynamic) mappings, owned by Veille."""
    return {
        "index_patterns": [pattern],
        "priority": 200,
        "template": {
            "settings": {"number_of_shards": 1, "refresh_interval": refresh_interval},
            "mappings": {"dynamic": False, "properties": properties},
        },
        "_meta": {"managed_by": "veille", "description": description},
    }


def mentions_index_template(settings: Settings) -> dict[str, Any]:
    return index_template(f"{settings.mentions_index}*", MENTION_PROPERTIES, "Enriched mentions",
                          settings.index.refresh_interval)


def make_client(settings: Settings, **options: Any) -> AsyncElasticsearch:
    # orjson: the stdlib json encoder was the index agent's largest cost per document
    kwargs: dict[str, Any] = {"request_timeout": 30, "serializer": OrjsonSerializer(), **options}
    if settings.elasticsearch.api_key:
        kwargs["api_key"] = settings.elasticsearch.api_key.get_secret_value()
    elif settings.elasticsearch.username:
        password = settings.elasticsearch.password.get_secret_value() if settings.elasticsearch.password else ""
        kwargs["basic_auth"] = (settings.elasticsearch.username, password)
    if settings.elasticsearch.ca_file:
        kwargs["ca_certs"] = str(settings.elasticsearch.ca_file)
    return AsyncElasticsearch(settings.elasticsearch.url, **kwargs)


async def ensure_index(client: AsyncElasticsearch, name: str, template: dict[str, Any]) -> None:
    """Install the index template ``name`` and create the index ``name`` (idempotent)."""
    await client.indices.put_index_template(name=name, **template)
    if not await client.indices.exists(index=name):
        try:
            await client.indices.create(index=name)
        except Exception as exc:  # created meanwhile by another worker
            if "resource_already_exists" not in str(exc):
                raise


async def setup_indices(client: AsyncElasticsearch, settings: Settings) -> None:
    """Install the index template and create the mentions index (idempotent)."""
    await ensure_index(client, settings.mentions_index, mentions_index_template(settings))


def document_for(enriched: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    return {**enriched, "indexed_at": (now or datetime.now(UTC)).isoformat()}


@dataclass
class WriteOutcome:
    indexed: list[str] = field(default_factory=list)
    dead: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (document, reason)
    retry: list[dict[str, Any]] = field(default_factory=list)


def classify_item(ok: bool, item: dict[str, Any]) -> tuple[str, str]:
    """('ok'|'retry'|'dead', reason) for one bulk response item."""
    result = next(iter(item.values())) if item else {}
    status = int(result.get("status", 0) or 0)
    if ok or status == 409:
        return "ok", ""
    error = result.get("error")
    if isinstance(error, dict):
        reason = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    else:
        reason = str(error or f"status {status}")
    if status == 429 or status >= 500 or status == 0:
        return "retry", f"HTTP {status}: {reason}"
    return "dead", f"Elasticsearch refused the document (HTTP {status}): {reason}"


class ElasticsearchMentionSink:
    """Writes enriched mentions in bulk; ``write`` returns what was indexed and what is a dead letter."""

    def __init__(self, client: AsyncElasticsearch, settings: Settings, max_item_retries: int = 8):
        self.client = client
        self.settings = settings
        self.index = settings.mentions_index
        self.max_item_retries = max_item_retries

    async def setup(self) -> None:
        await self.client.info()
        await setup_indices(self.client, self.settings)

    async def _bulk_once(self, docs: Sequence[dict[str, Any]]) -> WriteOutcome:
        outcome = WriteOutcome()
        by_id = {d["id"]: d for d in docs}
        actions = ({"_op_type": "index", "_index": self.index, "_id": i, "_source": d} for i, d in by_id.items())
        async for ok, item in async_streaming_bulk(
            self.client, actions, chunk_size=500, max_retries=3, initial_backoff=0.5, max_backoff=8,
            raise_on_error=False, raise_on_exception=True, yield_ok=True,
        ):
            verdict, reason = classify_item(ok, item)
            doc_id = next(iter(item.values())).get("_id")
            doc = by_id[doc_id]
            if verdict == "ok":
                outcome.indexed.append(doc_id)
            elif verdict == "retry":
                outcome.retry.append(doc)
            else:
                outcome.dead.append((doc, reason))
        return outcome

    async def write(self, docs: Sequence[dict[str, Any]]) -> WriteOutcome:
        """Index ``docs``; retry transient per-item failures with backoff; raise if they never clear."""
        total = WriteOutcome()
        pending = list(docs)
        for attempt in range(self.max_item_retries + 1):
            outcome = await self._bulk_once(pending)
            total.indexed.extend(outcome.indexed)
            total.dead.extend(outcome.dead)
            if not outcome.retry:
                return total
            pending = outcome.retry
            delay = min(30.0, 0.5 * 2**attempt)
            log.warning("%d documents to retry after transient errors; next attempt in %.1fs", len(pending), delay)
            await asyncio.sleep(delay)
        raise RuntimeError(f"{len(pending)} documents still failing after {self.max_item_retries} retries")

    async def close(self) -> None:
        await self.client.close()
