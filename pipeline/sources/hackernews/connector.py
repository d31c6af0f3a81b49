"""Hacker News through the Algolia search API: stories and comments matching each search term, newest
first, from the last creation time seen (``numericFilters=created_at_i>…``), every page of it."""

from __future__ import annotations

import orjson

from pipeline.sources.hackernews.normalize import normalize_hackernews
from pipeline.sources.hackernews.options import HackerNewsOptions
from pipeline.sources.runtime import LiveConnector
from pipeline.timestamps import utc_now

PAGE = 100
MAX_PAGES = 20


def page_count(payload: bytes) -> int:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return 0
    pages = data.get("nbPages") if isinstance(data, dict) else None
    return pages if isinstance(pages, int) else 0


class HackerNewsConnector(LiveConnector):
    type = "hackernews"
    spec: HackerNewsOptions
    default_base_url = "https://hn.algolia.com"

    def searches(self) -> list[str]:
        return list(self.spec.searches) if self.spec.searches is not None else self.watches.keywords_for(self.name)

    def streams(self) -> list[str]:
        return [f"search:{q}" for q in self.searches()]

    async def poll_stream(self, stream: str) -> None:
        query = stream.removeprefix("search:")
        url = f"{self.base_url}/api/v1/search_by_date"
        since = self.cursors.get(stream, {}).get("created_at_i")
        params = {"query": query, "tags": "(story,comment)", "hitsPerPage": PAGE}
        if since:
            params["numericFilters"] = f"created_at_i>={int(since)}"  # >=: same-second hits; dedup drops repeats
        newest = since or 0
        for page in range(MAX_PAGES if since else 1):
            response = await self.http.get(url, params={**params, "page": page})
            result = normalize_hackernews(response.body, fetched_at=utc_now())
            outcome = await self.emit(result, payload=response.body, where=f"{url} ({stream})")
            if outcome.newest:
                newest = max(newest, int(outcome.newest.timestamp()))
            if page + 1 >= page_count(response.body):
                break
        if newest:
            self.cursors[stream] = {"created_at_i": newest}
