from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.sources.options import SourceOptions


class RssOptions(SourceOptions):
    type: Literal["rss"]
    feeds: list[str] = Field(default_factory=list, description="RSS, Atom or JSON Feed URLs")

    @model_validator(mode="after")
    def _needs_feeds(self) -> RssOptions:
        if not self.feeds:
            raise ValueError(f"source {self.name}: an rss source needs 'feeds'")
        return self
