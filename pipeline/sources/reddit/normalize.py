"""Reddit API payloads to mentions.

Accepts listings (``{"kind": "Listing", "data": {"children": [...]}}``), the ``[submission listing,
comment listing]`` pair of ``/comments/<id>``, ``/api/morechildren`` (``{"json": {"data": {"things"}}}``),
single things (``{"kind": "t1"|"t3", "data": {...}}``), bare thing data, JSON lines, and PRAW/betamax
cassettes. Nested ``replies`` are walked. Ids are fullnames (``t3_abc``, ``t1_xyz``) so submissions and
comments never collide; a comment's ``parent_id`` and ``conversation_id`` (its submission) use them too.

Text is markdown; without ``raw_json=1`` Reddit escapes ``&``, ``<``, ``>`` as entities, so they are
unescaped. A body of ``[deleted]`` or ``[removed]`` is a deletion. A comment whose *author* deleted their account
but whose text is still there stays a mention (author ``[deleted]``): the words are still public.
"""

from __future__ import annotations

from datetime import datetime
from html import unescape
from typing import Any

from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document, is_truncated
from pipeline.sources.results import Collector, NormalizeResult
from pipeline.sources.text import as_int, as_str, join_text, parse_time, plain

REDDIT = "https://www.reddit.com"
_GONE = {"[deleted]", "[removed]"}
_THING_PREFIX = {"t1": "comment", "t3": "submission"}


def normalize_reddit(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    def each_document(collector: Collector, document: Document) -> None:
        if not document.context.get("uri", "").endswith("/access_token"):  # the OAuth exchange cassettes start with
            _walk(collector, document.data, document.ref, source_hint)

    return normalize_recording(Platform.reddit, payload, fetched_at, each_document)


def _walk(collector: Collector, data: Any, ref: str, hint: str | None) -> None:
    if isinstance(data, list):
        for n, item in enumerate(data):
            _walk(collector, item, f"{ref}[{n}]", hint)
        return
    if not isinstance(data, dict):
        if data not in ("", None):  # an empty "replies" is ""
            collector.reject(f"{ref}: expected a thing or listing, got {type(data).__name__}", data, ref)
        return
    if is_truncated(data) and "kind" in data and data.get("kind") not in ("Listing",):
        collector.reject("item cut off by a truncated payload", data, ref)
        return
    if "error" in data and "kind" not in data:
        collector.reject(f"API error: {data.get('message') or data.get('error')}", data, ref)
        return
    kind = data.get("kind")
    inner = data.get("data")
    if kind == "Listing" and isinstance(inner, dict):
        children = inner.get("children")
        for n, child in enumerate(children if isinstance(children, list) else []):
            _walk(collector, child, f"{ref}.children[{n}]", hint)
        return
    if isinstance(data.get("json"), dict):
        json_data = data["json"].get("data")
        things = json_data.get("things") if isinstance(json_data, dict) else None
        errors = data["json"].get("errors")
        if errors:
            collector.reject(f"API errors: {errors}", data, ref)
        _walk(collector, things or [], f"{ref}.things", hint)
        return
    if kind == "more":
        count = as_int(inner.get("count")) if isinstance(inner, dict) else 0
        collector.skip(f"'more' placeholder for {count} unexpanded comments (fetch /api/morechildren)", data, ref)
        return
    if isinstance(kind, str) and kind in _THING_PREFIX and isinstance(inner, dict):
        if is_truncated(inner):
            collector.reject("item cut off by a truncated payload", data, ref)
            return
        _thing(collector, kind, inner, ref, hint)
        return
    if isinstance(kind, str) and isinstance(inner, dict):
        collector.reject(f"{ref}: thing kind {kind!r} is not a comment or submission", data, ref)
        return
    if "body" in data or "selftext" in data or "title" in data:  # bare thing data (Pushshift, PRAW dicts)
        name = as_str(data.get("name")) or ""
        guessed = name[:2] if name[:2] in _THING_PREFIX else ("t1" if "body" in data else "t3")
        if is_truncated(data):
            collector.reject("item cut off by a truncated payload", data, ref)
            return
        _thing(collector, guessed, data, ref, hint)
        return
    if is_truncated(data):
        collector.reject("item cut off by a truncated payload", data, ref)
        return
    collector.reject(f"{ref}: not a Reddit listing or thing", data, ref)


def _thing(collector: Collector, kind: str, data: dict, ref: str, hint: str | None) -> None:
    short_id = as_str(data.get("id"))
    name = as_str(data.get("name")) or (f"{kind}_{short_id}" if short_id else None)
    if name is None:
        collector.reject(f"{_THING_PREFIX[kind]} without id or name", data, ref)
        return
    subreddit = as_str(data.get("subreddit"))
    author = as_str(data.get("author")) or "[deleted]"
    author_block = {"id": as_str(data.get("author_fullname")) or author, "handle": author}
    permalink = as_str(data.get("permalink"))
    url = f"{REDDIT}{permalink}" if permalink and permalink.startswith("/") else permalink
    source = hint or (f"r/{subreddit}" if subreddit else "reddit")
    created = parse_time(data.get("created_utc")) or parse_time(data.get("created"))
    if kind == "t1":
        body = data.get("body")
        if isinstance(body, str) and body in _GONE:
            collector.deleted(name, f"comment {body.strip('[]')}", data)
            return
        replies = data.get("replies")
        replies_data = replies.get("data") if isinstance(replies, dict) else None
        children = replies_data.get("children") if isinstance(replies_data, dict) else None
        reply_count = len(children) if isinstance(children, list) else 0
        parent = as_str(data.get("parent_id"))
        link = as_str(data.get("link_id"))
        if url is None and link and short_id:
            url = f"{REDDIT}/comments/{link.removeprefix('t3_')}/_/{short_id}/"
        collector.add(
            data,
            native_id=name,
            source=source,
            author=author_block,
            text=unescape(plain(body)),
            url=url,
            created_at=created,
            metrics={"likes": as_int(data.get("score", data.get("ups"))), "replies": reply_count},
            parent_id=collector.mention_id(parent) if parent else None,
            conversation_id=collector.mention_id(link) if link else None,
        )
        if isinstance(replies, (dict, list)):
            _walk(collector, replies, f"{ref}.replies", hint)
        return
    selftext = data.get("selftext")
    title = unescape(plain(data.get("title")))
    if isinstance(selftext, str) and selftext in _GONE and (data.get("removed_by_category") or author == "[deleted]"):
        collector.deleted(name, f"submission {selftext.strip('[]')}", data)
        return
    link_url = as_str(data.get("url"))
    is_self = bool(data.get("is_self"))
    body = unescape(plain(selftext)) if isinstance(selftext, str) and selftext not in _GONE else ""
    collector.add(
        data,
        native_id=name,
        source=source,
        author=author_block,
        title=title or None,
        text=join_text(title, body) or (link_url if not is_self else "") or "",
        url=url or link_url,
        created_at=created,
        metrics={
            "likes": as_int(data.get("score", data.get("ups"))),
            "replies": as_int(data.get("num_comments")),
            "shares": as_int(data.get("num_crossposts")),
        },
    )
