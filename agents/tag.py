"""Tag agent: raw mentions → validated, tagged, enriched mentions (invalid ones → dead letters)."""

from __future__ import annotations

import asyncio
import logging

import orjson

from agents.app import (
    app,
    dead_letter_topic,
    enriched_mentions_topic,
    raw_mentions_topic,
    send_and_confirm,
    settings,
)
from agents.erasures import erasures
from pipeline.privacy import keep_unerased
from pipeline.processing import RawRecord, process_raw_batch
from pipeline.tagging import get_tagger

log = logging.getLogger(__name__)


def _record(event) -> RawRecord:
    message = event.message
    return RawRecord(
        value=message.value, key=message.key, topic=message.topic, partition=message.partition,
        offset=message.offset, timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
    )


@app.agent(raw_mentions_topic)
async def tag_mentions(stream):
    tagger = get_tagger()
    loop = asyncio.get_running_loop()
    await erasures.ready.wait()
    async for events in stream.take_events(settings.tag_batch_size, within=settings.tag_batch_within):
        records = [_record(e) for e in events]
        result = await loop.run_in_executor(None, process_raw_batch, records, tagger)
        enriched, erased = keep_unerased(result.enriched, erasures.erased)
        if erased:
            log.info("dropped %d mentions of erased authors", erased)
        await send_and_confirm(
            [(enriched_mentions_topic, document["id"].encode(), orjson.dumps(document)) for document in enriched]
            + [(dead_letter_topic, (letter["mention_id"] or "").encode() or None, orjson.dumps(letter))
               for letter in result.dead_letters])
        if result.dead_letters:
            log.info("tagged %d, dead-lettered %d", len(enriched), len(result.dead_letters))
