"""Reading Hacker News back through Algolia's ``search_by_date``, paged by time (``numericFilters``).

../shared/payloads/hackernews holds real items of the Firebase API but no Algolia answer: the items are
served as the hits Algolia's HN index makes of them (objectID, author, created_at_i, title, story_text or
comment_text, points, num_comments, parent_id, story_id, _tags), newest first, with the server applying
the numeric filters it is sent. Skipped when the items are absent."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from local_server import serving
from pipeline.sources.http import PoliteClient
from pipeline.trends.backfill_sources import Stream, hackernews_page, read_stream

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "payloads" / "hackernews"


def as_hit(item: dict) -> dict:
    comment = item["type"] == "comment"
    hit = {"objectID": str(item["id"]), "author": item.get("by"), "created_at_i": item["time"],
           "created_at": datetime.fromtimestamp(item["time"], UTC).isoformat().replace("+00:00", "Z"),
           "points": item.get("score"), "num_comments": item.get("descendants"),
           "_tags": [item["type"], f"author_{item.get('by')}", f"story_{item.get('parent', item['id'])}"]}
    if comment:
        hit.update(comment_text=item.get("text"), parent_id=item.get("parent"), story_id=item.get("parent"))
    else:
        hit.update(title=item.get("title"), url=item.get("url"), story_text=item.get("text"), story_id=item["id"])
    return hit


def recorded_hits() -> list[dict]:
    items = [orjson.loads(p.read_bytes()) for p in sorted(SHARED.glob("item_*.json"))] if SHARED.is_dir() else []
    return sorted((as_hit(i) for i in items), key=lambda h: h["created_at_i"], reverse=True)


HITS = recorded_hits()
pytestmark = pytest.mark.skipif(len(HITS) < 5, reason=f"recorded Hacker News items not found at {SHARED}")
NOW = datetime(2012, 1, 1, tzinfo=UTC)
FILTER = re.compile(r"created_at_i(<=|<|>=|>)(\d+)")


def algolia_app(requests: list) -> web.Application:
    async def search_by_date(request: web.Request) -> web.Response:
        requests.append(dict(request.query))
        hits = HITS
        for operator, value in FILTER.findall(request.query.get("numericFilters", "")):
            test = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}[operator]
            hits = [h for h in hits if test(h["created_at_i"], int(value))]
        per_page = int(request.query.get("hitsPerPage", 20))
        page = int(request.query.get("page", 0))
        shown = hits[page * per_page:(page + 1) * per_page]
        body = {"hits": shown, "nbHits": len(hits), "page": page, "nbPages": -(-len(hits) // per_page),
                "hitsPerPage": per_page, "query": request.query.get("query", "")}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/search_by_date", search_by_date)
    return app


def stream(base: str, since: datetime, per_page: int) -> Stream:
    return Stream("hackernews", "search:yc", f"{base}/api/v1/search_by_date",
                  {"query": "yc", "tags": "(story,comment)", "hitsPerPage": per_page,
                   "numericFilters": f"created_at_i>{int(since.timestamp())}", "page": 0}, hackernews_page)


def everything(mention, stream) -> bool:
    return True


async def test_backfill_sources_hackernews_pages_by_time_and_keeps_same_second_hits_once():
    requests: list = []
    since = datetime(2008, 1, 1, tzinfo=UTC)  # the 2007 story is older than the window
    async with serving(algolia_app(requests)) as base:
        http = PoliteClient(user_agent="veille-test", min_interval=0, max_retries=0)
        read, kept = await read_stream(http, stream(base, since, 2), since, everything, set(), now=NOW)
        await http.aclose()
    in_window = [h for h in HITS if h["created_at_i"] > since.timestamp()]
    assert sorted(m.native_id for m in kept) == sorted(h["objectID"] for h in in_window)
    assert read.ended == "end" and read.complete_from == since  # the server filters by time: an end is the end
    filters = [r["numericFilters"] for r in requests]
    assert filters[0] == f"created_at_i>{int(since.timestamp())}"
    # each next page asks for what is at or before the oldest hit of the one before: nothing between is lost
    assert filters[1] == f"created_at_i>{int(since.timestamp())},created_at_i<={in_window[1]['created_at_i']}"
    assert all(r["page"] == "0" for r in requests)  # by time, not page number: Algolia's 1,000-hit window is no limit
    assert len(requests) == len(in_window)  # one new hit a page after the first (the other is the repeated one)


def test_backfill_sources_hackernews_page_of_one_second_steps_past_it():
    second = 1_300_000_000
    hits = [{"objectID": str(n), "author": "a", "comment_text": f"c{n}", "created_at_i": second, "_tags": ["comment"]}
            for n in range(3)]
    body = orjson.dumps({"hits": hits})
    first = hackernews_page(body, {"hitsPerPage": 3, "numericFilters": "created_at_i>1"})
    assert first.next == {"numericFilters": f"created_at_i>1,created_at_i<={second}"}
    again = hackernews_page(body, {"hitsPerPage": 3, **first.next})
    assert again.next == {"numericFilters": f"created_at_i>1,created_at_i<{second}"}
    short = hackernews_page(orjson.dumps({"hits": hits[:2]}), {"hitsPerPage": 3})
    assert short.next is None and len(short.mentions) == 2


def test_backfill_sources_hackernews_page_refuses_what_is_not_an_algolia_answer():
    with pytest.raises(ValueError, match="not an Algolia"):
        hackernews_page((SHARED / "item_8863_story.json").read_bytes(), {"hitsPerPage": 100})
