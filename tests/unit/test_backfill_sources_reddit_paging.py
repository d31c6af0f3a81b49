"""Reading Reddit's search (sorted by new) back with ``after``, over the real submissions of the recorded
listings in ../shared/payloads/reddit (skipped when absent), served by a local server that pages as Reddit
does: newest first, ``limit`` things, ``after`` the fullname of the page's last thing (the recorded
``/r/askreddit/new`` page shows that rule)."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from local_server import serving
from pipeline.sources.http import PoliteClient
from pipeline.trends.backfill_sources import REDDIT_LISTING_CAP, Stream, read_stream, reddit_page

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "payloads" / "reddit"
RECORDINGS = ("TestSubredditListings.test_new.json", "TestSubreddit.test_search.json")


def recorded_listings() -> list[dict]:
    listings = []
    for name in RECORDINGS:
        path = SHARED / name
        if not path.is_file():
            continue
        for interaction in orjson.loads(path.read_bytes())["interactions"]:
            try:
                data = orjson.loads(interaction["response"]["body"]["string"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
            if isinstance(data, dict) and data.get("kind") == "Listing":
                listings.append(data)
    return listings


LISTINGS = recorded_listings()
pytestmark = pytest.mark.skipif(len(LISTINGS) < 2, reason=f"recorded Reddit listings not found at {SHARED}")
THINGS = sorted((c for listing in LISTINGS for c in listing["data"]["children"] if c["kind"] == "t3"),
                key=lambda c: c["data"]["created_utc"], reverse=True)
NOW = datetime.fromtimestamp(THINGS[0]["data"]["created_utc"], UTC) + timedelta(hours=1) if LISTINGS else None


def created(thing: dict) -> datetime:
    return datetime.fromtimestamp(thing["data"]["created_utc"], UTC)


def search_app(requests: list, headers: dict | None = None) -> web.Application:
    async def search(request: web.Request) -> web.Response:
        requests.append((time.monotonic(), dict(request.query)))
        limit = int(request.query.get("limit", 25))
        after = request.query.get("after")
        names = [t["data"]["name"] for t in THINGS]
        start = names.index(after) + 1 if after else 0
        children = THINGS[start:start + limit]
        more = start + limit < len(THINGS)
        body = {"kind": "Listing", "data": {"children": children, "after": children[-1]["data"]["name"] if more else None,
                                            "before": None, "dist": len(children)}}
        return web.Response(body=orjson.dumps(body), content_type="application/json", headers=headers or {})

    app = web.Application()
    app.router.add_get("/search.json", search)
    return app


def stream(base: str, limit: int, **changes) -> Stream:
    made = Stream("reddit", "search:ask", f"{base}/search.json",
                  {"q": "ask", "sort": "new", "limit": limit, "raw_json": 1}, reddit_page,
                  listing_cap=REDDIT_LISTING_CAP)
    return dataclasses.replace(made, **changes)


def client() -> PoliteClient:
    return PoliteClient(user_agent="veille-test", min_interval=0, base_backoff=0.05, max_retries=1)


def everything(mention, stream) -> bool:
    return True


def test_backfill_sources_reddit_recorded_listing_pages_after_its_last_thing():
    new = next(listing for listing in LISTINGS if listing["data"]["after"])
    page = reddit_page(orjson.dumps(new), {"limit": 100})
    assert page.next == {"after": new["data"]["children"][-1]["data"]["name"]}
    assert page.items == len(new["data"]["children"]) == len(page.mentions)


async def test_backfill_sources_reddit_pages_with_after_until_older_than_the_window():
    requests: list = []
    since = created(THINGS[60])  # about sixty submissions are in the window, the rest older
    async with serving(search_app(requests)) as base:
        http = client()
        read, kept = await read_stream(http, stream(base, 25), since, everything, set(), now=NOW)
        await http.aclose()
    in_window = [t for t in THINGS if created(t) >= since]
    assert read.ended == "window" and read.complete_from == since
    assert read.pages == len(requests) == -(-len(in_window) // 25) + (len(in_window) % 25 == 0)
    afters = [query.get("after") for _, query in requests]
    assert afters[0] is None and afters[1:] == [THINGS[25 * k - 1]["data"]["name"] for k in range(1, len(requests))]
    assert all(query["sort"] == "new" and query["q"] == "ask" for _, query in requests)
    assert sorted(m.native_id for m in kept) == sorted(t["data"]["name"] for t in in_window)


async def test_backfill_sources_reddit_end_of_listing_at_its_cap_is_not_the_end_of_history():
    requests: list = []
    since = created(THINGS[-1]) - timedelta(days=1)  # older than everything: the listing ends first
    async with serving(search_app(requests)) as base:
        http = client()
        whole, _ = await read_stream(http, stream(base, 50), since, everything, set(), now=NOW)
        capped, kept = await read_stream(http, stream(base, 50, listing_cap=len(THINGS)), since, everything, set(),
                                         now=NOW)
        await http.aclose()
    assert whole.ended == capped.ended == "end"
    assert whole.complete_from == since  # fewer things than the cap: the search has nothing older
    assert capped.complete_from == created(THINGS[-1]) == min(m.created_at for m in kept)  # at the cap: unknown before


async def test_backfill_sources_reddit_spent_rate_limit_budget_pauses_before_the_next_page():
    requests: list = []
    budget = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1", "X-Ratelimit-Used": "100"}
    async with serving(search_app(requests, headers=budget)) as base:
        http = client()
        read, _ = await read_stream(http, stream(base, 50), created(THINGS[-1]), everything, set(), max_pages=2,
                                    now=NOW)
        await http.aclose()
    assert read.pages == 2
    assert requests[1][0] - requests[0][0] >= 0.9  # Reddit said the budget is back in a second
