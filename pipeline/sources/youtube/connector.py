"""YouTube comment threads (Data API v3 ``commentThreads``, ``order=time``) of videos and of everything
related to channels, with their replies, paged with ``pageToken`` until the previous poll's newest
comment. Needs ``VEILLE_YOUTUBE_API_KEY`` (sent as ``key``, never logged). Quota errors (403
``quotaExceeded``) are reported in ``veille status`` and retried at the next poll."""

from __future__ import annotations

import orjson

from pipeline.sources.http import FetchError
from pipeline.sources.runtime import LiveConnector
from pipeline.sources.youtube.normalize import normalize_youtube
from pipeline.sources.youtube.options import YouTubeOptions
from pipeline.timestamps import utc_now

PAGE = 100
MAX_PAGES = 10


def next_page_token(payload: bytes) -> str | None:
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    token = data.get("nextPageToken") if isinstance(data, dict) else None
    return token if isinstance(token, str) and token else None


class YouTubeConnector(LiveConnector):
    type = "youtube"
    spec: YouTubeOptions
    default_base_url = "https://www.googleapis.com/youtube/v3"

    def streams(self) -> list[str]:
        return [f"video:{v}" for v in self.spec.videos] + [f"channel:{c}" for c in self.spec.channels]

    async def poll_stream(self, stream: str) -> None:
        key = self.settings.youtube.api_key
        if key is None:
            raise FetchError("VEILLE_YOUTUBE_API_KEY is not set", url=self.base_url)
        kind, _, target = stream.partition(":")
        params = {"part": "snippet,replies", "order": "time", "maxResults": PAGE, "textFormat": "plainText",
                  "key": key.get_secret_value(),
                  "videoId" if kind == "video" else "allThreadsRelatedToChannelId": target}
        if self.spec.searches:
            params["searchTerms"] = " ".join(self.spec.searches)
        url = f"{self.base_url}/commentThreads"
        seen_until = self.cursors.get(stream, {}).get("newest")
        newest = seen_until or 0.0
        token = None
        for _ in range(MAX_PAGES):
            response = await self.http.get(url, params={**params, **({"pageToken": token} if token else {})})
            hint = f"youtube:video:{target}" if kind == "video" else f"youtube:channel:{target}"
            result = normalize_youtube(response.body, source_hint=hint, fetched_at=utc_now())
            outcome = await self.emit(result, payload=response.body, where=f"{url} ({stream})")
            if outcome.newest:
                newest = max(newest, outcome.newest.timestamp())
            token = next_page_token(response.body)
            reached_known = outcome.oldest is None or (seen_until is not None and outcome.oldest.timestamp() <= seen_until)
            if seen_until is None or reached_known or token is None:
                break
        if newest:
            self.cursors[stream] = {"newest": newest}
