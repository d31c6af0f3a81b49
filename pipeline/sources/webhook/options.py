from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.sources.options import SourceOptions
from pipeline.sources.registry import webhook_providers

Provider = Literal[tuple(webhook_providers())]  # type: ignore[valid-type]


class WebhookOptions(SourceOptions):
    type: Literal["webhook"]
    provider: Provider | None = None
    path: str | None = None
    normalizer: str | None = Field(None, description="generic webhook: normaliser of the body (rss, reddit…) or 'mention'")

    @model_validator(mode="after")
    def _needs_provider(self) -> WebhookOptions:
        if self.provider is None:
            raise ValueError(f"source {self.name}: a webhook source needs 'provider' ({', '.join(webhook_providers())})")
        return self
