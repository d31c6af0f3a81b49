"""What a source's account object says about its age and activity, as :class:`pipeline.mention.Author` fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.sources.text import as_int, parse_time


def account_facts(account: Mapping[str, Any], created: str, following: str, posts: str) -> dict[str, Any]:
    """``created_at``, ``following`` and ``posts`` of an author from the keys ``account`` names them under;
    a key the source left out stays unknown (None), not 0."""
    return {
        "created_at": parse_time(account.get(created)),
        "following": as_int(account.get(following)) if following in account else None,
        "posts": as_int(account.get(posts)) if posts in account else None,
    }
