from __future__ import annotations

from typing import Literal

from pipeline.sources.options import SearchTerms, SourceOptions


class MastodonOptions(SourceOptions):
    type: Literal["mastodon"]
    hashtags: list[str] | None = None
    stream: Literal["none", "public", "hashtag"] = "none"
    searches: SearchTerms = None
