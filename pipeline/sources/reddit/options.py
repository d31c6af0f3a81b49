from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.sources.options import SearchTerms, SourceOptions


class RedditOptions(SourceOptions):
    type: Literal["reddit"]
    subreddits: list[str] = Field(default_factory=list)
    comments: bool = True
    searches: SearchTerms = None
