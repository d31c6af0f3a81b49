"""Tag agent: raw mentions → validated, tagged, enriched mentions, their per-watch signals for the trend
and crisis agents, and dead letters for what is invalid. Tagging runs in the tag processes (TagPool)."""

from __future__ import annotations

import logging

from agents.app import app, dead_letter_topic, enriched_mentions_topic, raw_mentions_topic, settings, signals_topic
from agents.erasures import erasures
from agents.runtime import overlapped, send_and_confirm
from pipeline.processing import RawRecord, RoutedBatch
from pipeline.tag_pool import TagPool

log = logging.getLogger(__name__)


def _record(event) -> RawRecord:
    message = event.message
    return RawRecord(
        value=message.value, key=message.key, topic=message.topic, partition=message.partition,
        offset=message.offset, timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
    )


@app.agent(raw_mentions_topic)
async def tag_mentions(stream):
    pool = TagPool(settings.tag.processes, settings.gc_young_threshold)

    async def tag(events) -> RoutedBatch:
        return await pool.tag([_record(e) for e in events], erasures.erased)

    async def send(events, routed: RoutedBatch) -> None:
        if routed.erased:
            log.info("dropped %d mentions of erased authors", routed.erased)
        await send_and_confirm(
            [(enriched_mentions_topic, key, value) for key, value in routed.enriched]
            + [(signals_topic, key, value) for key, value in routed.signals]
            + [(dead_letter_topic, key, value) for key, value in routed.dead_letters])
        if routed.dead_letters:
            log.info("tagged %d, dead-lettered %d", len(routed.enriched), len(routed.dead_letters))

    try:
        await pool.start()
        await erasures.ready.wait()
        # while one batch's results go to the broker, the next is tagged
        await overlapped(stream.take_events(settings.tag.batch_size, within=settings.tag.batch_within),
                         tag, send, settings.tag.batches_in_flight, "tag")
    finally:
        pool.close()
