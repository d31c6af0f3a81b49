"""X (Account Activity API) normaliser: what a tweet's user object says about the account."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from pipeline.sources.x.normalize import normalize_x_activity


def _tweet(user: dict) -> bytes:
    return orjson.dumps({"for_user_id": "1", "tweet_create_events": [{
        "id_str": "1790", "created_at": "Fri Nov 20 08:00:00 +0000 2026", "text": "Ma Lumio ne se connecte plus",
        "user": user}]})


def test_normalize_x_author_account_age_following_and_posts():
    mention, = normalize_x_activity(_tweet({
        "id_str": "5", "screen_name": "jo", "followers_count": 3, "friends_count": 1800, "statuses_count": 4200,
        "created_at": "Wed Nov 18 10:00:00 +0000 2026"})).mentions
    assert mention.author.followers == 3
    assert mention.author.created_at == datetime(2026, 11, 18, 10, tzinfo=UTC)
    assert (mention.author.following, mention.author.posts) == (1800, 4200)


def test_normalize_x_author_facts_left_out_stay_unknown():
    mention, = normalize_x_activity(_tweet({"id_str": "5", "screen_name": "jo"})).mentions
    assert (mention.author.created_at, mention.author.following, mention.author.posts) == (None, None, None)
