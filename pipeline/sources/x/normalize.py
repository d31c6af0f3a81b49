"""X (Twitter) Account Activity webhook events to mentions: ``tweet_create_events`` become mentions
(the full text of extended tweets; retweets give the retweeted post), ``tweet_delete_events`` become
deletions, other event kinds (favorites, follows, direct messages) carry no public text and are skipped.
Built on the normalisers' :class:`Collector`, so it validates and rejects exactly as they do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.authors.facts import account_facts
from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document
from pipeline.sources.results import Collector, NormalizeResult
from pipeline.sources.text import as_int, as_str, parse_time, plain

_SKIPPED_EVENTS = ("favorite_events", "follow_events", "unfollow_events", "block_events", "unblock_events",
                   "mute_events", "unmute_events", "direct_message_events", "direct_message_indicate_typing_events",
                   "direct_message_mark_read_events", "user_event", "users", "apps")


def normalize_x_activity(payload: bytes, *, source_hint: str | None = None,
                         fetched_at: datetime | None = None) -> NormalizeResult:
    def each_document(collector: Collector, document: Document) -> None:
        data = document.data
        if not isinstance(data, dict):
            collector.reject(f"{document.ref}: expected an Account Activity event object", data, document.ref)
            return
        source = source_hint or (f"x:user:{data['for_user_id']}" if data.get("for_user_id") else "x:webhook")
        events = data.get("tweet_create_events")
        deletions = data.get("tweet_delete_events")
        if not isinstance(events, list) and not isinstance(deletions, list):
            if not any(key in data for key in _SKIPPED_EVENTS):
                collector.reject(f"{document.ref}: no tweet_create_events or tweet_delete_events", data, document.ref)
            return
        for n, tweet in enumerate(events or []):
            _tweet(collector, tweet, f"{document.ref}.tweet_create_events[{n}]", source)
        for n, deletion in enumerate(deletions or []):
            status = deletion.get("status") if isinstance(deletion, dict) else None
            native_id = as_str(status.get("id")) if isinstance(status, dict) else None
            if native_id:
                collector.deleted(native_id, "post deleted (tweet_delete_events)", deletion)
            else:
                collector.reject("delete event without status id", deletion, f"tweet_delete_events[{n}]")

    return normalize_recording(Platform.twitter, payload, fetched_at, each_document)


def _tweet(collector: Collector, tweet: Any, ref: str, source: str) -> None:
    if not isinstance(tweet, dict):
        collector.reject(f"{ref}: expected a tweet object", tweet, ref)
        return
    if isinstance(tweet.get("retweeted_status"), dict):
        _tweet(collector, tweet["retweeted_status"], f"{ref}.retweeted_status", source)
        return
    native_id = as_str(tweet.get("id_str")) or as_str(tweet.get("id"))
    user = tweet.get("user") if isinstance(tweet.get("user"), dict) else {}
    extended = tweet.get("extended_tweet") if isinstance(tweet.get("extended_tweet"), dict) else {}
    text = plain(extended.get("full_text") or tweet.get("full_text") or tweet.get("text"))
    handle = as_str(user.get("screen_name"))
    reply_to = as_str(tweet.get("in_reply_to_status_id_str"))
    collector.add(
        tweet,
        native_id=native_id,
        source=source,
        author={"id": as_str(user.get("id_str")) or as_str(user.get("id")), "handle": handle,
                "name": as_str(user.get("name")),
                "followers": as_int(user.get("followers_count")) if "followers_count" in user else None,
                **account_facts(user, "created_at", "friends_count", "statuses_count")},
        text=text,
        language=as_str(tweet.get("lang")) if tweet.get("lang") not in ("und", None) else None,
        url=f"https://x.com/{handle}/status/{native_id}" if handle and native_id else None,
        created_at=parse_time(tweet.get("timestamp_ms")) or parse_time(tweet.get("created_at")),
        metrics={"likes": as_int(tweet.get("favorite_count")), "shares": as_int(tweet.get("retweet_count")),
                 "replies": as_int(tweet.get("reply_count"))},
        parent_id=collector.mention_id(reply_to) if reply_to else None,
    )
