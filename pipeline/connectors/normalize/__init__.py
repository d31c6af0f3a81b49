"""Source normalisers: one recorded API response or event payload in, :class:`Mention` objects out.

Each ``normalize_<source>(payload: bytes, *, source_hint=None, fetched_at=None)`` is a pure function
shared by ``veille normalize`` and the live connectors. ``source_hint`` names where the payload came
from (feed URL, instance, subreddit, page id) when the payload itself does not say; ``fetched_at``
becomes the mention's ``fetched_at`` and the creation date of items that carry none.
"""

from __future__ import annotations

from pipeline.connectors.normalize.bluesky import normalize_bluesky
from pipeline.connectors.normalize.common import Normalizer, NormalizeResult, Reject
from pipeline.connectors.normalize.facebook import normalize_facebook
from pipeline.connectors.normalize.hackernews import normalize_hackernews
from pipeline.connectors.normalize.mastodon import normalize_mastodon
from pipeline.connectors.normalize.reddit import normalize_reddit
from pipeline.connectors.normalize.rss import normalize_rss
from pipeline.connectors.normalize.youtube import normalize_youtube

NORMALIZERS: dict[str, Normalizer] = {
    "rss": normalize_rss,
    "mastodon": normalize_mastodon,
    "bluesky": normalize_bluesky,
    "reddit": normalize_reddit,
    "hackernews": normalize_hackernews,
    "youtube": normalize_youtube,
    "facebook": normalize_facebook,
}

__all__ = [
    "NORMALIZERS",
    "NormalizeResult",
    "Normalizer",
    "Reject",
    "normalize_bluesky",
    "normalize_facebook",
    "normalize_hackernews",
    "normalize_mastodon",
    "normalize_reddit",
    "normalize_rss",
    "normalize_youtube",
]
