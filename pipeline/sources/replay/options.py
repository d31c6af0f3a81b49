from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator

from pipeline.sources.options import SourceOptions


class ReplayOptions(SourceOptions):
    type: Literal["replay"]
    file: Path | None = None

    @model_validator(mode="after")
    def _needs_file(self) -> ReplayOptions:
        if self.file is None:
            raise ValueError(f"source {self.name}: a replay source needs 'file'")
        return self
