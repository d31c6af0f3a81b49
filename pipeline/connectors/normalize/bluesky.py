"""Bluesky (AT Protocol) payloads to mentions.

Accepts Jetstream events (JSON lines, ``{"did", "time_us", "kind": "commit", "commit": {...}}``), and
AppView responses: ``searchPosts`` / ``getPosts`` (``posts``), feeds and timelines (``feed[].post``),
``getPostThread`` (``thread`` with ``parent`` and ``replies``), ``listNotifications``, a single post view,
and ``com.atproto.repo`` records (``{"uri", "value"}``). Only ``app.bsky.feed.post`` records are mentions;
likes, follows, profiles, identity and account events are rejected with that reason; a post ``delete``
commit is a deletion. The native id is the post's ``at://`` URI, the one replies point to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.connectors.normalize.common import (
    Collector,
    NormalizeResult,
    as_int,
    as_str,
    is_truncated,
    join_text,
    load_recording,
    parse_time,
    plain,
    run,
)
from pipeline.mention import Platform

POST = "app.bsky.feed.post"
DEFAULT_SOURCE = "bsky.app"
_TEXT_NOTIFICATIONS = {"mention", "reply", "quote"}


def normalize_bluesky(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    def body(collector: Collector) -> None:
        documents, rejects = load_recording(payload)
        collector.add_rejects(rejects)
        for document in documents:
            _walk(collector, document.data, document.ref, source_hint or DEFAULT_SOURCE)

    return run(Platform.bluesky, payload, fetched_at, body)


def _walk(collector: Collector, data: Any, ref: str, source: str) -> None:
    if isinstance(data, list):
        for n, item in enumerate(data):
            _walk(collector, item, f"{ref}[{n}]", source)
        return
    if not isinstance(data, dict):
        collector.reject(f"{ref}: expected a JSON object, got {type(data).__name__}", data, ref)
        return
    if "kind" in data and "did" in data:
        _jetstream_event(collector, data, ref, source)
        return
    if is_truncated(data) and not any(k in data for k in ("posts", "feed", "notifications", "records")):
        collector.reject("item cut off by a truncated payload", data, ref)
        return
    if "error" in data and "message" in data:
        collector.reject(f"XRPC error {data['error']}: {data['message']}", data, ref)
        return
    for key in ("posts", "feed", "notifications", "records"):
        if isinstance(data.get(key), list):
            for n, item in enumerate(data[key]):
                _walk(collector, item, f"{ref}.{key}[{n}]", source)
            return
    if isinstance(data.get("thread"), dict):
        _thread(collector, data["thread"], f"{ref}.thread", source)
        return
    if isinstance(data.get("post"), dict):  # a feed view item: {"post", "reply", "reason"}
        _post_view(collector, data["post"], f"{ref}.post", source)
        return
    if "reason" in data and "record" in data:
        reason = as_str(data.get("reason"))
        if reason in _TEXT_NOTIFICATIONS:
            _post_view(collector, data, ref, source)
        else:
            collector.reject(f"notification {reason!r} carries no new post", data, ref)
        return
    if "uri" in data and ("record" in data or "value" in data):
        _post_view(collector, data, ref, source)
        return
    if data.get("$type") == "com.atproto.sync.subscribeRepos#commit" or ("ops" in data and "repo" in data):
        collector.reject("raw firehose commit: records are in CAR blocks; use Jetstream JSON", data, ref)
        return
    collector.reject(f"{ref}: not a Jetstream event, post view or AppView response", data, ref)


def _jetstream_event(collector: Collector, event: dict, ref: str, source: str) -> None:
    kind = as_str(event.get("kind"))
    did = as_str(event.get("did"))
    commit = event.get("commit")
    if kind != "commit":
        collector.reject(f"{kind} event: not a post", event, ref)
        return
    if not isinstance(commit, dict) or is_truncated(commit) or is_truncated(event):
        collector.reject("commit event without a complete commit", event, ref)
        return
    collection = as_str(commit.get("collection"))
    operation = as_str(commit.get("operation"))
    rkey = as_str(commit.get("rkey"))
    if collection != POST:
        collector.reject(f"{operation} of {collection}: not a post", event, ref)
        return
    if not did or not rkey:
        collector.reject("post commit without did or rkey", event, ref)
        return
    uri = f"at://{did}/{POST}/{rkey}"
    if operation == "delete":
        collector.deleted(uri, "post deleted (delete commit)", event)
        return
    record = commit.get("record")
    if not isinstance(record, dict):
        collector.reject(f"post {operation} without a record", event, collector.mention_id(uri))
        return
    _add_post(
        collector,
        event,
        uri=uri,
        did=did,
        author={"id": did},
        record=record,
        source=source,
        fallback_time=event.get("time_us"),
    )


def _thread(collector: Collector, thread: dict, ref: str, source: str) -> None:
    kind = as_str(thread.get("$type")) or ""
    if thread.get("notFound") or kind.endswith("#notFoundPost"):
        collector.deleted(as_str(thread.get("uri")) or "?", "post not found (deleted)", thread)
        return
    if thread.get("blocked") or kind.endswith("#blockedPost"):
        collector.reject("post blocked", thread, ref)
        return
    if isinstance(thread.get("parent"), dict):
        _thread(collector, thread["parent"], f"{ref}.parent", source)
    if isinstance(thread.get("post"), dict):
        _post_view(collector, thread["post"], f"{ref}.post", source)
    for n, reply in enumerate(thread.get("replies") or []):
        if isinstance(reply, dict):
            _thread(collector, reply, f"{ref}.replies[{n}]", source)


def _post_view(collector: Collector, view: dict, ref: str, source: str) -> None:
    if is_truncated(view):
        collector.reject("item cut off by a truncated payload", view, ref)
        return
    uri = as_str(view.get("uri"))
    record = view.get("record") if isinstance(view.get("record"), dict) else view.get("value")
    if uri is None:
        collector.reject("post without uri", view, ref)
        return
    if f"/{POST}/" not in uri:
        collector.reject(f"record {uri} is not a post", view, ref)
        return
    if not isinstance(record, dict):
        collector.reject("post view without record", view, collector.mention_id(uri))
        return
    did = uri.removeprefix("at://").split("/", 1)[0]
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    followers = author.get("followersCount")
    _add_post(
        collector,
        view,
        uri=uri,
        did=did,
        author={
            "id": as_str(author.get("did")) or did,
            "handle": as_str(author.get("handle")),
            "name": as_str(author.get("displayName")),
            "followers": as_int(followers) if followers is not None else None,
        },
        record=record,
        source=source,
        fallback_time=view.get("indexedAt"),
        metrics={
            "likes": as_int(view.get("likeCount")),
            "shares": as_int(view.get("repostCount")) + as_int(view.get("quoteCount")),
            "replies": as_int(view.get("replyCount")),
        },
    )


def _add_post(
    collector: Collector,
    raw: Any,
    *,
    uri: str,
    did: str,
    author: dict,
    record: dict,
    source: str,
    fallback_time: Any,
    metrics: dict | None = None,
) -> None:
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent = as_str((reply.get("parent") or {}).get("uri")) if isinstance(reply.get("parent"), dict) else None
    root = as_str((reply.get("root") or {}).get("uri")) if isinstance(reply.get("root"), dict) else None
    langs = record.get("langs")
    language = as_str(langs[0]) if isinstance(langs, list) and langs else None
    rkey = uri.rsplit("/", 1)[-1]
    collector.add(
        raw,
        native_id=uri,
        source=source,
        author=author,
        text=plain(record.get("text")) or _embed_text(record.get("embed")),
        language=language[:16] if language else None,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        created_at=parse_time(record.get("createdAt")) or parse_time(fallback_time),
        metrics=metrics or {},
        parent_id=collector.mention_id(parent) if parent else None,
        conversation_id=collector.mention_id(root) if root else None,
    )


def _embed_text(embed: Any) -> str:
    """Text of a post that has none of its own: the link card or the images' alt text."""
    if not isinstance(embed, dict):
        return ""
    external = embed.get("external")
    if isinstance(external, dict):
        return join_text(plain(external.get("title")), plain(external.get("description")))
    images = embed.get("images")
    if isinstance(images, list):
        return join_text(*(plain(i.get("alt")) for i in images if isinstance(i, dict)))
    media = embed.get("media")
    return _embed_text(media) if isinstance(media, dict) else ""
