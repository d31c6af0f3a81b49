"""Reddit: new posts and new comments of subreddits, and site-wide searches (newest first).

Each listing is read page by page (``after``) until it reaches what the previous poll already saw
(its newest ``created_utc``, kept in the checkpoint), at most ``MAX_PAGES`` pages. With
``VEILLE_REDDIT_CLIENT_ID``/``_SECRET`` the OAuth API is used (application-only token, renewed when it
expires); without, the public ``.json`` endpoints. Either way a descriptive User-Agent is sent and
Reddit's ``X-Ratelimit-*`` headers pace the requests.
"""

from __future__ import annotations

import time
from datetime import datetime

import orjson

from pipeline.sources.http import FetchError
from pipeline.sources.reddit.normalize import normalize_reddit
from pipeline.sources.reddit.options import RedditOptions
from pipeline.sources.runtime import LiveConnector
from pipeline.timestamps import utc_now

PAGE = 100
MAX_PAGES = 10
PUBLIC_BASE = "https://www.reddit.com"
OAUTH_BASE = "https://oauth.reddit.com"


def listing_after(payload: bytes) -> str | None:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    after = data.get("data", {}).get("after") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None
    return after if isinstance(after, str) and after else None


class RedditConnector(LiveConnector):
    type = "reddit"
    spec: RedditOptions

    def __init__(self, spec, context):
        super().__init__(spec, context)
        oauth = bool(self.settings.reddit.client_id and self.settings.reddit.client_secret)
        self.oauth = oauth
        self.base_url = (spec.base_url or (OAUTH_BASE if oauth else PUBLIC_BASE)).rstrip("/")
        self.token_url = f"{(spec.base_url or PUBLIC_BASE).rstrip('/')}/api/v1/access_token"
        self._token: str | None = None
        self._token_expires = 0.0

    def searches(self) -> list[str]:
        return list(self.spec.searches) if self.spec.searches is not None else self.watches.keywords_for(self.name)

    def streams(self) -> list[str]:
        streams = []
        for sub in self.spec.subreddits:
            sub = sub.removeprefix("r/")
            streams.append(f"r/{sub}/new")
            if self.spec.comments:
                streams.append(f"r/{sub}/comments")
        streams.extend(f"search:{q}" for q in self.searches())
        return streams

    def _endpoint(self, stream: str) -> tuple[str, dict]:
        suffix = "" if self.oauth else ".json"
        if stream.startswith("search:"):
            return f"{self.base_url}/search{suffix}", {"q": stream[7:], "sort": "new", "limit": PAGE, "raw_json": 1}
        return f"{self.base_url}/{stream}{suffix}", {"limit": PAGE, "raw_json": 1}

    async def _headers(self) -> dict[str, str]:
        if not self.oauth:
            return {}
        if self._token is None or time.monotonic() > self._token_expires - 60:
            secret = self.settings.reddit.client_secret.get_secret_value()  # type: ignore[union-attr]
            response = await self.http.request("POST", self.token_url, data={"grant_type": "client_credentials"},
                                               auth=(self.settings.reddit.client_id, secret))
            try:
                token = orjson.loads(response.body)
                self._token = token["access_token"]
                self._token_expires = time.monotonic() + float(token.get("expires_in", 3600))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                raise FetchError("Reddit token endpoint answered without an access_token", url=self.token_url) from None
        return {"Authorization": f"bearer {self._token}"}

    async def poll_stream(self, stream: str) -> None:
        url, params = self._endpoint(stream)
        seen_until = self.cursors.get(stream, {}).get("newest")
        newest: datetime | None = None
        after = None
        for _ in range(MAX_PAGES):
            page = await self.http.get(url, params={**params, **({"after": after} if after else {})},
                                       headers=await self._headers())
            hint = stream.split("/")[0] + "/" + stream.split("/")[1] if stream.startswith("r/") else None
            result = normalize_reddit(page.body, source_hint=hint, fetched_at=utc_now())
            outcome = await self.emit(result, payload=page.body, where=f"{url} ({stream})")
            if outcome.newest and (newest is None or outcome.newest > newest):
                newest = outcome.newest
            after = listing_after(page.body)
            reached_known = outcome.oldest is None or (seen_until is not None and outcome.oldest.timestamp() <= seen_until)
            if seen_until is None or reached_known or after is None:
                break  # first run reads one page; later runs stop where the last poll was
        if newest is not None:
            previous = seen_until or 0
            self.cursors[stream] = {"newest": max(previous, newest.timestamp())}
