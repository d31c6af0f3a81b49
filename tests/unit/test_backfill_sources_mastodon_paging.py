"""Reading a Mastodon tag timeline back with ``max_id``, over the real statuses of the recorded cassettes in
../shared/payloads/mastodon (skipped when absent), served newest first by a local server that pages as
Mastodon does (``limit``, ``max_id``: statuses with a smaller id)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import orjson
import pytest
from aiohttp import web

from local_server import serving
from recorded_mastodon import SHARED, recorded_statuses
from pipeline.sources.http import PoliteClient
from pipeline.sources.mastodon.connector import id_key
from pipeline.trends.backfill_sources import BackfillSourceError, Stream, mastodon_page, read_stream

STATUSES = recorded_statuses()
pytestmark = pytest.mark.skipif(len(STATUSES) < 6, reason=f"recorded Mastodon statuses not found at {SHARED}")
PUBLIC = [s for s in STATUSES if s["visibility"] in ("public", "unlisted")]  # the others are not mentions
NOW = datetime(2026, 8, 8, 12, tzinfo=UTC)


def timeline_app(requests: list, fail: dict | None = None) -> web.Application:
    async def tag_timeline(request: web.Request) -> web.Response:
        requests.append(dict(request.query))
        if fail and len(requests) in fail:
            status, headers = fail[len(requests)]
            return web.Response(status=status, headers=headers, text="slow down")
        limit = int(request.query.get("limit", 20))
        max_id = request.query.get("max_id")
        older = [s for s in STATUSES if max_id is None or id_key(str(s["id"])) < id_key(max_id)]
        return web.Response(body=orjson.dumps(older[:limit]), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/timelines/tag/{tag}", tag_timeline)
    return app


def stream(base: str, limit: int) -> Stream:
    return Stream("mastodon", "hashtag:toot", f"{base}/api/v1/timelines/tag/toot", {"limit": limit}, mastodon_page,
                  hint="localhost")


def client() -> PoliteClient:
    return PoliteClient(user_agent="veille-test", min_interval=0, base_backoff=0.05, max_retries=2)


def everything(mention, stream) -> bool:
    return True


async def test_backfill_sources_mastodon_pages_back_with_max_id_until_a_short_page():
    requests: list = []
    since = datetime(2026, 8, 1, tzinfo=UTC)  # before every recorded status
    async with serving(timeline_app(requests)) as base:
        http = client()
        read, kept = await read_stream(http, stream(base, 3), since, everything, set(), now=NOW)
        await http.aclose()
    pages = -(-len(STATUSES) // 3) + (len(STATUSES) % 3 == 0)  # a last empty page when the count divides evenly
    assert read.pages == pages and read.ended == "end"
    assert [r.get("max_id") for r in requests[:2]] == [None, min((str(s["id"]) for s in STATUSES[:3]), key=id_key)]
    assert all(r["limit"] == "3" for r in requests)
    assert sorted(m.native_id for m in kept) == sorted(str(s["id"]) for s in PUBLIC)
    assert read.complete_from == since  # the timeline's end: nothing older exists
    assert read.oldest == min(m.created_at for m in kept)


async def test_backfill_sources_mastodon_stops_at_the_first_page_older_than_the_window():
    requests: list = []
    since = datetime(2026, 8, 2, tzinfo=UTC)  # the recordings of 2 August are newer, those of 1 August older
    async with serving(timeline_app(requests)) as base:
        http = client()
        read, kept = await read_stream(http, stream(base, 2), since, everything, set(), now=NOW)
        await http.aclose()
    newer = [s for s in STATUSES if s["created_at"] >= "2026-08-02"]
    assert read.ended == "window" and read.complete_from == since
    assert read.pages == len(newer) // 2 + 1  # the page that crosses the window is the last one asked for
    assert len(requests) == read.pages
    assert {m.native_id for m in kept} == {str(s["id"]) for s in newer if s in PUBLIC}
    assert all(m.created_at >= since for m in kept)


async def test_backfill_sources_mastodon_cut_by_max_pages_is_complete_only_from_its_oldest():
    requests: list = []
    async with serving(timeline_app(requests)) as base:
        http = client()
        read, kept = await read_stream(http, stream(base, 2), datetime(2026, 7, 1, tzinfo=UTC), everything, set(),
                                       max_pages=2, now=NOW)
        await http.aclose()
    assert read.ended == "max pages" and len(requests) == 2
    assert read.complete_from == read.oldest == min(m.created_at for m in kept)


async def test_backfill_sources_mastodon_waits_out_retry_after_then_goes_on():
    requests: list = []
    async with serving(timeline_app(requests, fail={2: (429, {"Retry-After": "1"})})) as base:
        http = client()
        started = time.monotonic()
        read, kept = await read_stream(http, stream(base, 5), datetime(2026, 8, 1, tzinfo=UTC), everything, set(),
                                       now=NOW)
        elapsed = time.monotonic() - started
        await http.aclose()
    assert elapsed >= 0.95  # the server asked for a second before page 2
    assert requests[1] == requests[2]  # page 2 asked again, same max_id
    assert read.ended == "end" and len(kept) == len(PUBLIC)


async def test_backfill_sources_mastodon_error_names_source_url_and_page():
    requests: list = []
    async with serving(timeline_app(requests, fail={2: (404, {})})) as base:
        http = client()
        with pytest.raises(BackfillSourceError) as error:
            await read_stream(http, stream(base, 2), datetime(2026, 7, 1, tzinfo=UTC), everything, set(), now=NOW)
        await http.aclose()
    message = str(error.value)
    assert message.startswith("mastodon: ") and "/api/v1/timelines/tag/toot" in message and "page 2" in message
    assert "HTTP 404" in message and error.value.page == 2


async def test_backfill_sources_mastodon_a_mention_seen_by_another_stream_is_kept_once():
    requests: list = []
    seen: set[str] = set()
    async with serving(timeline_app(requests)) as base:
        http = client()
        first = await read_stream(http, stream(base, 40), datetime(2026, 8, 1, tzinfo=UTC), everything, seen, now=NOW)
        again = await read_stream(http, stream(base, 40), datetime(2026, 8, 1, tzinfo=UTC), everything, seen, now=NOW)
        await http.aclose()
    assert len(first[1]) == len(PUBLIC) and again[1] == [] and again[0].kept == 0


def test_backfill_sources_mastodon_page_refuses_what_is_not_a_timeline():
    with pytest.raises(ValueError, match="not JSON"):
        mastodon_page(b"<html>maintenance</html>", {"limit": 40})
    with pytest.raises(ValueError, match="not a timeline"):
        mastodon_page(b'{"error": "Record not found"}', {"limit": 40})
