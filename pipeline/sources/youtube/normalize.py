"""YouTube Data API v3 payloads to mentions.

Accepts ``commentThreads.list`` and ``comments.list`` responses (``{"items": [...]}``), a single
``youtube#commentThread`` or ``youtube#comment``, and ``videos.list`` / ``search.list`` items (a video
is a mention too: title + description). A thread yields its top-level comment and the replies it
embeds. Comments with ``textOriginal`` use it; otherwise ``textDisplay`` (HTML by default) is stripped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document, each_object, is_truncated, whole_object
from pipeline.sources.results import Collector, NormalizeResult
from pipeline.sources.text import as_int, as_str, html_to_text, join_text, parse_time, plain


def normalize_youtube(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    def each_document(collector: Collector, document: Document) -> None:
        for data, ref in each_object(collector, document.data, document.ref):
            _response(collector, data, ref, source_hint)

    return normalize_recording(Platform.youtube, payload, fetched_at, each_document)


def _response(collector: Collector, data: dict, ref: str, hint: str | None) -> None:
    if isinstance(data.get("error"), dict):
        collector.reject(f"API error: {as_str(data['error'].get('message')) or data['error'].get('code')}", data, ref)
        return
    if isinstance(data.get("items"), list):
        for n, item in enumerate(data["items"]):
            _resource(collector, item, f"{ref}.items[{n}]", hint)
        return
    _resource(collector, data, ref, hint)


def _resource(collector: Collector, item: Any, ref: str, hint: str | None) -> None:
    if not whole_object(collector, item, ref, "a resource object"):
        return
    kind = as_str(item.get("kind")) or ""
    snippet = item.get("snippet") if isinstance(item.get("snippet"), dict) else None
    if kind == "youtube#commentThread" or (snippet is not None and "topLevelComment" in snippet):
        _thread(collector, item, ref, hint)
    elif kind == "youtube#comment" or (snippet is not None and ("textOriginal" in snippet or "textDisplay" in snippet)):
        _comment(collector, item, ref, hint, video_id=None, thread_id=None)
    elif kind in ("youtube#video", "youtube#searchResult"):
        _video(collector, item, ref, hint)
    elif snippet is None:
        collector.reject(f"{ref}: resource without snippet (request part=snippet)", item, ref)
    else:
        collector.reject(f"{ref}: unsupported resource kind {kind or 'unknown'!r}", item, ref)


def _thread(collector: Collector, thread: dict, ref: str, hint: str | None) -> None:
    snippet = thread.get("snippet") if isinstance(thread.get("snippet"), dict) else {}
    top = snippet.get("topLevelComment")
    video_id = as_str(snippet.get("videoId"))
    thread_id = as_str(thread.get("id"))
    if not isinstance(top, dict):
        collector.reject("comment thread without topLevelComment", thread, ref)
    else:
        _comment(
            collector,
            top,
            f"{ref}.topLevelComment",
            hint,
            video_id=video_id,
            thread_id=None,
            replies=as_int(snippet.get("totalReplyCount")),
        )
    replies = thread.get("replies", {}).get("comments") if isinstance(thread.get("replies"), dict) else None
    for n, reply in enumerate(replies or []):
        _comment(
            collector,
            reply,
            f"{ref}.replies[{n}]",
            hint,
            video_id=video_id,
            thread_id=thread_id or (top or {}).get("id"),
        )


def _comment(
    collector: Collector,
    comment: Any,
    ref: str,
    hint: str | None,
    *,
    video_id: str | None,
    thread_id: str | None,
    replies: int = 0,
) -> None:
    if not isinstance(comment, dict) or is_truncated(comment):
        collector.reject("comment cut off or not an object", comment, ref)
        return
    native_id = as_str(comment.get("id"))
    snippet = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else None
    if snippet is None:
        collector.reject("comment without snippet", comment, collector.mention_id(native_id) if native_id else ref)
        return
    if snippet.get("moderationStatus") == "rejected":
        collector.reject(
            "comment rejected by the channel's moderators",
            comment,
            collector.mention_id(native_id) if native_id else ref,
        )
        return
    video_id = as_str(snippet.get("videoId")) or video_id
    parent = as_str(snippet.get("parentId")) or thread_id
    channel = snippet.get("authorChannelId")
    author_id = as_str(channel.get("value")) if isinstance(channel, dict) else as_str(channel)
    author_name = as_str(snippet.get("authorDisplayName"))
    handle = author_name if author_name and author_name.startswith("@") else None
    text = (
        plain(snippet.get("textOriginal"))
        if isinstance(snippet.get("textOriginal"), str)
        else html_to_text(as_str(snippet.get("textDisplay")))
    )
    url = None
    if video_id and native_id:
        url = f"https://www.youtube.com/watch?v={video_id}&lc={native_id}"
    collector.add(
        comment,
        native_id=native_id,
        source=hint or video_id or as_str(snippet.get("channelId")) or "youtube",
        author={"id": author_id or author_name, "handle": handle, "name": author_name},
        text=text,
        url=url,
        created_at=parse_time(snippet.get("publishedAt")),
        metrics={"likes": as_int(snippet.get("likeCount")), "replies": replies},
        parent_id=collector.mention_id(parent) if parent else None,
        conversation_id=collector.mention_id(parent) if parent else None,
    )


def _video(collector: Collector, video: dict, ref: str, hint: str | None) -> None:
    raw_id = video.get("id")
    native_id = as_str(raw_id.get("videoId")) if isinstance(raw_id, dict) else as_str(raw_id)
    snippet = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
    if isinstance(raw_id, dict) and native_id is None:
        collector.skip("search result is not a video (channel or playlist)", video, ref)
        return
    stats = video.get("statistics") if isinstance(video.get("statistics"), dict) else {}
    title = html_to_text(as_str(snippet.get("title"))) or None
    language = as_str(snippet.get("defaultAudioLanguage")) or as_str(snippet.get("defaultLanguage"))
    channel_id = as_str(snippet.get("channelId"))
    collector.add(
        video,
        native_id=native_id,
        source=hint or channel_id or "youtube",
        author={"id": channel_id, "name": as_str(snippet.get("channelTitle"))},
        title=title,
        text=join_text(title, plain(snippet.get("description"))),
        language=language,
        url=f"https://www.youtube.com/watch?v={native_id}" if native_id else None,
        created_at=parse_time(snippet.get("publishedAt")),
        metrics={
            "likes": as_int(stats.get("likeCount")),
            "replies": as_int(stats.get("commentCount")),
            "views": as_int(stats["viewCount"]) if "viewCount" in stats else None,
        },
    )
