"""Bluesky (AT Protocol) payloads to mentions.

Accepts Jetstream events (JSON lines, ``{"did", "time_us", "kind": "commit", "commit": {...}}``), and
AppView responses: ``searchPosts`` / ``getPosts`` (``posts``), feeds and timelines (``feed[].post``),
``getPostThread`` (``thread`` with ``parent`` and ``replies``), ``listNotifications``, a single post view,
and ``com.atproto.repo`` records (``{"uri", "value"}``). Only ``app.bsky.feed.post`` records are mentions;
likes, follows, profiles, identity and account events are rejected with that reason; a post ``delete``
commit is a deletion. The native id is the post's ``at://`` URI, the one replies point to.

Raw relay firehose frames (``com.atproto.sync.subscribeRepos``: a DAG-CBOR header and body per frame,
records inside the body's CAR ``blocks``) are read too: one frame, or frames laid out as
``[u32 little-endian length][frame]...``, optionally zstd-compressed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.mention import Platform
from pipeline.sources.cassettes import normalize_recording
from pipeline.sources.decoding import each_object, is_truncated
from pipeline.sources.results import Collector, NormalizeResult, run
from pipeline.sources.text import as_int, as_str, join_text, parse_time, plain

POST = "app.bsky.feed.post"
DEFAULT_SOURCE = "bsky.app"
_TEXT_NOTIFICATIONS = {"mention", "reply", "quote"}


def normalize_bluesky(
    payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
) -> NormalizeResult:
    source = source_hint or DEFAULT_SOURCE
    if _looks_like_firehose(payload):
        return run(Platform.bluesky, payload, fetched_at, lambda collector: _firehose(collector, payload, source))
    return normalize_recording(Platform.bluesky, payload, fetched_at,
                               lambda collector, document: _walk(collector, document.data, document.ref, source))


def _walk(collector: Collector, data: Any, ref: str, source: str) -> None:
    for item, item_ref in each_object(collector, data, ref):
        _object(collector, item, item_ref, source)


def _object(collector: Collector, data: dict, ref: str, source: str) -> None:
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
            collector.skip(f"notification {reason!r} carries no new post", data, ref)
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
        collector.skip(f"{kind} event: not a post", event, ref)
        return
    if not isinstance(commit, dict) or is_truncated(commit) or is_truncated(event):
        collector.reject("commit event without a complete commit", event, ref)
        return
    collection = as_str(commit.get("collection"))
    operation = as_str(commit.get("operation"))
    rkey = as_str(commit.get("rkey"))
    if collection != POST:
        collector.skip(f"{operation} of {collection}: not a post", event, ref)
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
        collector.skip("post blocked", thread, ref)
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
        language=language,
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


# --- raw relay firehose -----------------------------------------------------------------------------

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MAX_FIREHOSE_BYTES = 256 * 1024 * 1024
CID_LINK_TAG = 42


def _looks_like_firehose(payload: bytes) -> bool:
    if payload.startswith(ZSTD_MAGIC):
        return True
    return _is_frame_start(payload) or (len(payload) > 5 and _is_frame_start(payload[4:]))


def _is_frame_start(data: bytes) -> bool:
    # A frame header is the CBOR map {"t": "#commit", "op": 1}; DAG-CBOR puts the shorter key "t" first.
    return data[:1] in (b"\xa1", b"\xa2") and (data[1:3] == b"at" or data[1:4] == b"bop")


def _firehose(collector: Collector, payload: bytes, source: str) -> None:
    if payload.startswith(ZSTD_MAGIC):
        import zstandard

        try:
            with zstandard.ZstdDecompressor().stream_reader(payload) as reader:
                payload = reader.read(MAX_FIREHOSE_BYTES)
        except zstandard.ZstdError as exc:
            collector.reject(f"zstd stream unreadable: {exc}", payload[:64], "payload")
            return
    if not payload:
        collector.reject("zstd stream is empty or cut off", b"", "payload")
        return
    if _is_frame_start(payload):
        _firehose_frame(collector, payload, "frame 0", source)
        return
    offset = n = 0
    while offset + 4 <= len(payload):
        length = int.from_bytes(payload[offset : offset + 4], "little")
        frame = payload[offset + 4 : offset + 4 + length]
        if len(frame) < length:
            collector.reject(f"frame {n} cut off ({len(frame)} of {length} bytes)", frame[:64], f"frame {n}")
            return
        _firehose_frame(collector, frame, f"frame {n}", source)
        offset += 4 + length
        n += 1
    if offset < len(payload):
        collector.reject(f"{len(payload) - offset} trailing bytes after frame {n - 1}", payload[offset:], f"frame {n}")


def _firehose_frame(collector: Collector, frame: bytes, ref: str, source: str) -> None:
    import io

    import cbor2

    try:
        decoder = cbor2.CBORDecoder(io.BytesIO(frame))
        header = decoder.decode()
        body = decoder.decode()
    except (cbor2.CBORDecodeError, EOFError, ValueError) as exc:
        collector.reject(f"{ref}: not a DAG-CBOR frame ({exc})", frame[:64], ref)
        return
    if not isinstance(header, dict) or not isinstance(body, dict):
        collector.reject(f"{ref}: frame header or body is not a map", frame[:64], ref)
        return
    if header.get("op") == -1:
        collector.reject(f"{ref}: error frame {body.get('error')}: {body.get('message')}", body, ref)
        return
    kind = header.get("t")
    if kind != "#commit":
        collector.reject(f"{ref}: {kind} frame, not a post", body, ref)
        return
    did = as_str(body.get("repo"))
    blocks = _car_blocks(body.get("blocks"))
    if did is None or blocks is None:
        collector.reject(
            f"{ref}: commit without repo or readable CAR blocks", {"repo": did, "seq": body.get("seq")}, ref
        )
        return
    ops = body.get("ops")
    if not isinstance(ops, list):
        collector.reject(f"{ref}: commit without an ops list", {"repo": did, "seq": body.get("seq")}, ref)
        return
    for n, op in enumerate(ops):
        op_ref = f"{ref}.ops[{n}]"
        path = as_str(op.get("path")) if isinstance(op, dict) else None
        action = as_str(op.get("action")) if isinstance(op, dict) else None
        if path is None or "/" not in path:
            collector.reject(f"{op_ref}: op without path", op, op_ref)
            continue
        collection, rkey = path.split("/", 1)
        if collection != POST:
            collector.skip(f"{action} of {collection}: not a post", op, op_ref)
            continue
        uri = f"at://{did}/{POST}/{rkey}"
        if action == "delete":
            collector.deleted(uri, "post deleted (delete op)", op)
            continue
        cid = op.get("cid")
        is_link = isinstance(cid, cbor2.CBORTag) and cid.tag == CID_LINK_TAG and isinstance(cid.value, bytes)
        block = blocks.get(cid.value[1:]) if is_link else None
        if block is None:
            collector.reject(f"post {action}: record block missing from the commit", op, collector.mention_id(uri))
            continue
        try:
            record = cbor2.loads(block)
        except (cbor2.CBORDecodeError, EOFError, ValueError) as exc:
            collector.reject(f"post {action}: record block unreadable ({exc})", block[:64], collector.mention_id(uri))
            continue
        if not isinstance(record, dict):
            collector.reject(f"post {action}: record is not a map", block[:64], collector.mention_id(uri))
            continue
        _add_post(
            collector,
            {"repo": did, "path": path, "record": record},
            uri=uri,
            did=did,
            author={"id": did},
            record=record,
            source=source,
            fallback_time=body.get("time"),
        )


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data):
            raise ValueError("varint runs past the end")
        byte = data[offset]
        value |= (byte & 0x7F) << shift
        offset += 1
        if not byte & 0x80:
            return value, offset
        shift += 7


def _cid_length(data: bytes, offset: int) -> int:
    if data[offset : offset + 2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return 34
    position = offset
    for _ in range(3):  # version, codec, multihash code
        _, position = _read_varint(data, position)
    digest_length, position = _read_varint(data, position)
    return position + digest_length - offset


def _car_blocks(car: Any) -> dict[bytes, bytes] | None:
    """CID bytes -> block bytes from a CAR v1 file (a varint-prefixed CBOR header, then
    varint-prefixed ``CID + block`` sections)."""
    if not isinstance(car, (bytes, bytearray)):
        return None
    data = bytes(car)
    try:
        header_length, offset = _read_varint(data, 0)
        offset += header_length
        blocks: dict[bytes, bytes] = {}
        while offset < len(data):
            section_length, start = _read_varint(data, offset)
            end = start + section_length
            cid_length = _cid_length(data, start)
            blocks[data[start : start + cid_length]] = data[start + cid_length : end]
            offset = end
        return blocks
    except (ValueError, IndexError):
        return None
