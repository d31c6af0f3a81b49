"""Hacker News payloads to mentions.

Accepts Firebase API items (``/v0/item/<id>.json``: story, comment, ask, job, poll, pollopt), a list or
JSON lines of items, and Algolia search responses (``{"hits": [...]}`` from hn.algolia.com/api/v1).
Deleted and dead items are deletions; id lists (``topstories``, ``updates``) and users are rejected
with the reason that they carry no text to normalise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document, is_truncated
from pipeline.sources.results import Collector, NormalizeResult
from pipeline.sources.text import as_int, as_str, html_to_text, join_text, parse_time

HN_SITE = "news.ycombinator.com"
_ITEM_TYPES = {"story", "comment", "job", "poll", "pollopt"}


def normalize_hackernews(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    def each_document(collector: Collector, document: Document) -> None:
        _walk(collector, document.data, document.ref, source_hint or HN_SITE)

    return normalize_recording(Platform.hackernews, payload, fetched_at, each_document)


def _walk(collector: Collector, data: Any, ref: str, source: str) -> None:
    if isinstance(data, list):
        if data and all(isinstance(x, int) for x in data):
            collector.reject(f"{ref}: a list of {len(data)} item ids, not items (fetch /v0/item/<id>.json)", data, ref)
            return
        for n, item in enumerate(data):
            _walk(collector, item, f"{ref}[{n}]", source)
        return
    if isinstance(data, int):
        collector.reject(f"{ref}: a bare item id (maxitem?), not an item", data, ref)
        return
    if not isinstance(data, dict):
        collector.reject(f"{ref}: expected an item object, got {type(data).__name__}", data, ref)
        return
    hits = data.get("hits")
    if isinstance(hits, list):
        for n, hit in enumerate(hits):
            _algolia_hit(collector, hit, f"{ref}.hits[{n}]", source)
        return
    if "objectID" in data:
        _algolia_hit(collector, data, ref, source)
        return
    if "items" in data and "profiles" in data:
        collector.reject(f"{ref}: an updates list (changed item ids and profiles), not items", data, ref)
        return
    if "karma" in data or ("submitted" in data and "type" not in data):
        collector.reject(f"{ref}: a user profile, not an item", data, ref)
        return
    _item(collector, data, ref, source)


def _item(collector: Collector, item: dict, ref: str, source: str) -> None:
    if is_truncated(item):
        collector.reject("item cut off by a truncated payload", item, ref)
        return
    native_id = as_str(item.get("id"))
    if native_id is None:
        collector.reject("item without id", item, ref)
        return
    kind = as_str(item.get("type")) or "unknown"
    if item.get("deleted"):
        collector.deleted(native_id, f"{kind} deleted", item)
        return
    if item.get("dead"):
        collector.deleted(native_id, f"{kind} dead (flagged or killed by moderators)", item)
        return
    if kind not in _ITEM_TYPES:
        collector.reject(f"unknown item type {kind!r}", item, collector.mention_id(native_id))
        return
    title = html_to_text(as_str(item.get("title"))) or None
    body = html_to_text(item.get("text") if isinstance(item.get("text"), str) else None)
    parent = as_str(item.get("parent")) or as_str(item.get("poll"))
    kids = item.get("kids") if isinstance(item.get("kids"), list) else []
    _add(
        collector,
        item,
        native_id,
        source,
        username=as_str(item.get("by")),
        title=title,
        text=join_text(title, body) or as_str(item.get("url")) or "",
        created_at=parse_time(item.get("time")),
        metrics={"likes": as_int(item.get("score")), "replies": as_int(item.get("descendants", len(kids)))},
        parent_id=collector.mention_id(parent) if parent else None,
    )


def _algolia_hit(collector: Collector, hit: Any, ref: str, source: str) -> None:
    if not isinstance(hit, dict) or is_truncated(hit):
        collector.reject("search hit cut off or not an object", hit, ref)
        return
    native_id = as_str(hit.get("objectID")) or as_str(hit.get("id"))
    if native_id is None:
        collector.reject("search hit without objectID", hit, ref)
        return
    title = html_to_text(as_str(hit.get("title")) or as_str(hit.get("story_title"))) or None
    is_comment = hit.get("comment_text") is not None or "comment" in (hit.get("_tags") or [])
    body = html_to_text(as_str(hit.get("comment_text")) or as_str(hit.get("story_text")) or as_str(hit.get("text")))
    parent = as_str(hit.get("parent_id"))
    story = as_str(hit.get("story_id"))
    _add(
        collector,
        hit,
        native_id,
        source,
        username=as_str(hit.get("author")),
        title=None if is_comment else title,
        text=body if is_comment else (join_text(title, body) or as_str(hit.get("url")) or ""),
        created_at=parse_time(hit.get("created_at_i")) or parse_time(hit.get("created_at")),
        metrics={"likes": as_int(hit.get("points")), "replies": as_int(hit.get("num_comments"))},
        parent_id=collector.mention_id(parent) if parent and parent != native_id else None,
        conversation_id=collector.mention_id(story) if story and story != native_id else None,
    )


def _add(collector: Collector, raw: dict, native_id: str, source: str, *, username: str | None, **fields: Any) -> None:
    """One item or search hit as a mention: its username is the author's id and handle, its page is the item's."""
    collector.add(
        raw,
        native_id=native_id,
        source=source,
        author={"id": username, "handle": username},
        url=f"https://{HN_SITE}/item?id={native_id}",
        **fields,
    )
