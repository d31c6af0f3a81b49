"""Bluesky through Jetstream: one websocket of JSON commit events, resumed from its ``time_us`` cursor.

Jetstream carries every post of the network, so only posts matching a watch become mentions. The
cursor saved in the checkpoint is the ``time_us`` of the last event handled; on reconnect (after a
drop or a restart) the connector asks for events from a few seconds before it, and deduplication by
mention id absorbs the overlap. Identity and account events are not posts and are ignored; a message
that is not JSON, or a post event the normaliser cannot read, goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import aiohttp
import orjson

from pipeline.sources.bluesky.normalize import normalize_bluesky
from pipeline.sources.bluesky.options import BlueskyOptions
from pipeline.sources.runtime import LiveConnector, sleep_or_stop
from pipeline.timestamps import utc_now

log = logging.getLogger(__name__)

REWIND_US = 5_000_000  # replay this much before the saved cursor on reconnect
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def jetstream_url(base_url: str, collections: list[str], cursor: int | None) -> str:
    base = base_url.rstrip("/")
    if not base.endswith("/subscribe"):
        base += "/subscribe"
    query = "&".join(f"wantedCollections={c}" for c in collections)
    if cursor:
        query += f"&cursor={max(0, cursor - REWIND_US)}"
    return f"{base}?{query}" if query else base


class JetstreamConnector(LiveConnector):
    type = "bluesky"
    spec: BlueskyOptions
    default_base_url = "wss://jetstream2.us-east.bsky.network"
    is_polling = False

    @property
    def cursor(self) -> int | None:
        value = self.cursors.get("jetstream", {}).get("time_us")
        return int(value) if isinstance(value, (int, float)) else None

    async def run(self, stop: asyncio.Event, once: bool = False) -> None:
        failures = 0
        async with aiohttp.ClientSession(headers={"User-Agent": self.settings.connector.user_agent}) as session:
            while not stop.is_set():
                url = jetstream_url(self.base_url, self.spec.collections, self.cursor)
                try:
                    await self._listen(session, url, stop, once)
                    failures = 0
                    if once:
                        break
                except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
                    failures += 1
                    self.record_error(url, exc)
                    if once:
                        break
                    await sleep_or_stop(stop, min(self.settings.connector.max_backoff, 2 ** failures))
                finally:
                    await self.checkpoint()

    async def _listen(self, session: aiohttp.ClientSession, url: str, stop: asyncio.Event, once: bool) -> None:
        log.info("%s: connecting to %s", self.name, url)
        async with session.ws_connect(url, heartbeat=30, max_msg_size=MAX_MESSAGE_BYTES,
                                      timeout=aiohttp.ClientWSTimeout(ws_receive=120)) as ws:
            self.record_success(self._cursor_time())
            while not stop.is_set():
                try:
                    message = await ws.receive(timeout=1.0 if once else 120)
                except TimeoutError:
                    if once:
                        return  # nothing more queued: a one-shot run is done
                    raise
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    raise ConnectionError(f"Jetstream closed the connection ({ws.close_code})")
                if message.type == aiohttp.WSMsgType.ERROR:
                    raise ConnectionError(f"websocket error: {ws.exception()}")
                data = message.data if message.type == aiohttp.WSMsgType.BINARY else str(message.data).encode()
                await self.on_message(data, url)
                await self.checkpoint_if_due()

    async def on_message(self, data: bytes, where: str) -> None:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            await self.dead_letter(f"Jetstream message is not JSON: {exc}", data, where)
            return
        if not isinstance(event, dict):
            await self.dead_letter(f"Jetstream message is a {type(event).__name__}, not an event", data, where)
            return
        time_us = event.get("time_us")
        if isinstance(time_us, int) and time_us > (self.cursor or 0):
            self.cursors["jetstream"] = {"time_us": time_us}
            self.record_success(self._cursor_time())
        if event.get("kind") != "commit":
            return  # identity and account events
        result = normalize_bluesky(data, source_hint="bsky:jetstream", fetched_at=utc_now())
        await self.emit(result, payload=data, where=where)

    def _cursor_time(self) -> datetime | None:
        cursor = self.cursor
        return datetime.fromtimestamp(cursor / 1e6, UTC) if cursor else None
