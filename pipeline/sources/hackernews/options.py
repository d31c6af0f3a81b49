from __future__ import annotations

from typing import Literal

from pipeline.sources.options import SearchTerms, SourceOptions


class HackerNewsOptions(SourceOptions):
    type: Literal["hackernews"]
    searches: SearchTerms = None
