"""RSS, Atom, RDF and JSON Feed documents to mentions, through feedparser.

feedparser reads ill-formed feeds leniently and flags them (``bozo``): every entry it recovers is
kept, and a feed it cannot read at all becomes one reject carrying feedparser's reason. Entry HTML
becomes plain text. An entry without a date takes the feed's date, else the fetch time; without a
guid it takes its link, else a hash of feed, title and text, so a re-fetch gives the same id.
"""

from __future__ import annotations

import codecs
import io
import re
from calendar import timegm
from datetime import UTC, datetime
from typing import Any

import feedparser

from pipeline.mention import Platform
from pipeline.sources.decoding import decode_text, is_truncated, parse_json_documents
from pipeline.sources.results import Collector, NormalizeResult, PayloadError, excerpt, run
from pipeline.sources.text import as_int, as_str, html_to_text, join_text, parse_time, plain, stable_hash

MAX_NATIVE_ID = 900


def normalize_rss(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    def body(collector: Collector) -> None:
        if not payload or not payload.strip():
            collector.reject("empty document", payload, "feed")
            return
        if payload.lstrip()[:1] == b"{":
            _json_feed(collector, payload, source_hint)
            return
        try:
            # A file object, never a string: feedparser would treat a string as a URL to fetch.
            parsed = feedparser.parse(
                io.BytesIO(_declare_guessed_encoding(payload)), resolve_relative_uris=False, sanitize_html=False
            )
        except Exception as exc:  # noqa: BLE001 - feedparser can crash on hostile bytes (e.g. a mangled encoding name)
            collector.reject(f"feedparser could not read the document: {type(exc).__name__}: {exc}", payload, "feed")
            return
        feed = parsed.get("feed", {})
        source = source_hint or _feed_url(feed) or as_str(parsed.get("href")) or plain(feed.get("title")) or "rss"
        if not parsed.entries:
            if parsed.get("bozo"):
                collector.reject(f"malformed feed and no entry recovered: {_bozo_reason(parsed)}", payload, "feed")
            elif not feed:
                collector.reject("not a feed: no channel and no entries", payload, "feed")
            return
        feed_date = _struct_time(feed.get("updated_parsed")) or _struct_time(feed.get("published_parsed"))
        feed_language = as_str(feed.get("language"))
        for n, entry in enumerate(parsed.entries):
            _entry(collector, entry, n, source=source, feed=feed, feed_date=feed_date, feed_language=feed_language)

    return run(Platform.rss, payload, fetched_at, body)


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)


def _declare_guessed_encoding(payload: bytes) -> bytes:
    """A feed that is not UTF-8 and does not say what it is gets its encoding guessed (charset-normalizer)
    and is re-encoded as UTF-8; feedparser alone would read such a feed as windows-1252."""
    if payload.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _DECLARED_ENCODING.match(
        payload
    ):
        return payload
    try:
        payload.decode("utf-8")
        return payload
    except UnicodeDecodeError:
        pass
    text = decode_text(payload)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + _XML_DECLARATION.sub(b"", text.encode("utf-8"), count=1)


