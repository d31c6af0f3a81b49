"""Mastodon: hashtag timelines and status search, polled from the last status id seen (``min_id``
pages forward without gaps), and optionally the public or hashtag streaming timeline (server-sent
events). A stream that drops is reconnected with backoff and the gap is filled by a poll first, so a
restart or a network cut loses nothing."""

from __future__ import annotations

import asyncio
import logging

import httpx
import orjson
from httpx_sse import aconnect_sse

from pipeline.sources.http import redact
from pipeline.sources.mastodon.normalize import normalize_mastodon
from pipeline.sources.mastodon.options import MastodonOptions
from pipeline.sources.results import NormalizeResult, Reject
from pipeline.sources.runtime import LiveConnector, sleep_or_stop
from pipeline.timestamps import parse_retry_after, utc_now

log = logging.getLogger(__name__)

PAGE = 40
MAX_PAGES = 25


def status_ids(payload: bytes) -> list[str]:
    """Top-level status ids of a timeline page or a search response (boost ids included: they page)."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return []
    items = data.get("statuses") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return []
    return [str(item["id"]) for item in items if isinstance(item, dict) and isinstance(item.get("id"), (str, int))]


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal strings of growing length: compare by length, then text."""
    return len(status_id), status_id


def newest_id(ids: list[str], current: str | None = None) -> str | None:
    candidates = [i for i in ids if i.isdigit()] + ([current] if current else [])
    return max(candidates, key=id_key) if candidates else None


class MastodonConnector(LiveConnector):
    type = "mastodon"
    spec: MastodonOptions
    default_base_url = "https://mastodon.social"

    @property
    def is_polling(self) -> bool:  # type: ignore[override]
        return self.spec.stream == "none"

    def _headers(self) -> dict[str, str]:
        token = self.settings.mastodon.access_token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}

    def hashtags(self) -> list[str]:
        if self.spec.hashtags is not None:
            return [t.lstrip("#") for t in self.spec.hashtags]
        return [k.lstrip("#") for k in self.watches.keywords_for(self.name) if " " not in k.strip() and "*" not in k]

    def searches(self) -> list[str]:
        if self.spec.searches is not None:
            return list(self.spec.searches)
        return self.watches.keywords_for(self.name) if self.settings.mastodon.access_token else []

    def streams(self) -> list[str]:
        return [f"hashtag:{t}" for t in self.hashtags()] + [f"search:{q}" for q in self.searches()]

    async def poll_stream(self, stream: str) -> None:
        kind, _, value = stream.partition(":")
        if kind == "hashtag":
            url, params = f"{self.base_url}/api/v1/timelines/tag/{value}", {"limit": PAGE}
        else:
            url, params = f"{self.base_url}/api/v2/search", {"q": value, "type": "statuses", "limit": PAGE,
                                                             "resolve": "false"}
        cursor = self.cursors.get(stream, {})
        since = cursor.get("min_id")
        for _ in range(MAX_PAGES):
            page_params = {**params, **({"min_id": since} if since else {})}
            response = await self.http.get(url, params=page_params, headers=self._headers())
            result = normalize_mastodon(response.body, source_hint=_host(self.base_url), fetched_at=utc_now())
            await self.emit(result, payload=response.body, where=f"{redact(url)} ({stream})")
            ids = status_ids(response.body) or [m.native_id for m in result.mentions]
            newest = newest_id(ids, since)
            if newest is None or newest == since:
                break
            since = newest
            self.cursors[stream] = {"min_id": since}
            if not cursor.get("min_id") or len(ids) < PAGE:
                break  # first run starts from the newest page; a short page is the end

    # --- streaming -------------------------------------------------------------------------------

    def stream_url(self) -> tuple[str, dict[str, str]]:
        if self.spec.stream == "hashtag":
            tags = self.hashtags()
            return f"{self.base_url}/api/v1/streaming/hashtag", {"tag": tags[0] if tags else ""}
        return f"{self.base_url}/api/v1/streaming/public", {}

    async def run(self, stop: asyncio.Event, once: bool = False) -> None:
        if self.is_polling or once:
            await super().run(stop, once)
            return
        failures = 0
        while not stop.is_set():
            await self.poll_once()  # fill the gap since the last connection
            try:
                await self._listen(stop)
                failures = 0
            except (httpx.HTTPError, _StreamRefused) as exc:
                failures += 1
                self.record_error("stream", exc)
                wait = getattr(exc, "retry_after", None) or min(self.settings.connector.max_backoff, 2 ** failures)
                await self.checkpoint()
                await sleep_or_stop(stop, wait)

    async def _listen(self, stop: asyncio.Event) -> None:
        url, params = self.stream_url()
        timeout = httpx.Timeout(self.settings.connector.timeout, read=90.0)
        async with aconnect_sse(self.http.client, "GET", url, params=params, headers=self._headers(),
                                timeout=timeout) as source:
            status = source.response.status_code
            if status != 200:
                retry_after = parse_retry_after(source.response.headers.get("retry-after"))
                raise _StreamRefused(f"HTTP {status} from {redact(url)}", retry_after)
            log.info("%s: streaming %s", self.name, redact(str(source.response.url)))
            stream_key = f"hashtag:{params['tag']}" if "tag" in params else None
            async for event in source.aiter_sse():
                if stop.is_set():
                    return
                await self._on_event(event.event, event.data, stream_key)
                self.record_success()
                await self.checkpoint_if_due()

    async def _on_event(self, name: str, data: str, stream_key: str | None) -> None:
        raw = data.encode("utf-8", "surrogatepass")
        where = f"{self.base_url} stream {name}"
        if name == "delete":
            result = NormalizeResult(rejects=[Reject("status deleted (stream delete event)", raw,
                                                     f"mastodon:{data.strip()}", deleted=True)])
        elif name in ("update", "status.update"):
            result = normalize_mastodon(raw, source_hint=_host(self.base_url), fetched_at=utc_now())
            if stream_key and result.mentions:
                newest = newest_id([m.native_id for m in result.mentions], self.cursors.get(stream_key, {}).get("min_id"))
                self.cursors[stream_key] = {"min_id": newest}
        else:
            return  # notifications, announcements, filters_changed: not public mentions
        await self.emit(result, payload=raw, where=where)


class _StreamRefused(Exception):
    def __init__(self, reason: str, retry_after: float | None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _host(url: str) -> str:
    return httpx.URL(url).host or url


