"""Mastodon API payloads to mentions.

Accepts a status, a list of statuses (timelines, trends), a notification or a list of them, search
results (``{"statuses": [...]}``), grouped notifications, a status context (``ancestors`` /
``descendants``), conversations (``last_status``), streaming events as the server-sent-events body
(``event: update`` + ``data: {...}``) or as WebSocket JSON (``{"event": "update", "payload": "<json>"}``),
JSON lines of any of these, and vcrpy cassettes wrapping them (a ``DELETE`` exchange is a deletion).

A boost yields the boosted status. ``delete`` stream events are deletions. Direct and followers-only
statuses are rejected: they are not public, and a mention does not record who may see it.
Ids are the status ids the API gives (unique per instance, which is the ``source``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from pipeline.authors.facts import account_facts
from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import Document, decode_text, each_object, is_truncated
from pipeline.sources.results import Collector, NormalizeResult, run
from pipeline.sources.text import as_int, as_str, html_to_text, join_text, parse_time, plain

_STATUS_EVENTS = {"update", "status.update"}
_TEXT_NOTIFICATIONS = {"mention", "status", "update", "quote"}
_NOT_PUBLIC = {"direct", "private"}


def normalize_mastodon(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    if _looks_like_event_stream(payload):
        return run(Platform.mastodon, payload, fetched_at,
                   lambda collector: _event_stream(collector, decode_text(payload), "stream", source_hint))

    def each_document(collector: Collector, document: Document) -> None:
        if document.data is None:
            raw = document.context.get("body") or b""
            if _looks_like_event_stream(raw):
                _event_stream(collector, decode_text(raw), document.ref, source_hint)
            elif raw.strip() not in (b"OK", b""):
                collector.reject(f"{document.ref}: body is neither JSON nor an event stream", raw, document.ref)
        elif document.context.get("method") == "DELETE" and isinstance(document.data, dict) and document.data.get("id"):
            collector.deleted(document.data["id"], "status deleted (DELETE request)", document.data)
        else:
            _walk(collector, document.data, document.ref, source_hint)

    return normalize_recording(Platform.mastodon, payload, fetched_at, each_document, keep_non_json=True)


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    return urlsplit(url).netloc or None


def _looks_like_event_stream(payload: bytes) -> bool:
    head = payload[:200].lstrip()
    return head.startswith((b"event:", b"data:", b":"))


def _event_stream(collector: Collector, text: str, ref: str, instance: str | None) -> None:
    """Server-sent events: blocks separated by a blank line, ``event:`` names the type, ``data:`` lines
    carry the payload, lines starting with ``:`` are heartbeats."""
    for n, block in enumerate(text.replace("\r\n", "\n").split("\n\n")):
        event = "message"
        data_lines = []
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value.strip()
            elif name == "data":
                data_lines.append(value)
        if data_lines:
            _stream_event(collector, event, "\n".join(data_lines), f"{ref} event {n}", instance)


def _stream_event(collector: Collector, event: str, data: Any, ref: str, instance: str | None) -> None:
    if event == "delete":
        collector.deleted(as_str(data) or "?", "status deleted (stream delete event)", data)
        return
    if event not in _STATUS_EVENTS and event != "notification" and event != "conversation":
        collector.skip(f"stream event {event!r} carries no status", data, ref)
        return
    if isinstance(data, str):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            collector.reject(f"stream event {event!r}: payload is not valid JSON ({exc})", data, ref)
            return
    _walk(collector, data, ref, instance)


def _walk(collector: Collector, data: Any, ref: str, instance: str | None) -> None:
    for item, item_ref in each_object(collector, data, ref):
        _object(collector, item, item_ref, instance)


def _object(collector: Collector, data: dict, ref: str, instance: str | None) -> None:
    if "event" in data and "payload" in data:
        _stream_event(collector, as_str(data.get("event")) or "", data["payload"], ref, instance)
        return
    if is_truncated(data) and not any(k in data for k in ("statuses", "ancestors", "descendants")):
        collector.reject("item cut off by a truncated payload", data, ref)
        return
    if "content" in data and "id" in data:
        _status(collector, data, ref, instance)
        return
    if "last_status" in data and "accounts" in data:
        if isinstance(data["last_status"], dict):
            _walk(collector, data["last_status"], f"{ref}.last_status", instance)
        return
    if "type" in data and "account" in data:
        kind = as_str(data.get("type"))
        if kind in _TEXT_NOTIFICATIONS and isinstance(data.get("status"), dict):
            _walk(collector, data["status"], f"{ref}.status", instance)
        else:
            collector.skip(f"notification of type {kind!r} carries no new status", data, ref)
        return
    containers = [key for key in ("statuses", "ancestors", "descendants") if isinstance(data.get(key), list)]
    if containers:
        for key in containers:
            _walk(collector, data[key], f"{ref}.{key}", instance)
        return
    if "error" in data:
        collector.reject(f"API error: {as_str(data.get('error'))}", data, ref)
        return
    collector.reject(f"{ref}: {_describe(data)}, not a status", data, ref)


def _describe(data: dict) -> str:
    if "acct" in data and "username" in data:
        return "an account"
    if "version" in data and "title" in data:
        return "instance information"
    if "content" in data and "id" not in data:
        return "a status edit-history entry"
    if "text" in data and "id" in data and "account" not in data:
        return "a status source"
    if "following" in data and "followed_by" in data:
        return "a relationship"
    return "an unrecognised object"


def _status(collector: Collector, status: dict, ref: str, instance: str | None) -> None:
    native_id = as_str(status.get("id"))
    if isinstance(status.get("reblog"), dict):
        collector.skip("boost: the boosted status is normalised instead", status, collector.mention_id(native_id))
        _walk(collector, status["reblog"], f"{ref}.reblog", instance)
        return
    visibility = as_str(status.get("visibility"))
    if visibility in _NOT_PUBLIC:
        collector.skip(f"not public (visibility {visibility})", status, collector.mention_id(native_id))
        return
    account = status.get("account") if isinstance(status.get("account"), dict) else {}
    acct = as_str(account.get("acct"))
    url = as_str(status.get("url")) or as_str(status.get("uri"))
    text = join_text(
        plain(status.get("spoiler_text")), html_to_text(as_str(status.get("content"))), _poll_text(status.get("poll"))
    )
    reply_to = as_str(status.get("in_reply_to_id"))
    collector.add(
        status,
        native_id=native_id,
        source=instance or _host(status.get("uri")) or _host(url) or "mastodon",
        author={
            "id": as_str(account.get("id")) or acct,
            "handle": acct,
            "name": as_str(account.get("display_name")),
            "followers": as_int(account.get("followers_count")) if "followers_count" in account else None,
            **account_facts(account, "created_at", "following_count", "statuses_count"),
        },
        text=text,
        language=as_str(status.get("language")),
        url=url,
        created_at=parse_time(status.get("created_at")),
        metrics={
            "likes": as_int(status.get("favourites_count")),
            "shares": as_int(status.get("reblogs_count")) + as_int(status.get("quotes_count")),
            "replies": as_int(status.get("replies_count")),
        },
        parent_id=collector.mention_id(reply_to) if reply_to else None,
    )


def _poll_text(poll: Any) -> str:
    if not isinstance(poll, dict):
        return ""
    options = [as_str(o.get("title")) for o in poll.get("options") or [] if isinstance(o, dict)]
    return "\n".join(f"- {o}" for o in options if o)
