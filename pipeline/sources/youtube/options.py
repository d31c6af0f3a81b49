from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.sources.options import SearchTerms, SourceOptions


class YouTubeOptions(SourceOptions):
    type: Literal["youtube"]
    videos: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    searches: SearchTerms = None

    @model_validator(mode="after")
    def _needs_videos_or_channels(self) -> YouTubeOptions:
        if not (self.videos or self.channels):
            raise ValueError(f"source {self.name}: a youtube source needs 'videos' or 'channels'")
        return self
