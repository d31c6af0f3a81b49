"""Facebook (and Instagram) Graph API payloads to mentions.

Accepts a Page webhook POST body (``{"object": "page", "entry": [{"id", "time", "changes": [{"field",
"value"}]}]}``, ``feed`` and ``mention`` fields), an Instagram webhook body (``"object": "instagram"``,
``comments`` / ``mentions`` fields), a Graph API edge response (``{"data": [...], "paging": ...}`` from
``/{page}/feed``, ``/{post}/comments``) or a single post or comment object; JSON lines of any of these.

``remove`` verbs are deletions; ``hide``, reactions and likes carry no new text and are rejected with
their reason, as are Messenger ``messaging`` entries (private conversations, not public mentions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document, each_object, is_truncated, whole_object
from pipeline.sources.results import Collector, NormalizeResult
from pipeline.sources.text import as_int, as_str, join_text, parse_time, plain

UNKNOWN_AUTHOR = "unknown"
_TEXTLESS_ITEMS = {"reaction", "like"}
_DELETE_VERBS = {"remove", "delete"}


def normalize_facebook(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    instagram = Collector(Platform.instagram, fetched_at=fetched_at)

    def each_document(facebook: Collector, document: Document) -> None:
        collectors = {Platform.facebook: facebook, Platform.instagram: instagram}
        for data, ref in each_object(facebook, document.data, document.ref):
            _response(collectors, data, ref, source_hint)

    result = normalize_recording(Platform.facebook, payload, fetched_at, each_document)
    extra = instagram.result()
    result.mentions.extend(extra.mentions)
    result.rejects.extend(extra.rejects)
    return result


def _response(collectors: dict[Platform, Collector], data: dict, ref: str, hint: str | None) -> None:
    facebook = collectors[Platform.facebook]
    if isinstance(data.get("error"), dict):
        facebook.reject(f"Graph API error: {as_str(data['error'].get('message')) or data['error']}", data, ref)
        return
    if isinstance(data.get("entry"), list):
        platform = Platform.instagram if data.get("object") == "instagram" else Platform.facebook
        for n, entry in enumerate(data["entry"]):
            _entry(collectors[platform], entry, f"{ref}.entry[{n}]", hint)
        return
    if isinstance(data.get("data"), list):
        for n, item in enumerate(data["data"]):
            _graph_object(facebook, item, f"{ref}.data[{n}]", hint)
        return
    if "id" in data and ("message" in data or "created_time" in data):
        _graph_object(facebook, data, ref, hint)
        return
    facebook.reject(f"{ref}: not a webhook body, Graph edge or post/comment object", data, ref)


def _entry(collector: Collector, entry: Any, ref: str, hint: str | None) -> None:
    if not isinstance(entry, dict):
        collector.reject(f"{ref}: entry is not an object", entry, ref)
        return
    page_id = as_str(entry.get("id"))
    if "messaging" in entry or "standby" in entry:
        collector.reject("Messenger message: a private conversation, not a public mention", entry, ref)
    changes = entry.get("changes")
    if not isinstance(changes, list):
        if "messaging" not in entry and "standby" not in entry:
            collector.reject(f"{ref}: entry has no changes", entry, ref)
        return
    for n, change in enumerate(changes):
        item_ref = f"{ref}.changes[{n}]"
        if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
            collector.reject(f"{item_ref}: change has no value object", change, item_ref)
            continue
        value = change["value"]
        if is_truncated(change) or is_truncated(value):
            collector.reject("item cut off by a truncated payload", change, item_ref)
            continue
        if collector.platform is Platform.instagram:
            _instagram_change(collector, change.get("field"), value, entry, item_ref, hint)
        else:
            _feed_change(collector, change.get("field"), value, entry, page_id, item_ref, hint)


def _feed_change(
    collector: Collector, field: Any, value: dict, entry: dict, page_id: str | None, ref: str, hint: str | None
) -> None:
    if field not in ("feed", "mention", "mentions"):
        collector.skip(f"webhook field {field!r} is not a post or comment", value, ref)
        return
    item = as_str(value.get("item")) or "post"
    verb = as_str(value.get("verb")) or "add"
    native_id = (
        as_str(value.get("comment_id"))
        or as_str(value.get("post_id"))
        or as_str(value.get("share_id"))
        or as_str(value.get("id"))
    )
    if item in _TEXTLESS_ITEMS:
        collector.skip(f"{item} {verb}: a reaction carries no text", value, ref)
        return
    if native_id is None or (item == "comment" and value.get("comment_id") is None):
        collector.reject(f"{item} {verb}: no {'comment_id' if item == 'comment' else 'post_id'}", value, ref)
        return
    if verb in _DELETE_VERBS:
        collector.deleted(native_id, f"{item} removed (verb {verb})", value)
        return
    if verb in ("hide", "unhide", "block", "unblock", "mute", "unmute"):
        collector.skip(f"{item} {verb}: a moderation event, not new content", value, collector.mention_id(native_id))
        return
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    author_id = as_str(sender.get("id")) or as_str(value.get("sender_id"))
    author_name = as_str(sender.get("name")) or as_str(value.get("sender_name"))
    is_comment = item in ("comment", "reply") or (value.get("comment_id") is not None)
    if author_id is None:
        # Mention webhooks leave the author out. A post id starts with its poster's id; a commenter is
        # unknown until the comment is fetched, and that should not cost the mention.
        post_id = as_str(value.get("post_id")) or ""
        author_id = UNKNOWN_AUTHOR if is_comment else (post_id.split("_", 1)[0] if "_" in post_id else None)
    post_id = as_str(value.get("post_id"))
    parent_id = as_str(value.get("parent_id")) or post_id
    text = plain(value.get("message")) or plain(value.get("description"))
    if item == "share" and not text and as_str(value.get("link")):
        text = as_str(value.get("link")) or ""
    collector.add(
        value,
        native_id=native_id,
        source=hint or page_id or "facebook",
        author={"id": author_id, "name": author_name},
        text=text,
        url=_url(native_id, post_id, is_comment),
        created_at=parse_time(value.get("created_time")) or parse_time(entry.get("time")),
        parent_id=collector.mention_id(parent_id) if is_comment and parent_id and parent_id != native_id else None,
        conversation_id=collector.mention_id(post_id) if post_id and post_id != native_id else None,
    )


def _url(native_id: str, post_id: str | None, is_comment: bool) -> str:
    if is_comment and post_id:
        return f"https://www.facebook.com/{post_id}?comment_id={native_id.split('_')[-1]}"
    return f"https://www.facebook.com/{native_id}"


def _graph_object(collector: Collector, item: Any, ref: str, hint: str | None) -> None:
    """A post or comment as returned by the Graph API edges (``created_time`` ISO, ``from``, counts)."""
    if not whole_object(collector, item, ref):
        return
    native_id = as_str(item.get("id"))
    if native_id is None:
        collector.reject("missing id", item, ref)
        return
    sender = item.get("from") if isinstance(item.get("from"), dict) else {}
    parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
    post = item.get("post") if isinstance(item.get("post"), dict) else {}
    is_comment = bool(parent or post or "comment_count" in item or "like_count" in item) and "story" not in item
    post_id = as_str(post.get("id"))
    reactions = (
        item.get("reactions", {}).get("summary", {}).get("total_count")
        if isinstance(item.get("reactions"), dict)
        else None
    )
    comments = (
        item.get("comments", {}).get("summary", {}).get("total_count")
        if isinstance(item.get("comments"), dict)
        else None
    )
    shares = item.get("shares", {}).get("count") if isinstance(item.get("shares"), dict) else None
    collector.add(
        item,
        native_id=native_id,
        source=hint or (native_id.split("_", 1)[0] if "_" in native_id and not is_comment else "facebook"),
        author={"id": as_str(sender.get("id")), "name": as_str(sender.get("name"))},
        text=join_text(plain(item.get("message")), plain(item.get("description"))) or plain(item.get("story")),
        url=as_str(item.get("permalink_url")) or _url(native_id, post_id, is_comment),
        created_at=parse_time(item.get("created_time")),
        metrics={
            "likes": as_int(item.get("like_count", reactions)),
            "replies": as_int(item.get("comment_count", comments)),
            "shares": as_int(shares),
        },
        parent_id=collector.mention_id(parent["id"]) if parent.get("id") else None,
        conversation_id=collector.mention_id(post_id) if post_id else None,
    )


def _instagram_change(collector: Collector, field: Any, value: dict, entry: dict, ref: str, hint: str | None) -> None:
    if field not in ("comments", "mentions", "live_comments"):
        collector.skip(f"Instagram webhook field {field!r} is not a comment or mention", value, ref)
        return
    native_id = as_str(value.get("id")) or as_str(value.get("comment_id")) or as_str(value.get("media_id"))
    if native_id is None:
        collector.reject("Instagram change without id, comment_id or media_id", value, ref)
        return
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    if not sender and not (value.get("text") or value.get("caption")):
        collector.reject(
            "mention notice carries only ids (fetch the comment or media)", value, collector.mention_id(native_id)
        )
        return
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    media_id = as_str(media.get("id")) or (as_str(value.get("media_id")) if value.get("comment_id") else None)
    parent_id = as_str(value.get("parent_id"))
    collector.add(
        value,
        native_id=native_id,
        source=hint or as_str(entry.get("id")) or "instagram",
        author={
            "id": as_str(sender.get("id")) or as_str(sender.get("username")),
            "handle": as_str(sender.get("username")),
        },
        text=plain(value.get("text")) or plain(value.get("caption")),
        created_at=parse_time(value.get("timestamp")) or parse_time(entry.get("time")),
        parent_id=collector.mention_id(parent_id or media_id)
        if (parent_id or media_id) and (parent_id or media_id) != native_id
        else None,
        conversation_id=collector.mention_id(media_id) if media_id and media_id != native_id else None,
    )
