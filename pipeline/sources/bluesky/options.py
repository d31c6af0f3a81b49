from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.sources.options import SourceOptions


class BlueskyOptions(SourceOptions):
    type: Literal["bluesky"]
    collections: list[str] = Field(default_factory=lambda: ["app.bsky.feed.post"])
