"""What every source of watches.yaml has; each source's ``options.py`` adds its own options to it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class SourceOptions(BaseModel):
    """One source to follow. An option its type does not have is refused, so a misspelt option is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="connector name: checkpoints and status use it")
    type: str
    base_url: str | None = Field(None, description="API root; defaults to the public service")
    poll_seconds: float | None = Field(None, gt=0, description="seconds between polls (polling sources)")
    owned: bool = Field(False, description="every item belongs to the watches following this source")
    enabled: bool = True


# Search terms of a searching source; None: the keywords of the watches following it.
SearchTerms = Annotated[list[str] | None, Field(None, description="search terms; default: the watches' keywords")]
