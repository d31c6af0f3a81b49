"""The sources Veille reads, one entry each. Everything that lists sources is derived from here: the
``Platform`` values of :mod:`pipeline.mention`, ``veille normalize --source``, the watches.yaml source
types and their options, the live connectors the runner builds and the webhook providers.

An entry names the parts of its folder ``pipeline/sources/<name>/``:

- ``normalizer``: the function of ``normalize.py`` (recorded payload -> mentions and rejects);
  the source becomes a choice of ``veille normalize --source``;
- ``connector`` and ``options``: the live connector class of ``connector.py`` and the watches.yaml
  options model of ``options.py`` (whose ``type`` is the source's name);
- ``webhook``: the :class:`~pipeline.sources.webhook.provider.WebhookProvider` of ``webhook.py``,
  for a platform that pushes its events to the webhook receiver.

This module imports no part at load time (the parts import :mod:`pipeline.mention`, which reads
:data:`PLATFORMS` from here); the functions below import them on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.sources.options import SourceOptions
    from pipeline.sources.results import Normalizer
    from pipeline.sources.runtime import LiveConnector
    from pipeline.sources.webhook.provider import WebhookProvider


@dataclass(frozen=True)
class Source:
    name: str
    platforms: tuple[str, ...] = ()  # the Platform values of the mentions its normaliser makes
    normalizer: str | None = None
    connector: str | None = None
    options: str | None = None
    webhook: str | None = None


SOURCES: tuple[Source, ...] = (
    Source("x", platforms=("twitter",), normalizer="normalize_x_activity", webhook="X_WEBHOOK"),
    Source("facebook", platforms=("facebook", "instagram"), normalizer="normalize_facebook", webhook="META_WEBHOOK"),
    Source("mastodon", platforms=("mastodon",), normalizer="normalize_mastodon", connector="MastodonConnector",
           options="MastodonOptions"),
    Source("bluesky", platforms=("bluesky",), normalizer="normalize_bluesky", connector="JetstreamConnector",
           options="BlueskyOptions"),
    Source("reddit", platforms=("reddit",), normalizer="normalize_reddit", connector="RedditConnector",
           options="RedditOptions"),
    Source("hackernews", platforms=("hackernews",), normalizer="normalize_hackernews", connector="HackerNewsConnector",
           options="HackerNewsOptions"),
    Source("youtube", platforms=("youtube",), normalizer="normalize_youtube", connector="YouTubeConnector",
           options="YouTubeOptions"),
    Source("rss", platforms=("rss",), normalizer="normalize_rss", connector="FeedConnector", options="RssOptions"),
    # Sources of mentions normalised elsewhere (signed generic webhooks, a JSON-lines file): any platform.
    Source("webhook", connector="WebhookConnector", options="WebhookOptions"),
    Source("replay", connector="ReplaySource", options="ReplayOptions"),
)

# Platforms no source here reads, for mentions that arrive already normalised (generic webhooks, replay).
OTHER_PLATFORMS: tuple[str, ...] = ("blog", "forum", "news", "webhook", "other")

PLATFORMS: tuple[str, ...] = tuple(dict.fromkeys(p for s in SOURCES for p in s.platforms)) + OTHER_PLATFORMS

SOURCE_TYPES: tuple[str, ...] = tuple(s.name for s in SOURCES if s.connector)  # watches.yaml `type:`


def _part(source: Source, module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(f"pipeline.sources.{source.name}.{module}"), attribute)


@cache
def normalizers() -> dict[str, Normalizer]:
    """``veille normalize --source`` name -> normaliser."""
    return {s.name: _part(s, "normalize", s.normalizer) for s in SOURCES if s.normalizer}


@cache
def connector_types() -> dict[str, type[LiveConnector]]:
    """watches.yaml source ``type`` -> the live connector class the runner builds for it."""
    return {s.name: _part(s, "connector", s.connector) for s in SOURCES if s.connector}


@cache
def options_models() -> tuple[type[SourceOptions], ...]:
    """The watches.yaml options model of each source type (each fixes ``type`` to its source's name)."""
    return tuple(_part(s, "options", s.options) for s in SOURCES if s.connector and s.options)


@cache
def webhook_providers() -> dict[str, WebhookProvider]:
    """watches.yaml webhook ``provider`` -> how its calls are verified and normalised ("generic" included)."""
    from pipeline.sources.webhook.provider import GENERIC

    providers = [_part(s, "webhook", s.webhook) for s in SOURCES if s.webhook]
    return {p.name: p for p in (*providers, GENERIC)}
