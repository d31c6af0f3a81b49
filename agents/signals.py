"""Signals agent: enriched mentions → one compact signal per watch, keyed by watch (trend and crisis agents)."""

from __future__ import annotations

import logging

import orjson

from agents.app import (
    app,
    dead_letter_topic,
    enriched_mentions_topic,
    send_and_confirm,
    settings,
    signals_topic,
)
from pipeline.processing import dead_letter
from pipeline.trends.signals import signals_for

log = logging.getLogger(__name__)


@app.agent(enriched_mentions_topic)
async def route_signals(stream):
    async for events in stream.take_events(settings.signal_batch_size, within=settings.signal_batch_within):
        sends = []
        for event in events:
            message = event.message
            try:
                signals = signals_for(orjson.loads(message.value))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("enriched record at %s[%s]@%s unreadable for signals: %s", message.topic,
                          message.partition, message.offset, exc)
                letter = dead_letter(f"unreadable enriched record for signals: {exc}", "signals", topic=message.topic,
                                     partition=message.partition, offset=message.offset, raw=message.value)
                await dead_letter_topic.send(value=orjson.dumps(letter))
                continue
            sends += [(signals_topic, signal.watch.encode(), orjson.dumps(signal.to_json())) for signal in signals]
        await send_and_confirm(sends)