def _json_feed(collector: Collector, payload: bytes, source_hint: str | None) -> None:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser 6 does not read."""
    try:
        documents, rejects = parse_json_documents(payload)
    except PayloadError as exc:
        collector.reject(str(exc), payload, "feed")
        return
    collector.add_rejects(rejects)
    for document in documents:
        feed = document.data
        if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
            collector.reject("JSON document is not a JSON Feed (no items list)", feed, document.ref)
            continue
        source = (
            source_hint
            or as_str(feed.get("feed_url"))
            or as_str(feed.get("home_page_url"))
            or plain(feed.get("title"))
            or "rss"
        )
        feed_authors = _json_feed_authors(feed)
        for n, item in enumerate(feed["items"]):
            ref = f"{document.ref}.items[{n}]"
            if not isinstance(item, dict):
                collector.reject("item is not an object", item, ref)
                continue
            if is_truncated(item):
                collector.reject("item cut off by a truncated payload", item, ref)
                continue
            title = plain(item.get("title"))
            body = (
                plain(item.get("content_text"))
                or html_to_text(as_str(item.get("content_html")))
                or plain(item.get("summary"))
            )
            native_id = as_str(item.get("id")) or as_str(item.get("url"))
            if native_id is None or len(native_id) > MAX_NATIVE_ID:
                native_id = stable_hash(source, native_id, title, body)
            authors = _json_feed_authors(item) or feed_authors
            author = authors[0] if authors else {}
            author_name = as_str(author.get("name"))
            language = as_str(item.get("language")) or as_str(feed.get("language"))
            collector.add(
                item,
                date_optional=True,
                native_id=native_id,
                source=source,
                author={"id": as_str(author.get("url")) or author_name or source, "name": author_name},
                title=title or None,
                text=join_text(title, body),
                language=language,
                url=as_str(item.get("url")) or as_str(item.get("external_url")),
                created_at=parse_time(item.get("date_published")) or parse_time(item.get("date_modified")),
            )


def _json_feed_authors(holder: dict) -> list[dict]:
    authors = holder.get("authors")
    if isinstance(authors, list):
        return [a for a in authors if isinstance(a, dict)]
    return [holder["author"]] if isinstance(holder.get("author"), dict) else []


def _bozo_reason(parsed: Any) -> str:
    exception = parsed.get("bozo_exception")
    text = str(exception).strip() if exception is not None else ""
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


def _feed_url(feed: Any) -> str | None:
    for link in feed.get("links") or []:
        if link.get("rel") == "self" and as_str(link.get("href")):
            return as_str(link["href"])
    return as_str(feed.get("link"))


def _struct_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content blocks and summary, as plain text."""
    candidates = []
    for block in entry.get("content") or []:
        candidates.append(_detail_text(block))
    if entry.get("summary_detail"):
        candidates.append(_detail_text(entry["summary_detail"]))
    elif entry.get("summary"):
        candidates.append(html_to_text(entry["summary"]))
    return max(candidates, key=len, default="")


def _detail_text(detail: Any) -> str:
    value = detail.get("value") if hasattr(detail, "get") else None
    if not isinstance(value, str):
        return ""
    kind = str(detail.get("type") or "text/html")
    return html_to_text(value) if "html" in kind else plain(value)


def _entry(
    collector: Collector,
    entry: Any,
    n: int,
    *,
    source: str,
    feed: Any,
    feed_date: datetime | None,
    feed_language: str | None,
) -> None:
    title_detail = entry.get("title_detail")
    title = _detail_text(title_detail) if title_detail else plain(entry.get("title"))
    body = _entry_text(entry)
    if body and title and (body == title or body.startswith(title)):
        text = body
    else:
        text = join_text(title, body)
    link = as_str(entry.get("link"))
    native_id = as_str(entry.get("id")) or link
    if native_id is None or len(native_id) > MAX_NATIVE_ID:
        native_id = stable_hash(source, native_id, title, body)
    detail = entry.get("author_detail") or {}
    author_name = as_str(detail.get("name")) or as_str(entry.get("author")) or plain(feed.get("title")) or None
    author_id = as_str(detail.get("href")) or as_str(detail.get("email")) or author_name or source
    language = None
    for block in list(entry.get("content") or []) + [entry.get("summary_detail") or {}]:
        language = language or as_str(block.get("language"))
    language = language or feed_language
    in_reply_to = entry.get("thr_in-reply-to")
    parent = as_str(in_reply_to.get("ref")) if hasattr(in_reply_to, "get") else None
    created = (
        _struct_time(entry.get("published_parsed"))
        or _struct_time(entry.get("updated_parsed"))
        or _struct_time(entry.get("created_parsed"))
        or feed_date
    )
    if not text:
        collector.reject(f"entry {n}: no title and no text", excerpt(dict(entry)), collector.mention_id(native_id))
        return
    collector.add(
        dict(entry),
        date_optional=True,
        native_id=native_id,
        source=source,
        author={"id": author_id, "name": author_name},
        title=title or None,
        text=text,
        language=language,
        url=link,
        created_at=created,
        metrics={"replies": as_int(entry.get("slash_comments") or entry.get("thr_total"))},
        parent_id=collector.mention_id(parent) if parent and len(parent) <= MAX_NATIVE_ID else None,
    )
