"""Reading a feed back: only the items it still holds, over the real recorded feeds in
../shared/payloads/rss (skipped when absent), served by a local server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from local_server import serving
from pipeline.sources.http import PoliteClient
from pipeline.trends.backfill_sources import BackfillSourceError, Stream, read_stream, rss_page

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "payloads" / "rss"
ATOM = SHARED / "atomthreadingwithentry.xml"  # one entry, updated 2009-12-09T00:59:02Z
RSS2 = SHARED / "rss2.0NSwithModulesNoDefNSLocalNameClash.xml"  # one item, 2002-09-28
pytestmark = pytest.mark.skipif(not (ATOM.is_file() and RSS2.is_file()), reason=f"recorded feeds not found at {SHARED}")


def feed_app(requests: list) -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        requests.append(request.path)
        name = request.match_info["name"]
        if name == "broken":
            return web.Response(text="<html><body>502 from the CDN</body></html>", content_type="text/html")
        return web.Response(body=(SHARED / name).read_bytes(), content_type="application/xml")

    app = web.Application()
    app.router.add_get("/feeds/{name}", feed)
    return app


def stream(base: str, name: str) -> Stream:
    url = f"{base}/feeds/{name}"
    return Stream("rss", url, url, {}, rss_page, hint=url, exhaustive=False)


def entry_time(name: str) -> datetime:
    return rss_page((SHARED / name).read_bytes(), {}).oldest


async def test_backfill_sources_rss_feed_newer_than_the_window_is_complete_only_from_its_oldest_item():
    requests: list = []
    oldest = entry_time(ATOM.name)
    async with serving(feed_app(requests)) as base:
        http = PoliteClient(user_agent="veille-test", min_interval=0, max_retries=0)
        read, kept = await read_stream(http, stream(base, ATOM.name), oldest - timedelta(days=7), lambda m, s: True,
                                       set(), now=oldest + timedelta(days=1))
        await http.aclose()
    assert requests == [f"/feeds/{ATOM.name}"]  # a feed is one page
    assert [m.created_at for m in kept] == [datetime(2009, 12, 9, 0, 59, 2, tzinfo=UTC)]
    assert read.ended == "end" and read.complete_from == oldest  # older items left the feed: unknown, not zero


async def test_backfill_sources_rss_feed_reaching_past_the_window_is_complete_from_it():
    requests: list = []
    since = entry_time(RSS2.name) + timedelta(hours=1)
    async with serving(feed_app(requests)) as base:
        http = PoliteClient(user_agent="veille-test", min_interval=0, max_retries=0)
        read, kept = await read_stream(http, stream(base, RSS2.name), since, lambda m, s: True, set(),
                                       now=since + timedelta(days=7))
        await http.aclose()
    assert kept == [] and read.ended == "window" and read.complete_from == since


async def test_backfill_sources_rss_unreadable_feed_names_the_feed_and_page():
    async with serving(feed_app([])) as base:
        http = PoliteClient(user_agent="veille-test", min_interval=0, max_retries=0)
        with pytest.raises(BackfillSourceError) as error:
            await read_stream(http, stream(base, "broken"), datetime(2026, 1, 1, tzinfo=UTC), lambda m, s: True, set())
        await http.aclose()
    assert str(error.value).startswith(f"rss: {base}/feeds/broken page 1: ")
