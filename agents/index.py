"""Index agent: enriched mentions → Elasticsearch, in bulk, idempotently (document id = mention id)."""

from __future__ import annotations

import logging

import orjson

from agents.app import app, dead_letter_topic, enriched_mentions_topic, settings
from agents.erasures import erasures
from agents.runtime import acknowledged_when_done, send_and_confirm, until_done
from pipeline.processing import dead_letter
from pipeline.sinks.elasticsearch import (
    ElasticsearchMentionSink,
    document_for,
    make_client,
)

log = logging.getLogger(__name__)


@app.agent(enriched_mentions_topic)
async def index_mentions(stream):
    sink = ElasticsearchMentionSink(make_client(settings), settings)
    try:
        await until_done("Elasticsearch setup", sink.setup)
        await _index_stream(stream, sink)
    finally:
        await sink.close()


async def _index_stream(stream, sink: ElasticsearchMentionSink) -> None:
    await erasures.ready.wait()
    async for events in stream.take_events(settings.index.batch_size, within=settings.index.batch_within):
        async with acknowledged_when_done(events, "index"):
            documents, origin, unreadable = [], {}, []
            for event in events:
                message = event.message
                try:
                    document = orjson.loads(message.value)
                    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
                        raise ValueError("enriched record has no string id")
                except ValueError as exc:
                    letter = dead_letter(f"unreadable enriched record: {exc}", "index", topic=message.topic,
                                         partition=message.partition, offset=message.offset, raw=message.value)
                    unreadable.append((dead_letter_topic, None, orjson.dumps(letter)))
                    continue
                if erasures.is_erased(document):  # tagged before its author was erased
                    continue
                origin[document["id"]] = message
                documents.append(document_for(document))
            await send_and_confirm(unreadable)
            if not documents:
                continue
            outcome = await until_done(f"indexing {len(documents)} mentions", lambda: sink.write(documents))
            refused = []
            for document, reason in outcome.dead:
                message = origin[document["id"]]
                log.error("mention %s at %s[%s]@%s not indexed: %s", document["id"], message.topic, message.partition,
                          message.offset, reason)
                letter = dead_letter(reason, "index", topic=message.topic, partition=message.partition,
                                     offset=message.offset, raw=message.value, mention_id=document["id"])
                refused.append((dead_letter_topic, document["id"].encode(), orjson.dumps(letter)))
            await send_and_confirm(refused)

