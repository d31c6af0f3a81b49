"""Bluesky normaliser over hand-written Jetstream events and AppView responses."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import cbor2
import zstandard
from cbor2 import CBORTag

from payload_fixtures import payload_runner
from pipeline.sources.bluesky.normalize import normalize_bluesky

ANNA = "did:plc:abcd1234efgh5678ijkl9012"
ZED = "did:plc:zyxw9876vuts5432rqpo1098"
ROOT = f"bluesky:at://{ZED}/app.bsky.feed.post/3mroot00000a2"


_run = payload_runner("bluesky", normalize_bluesky)


def test_bluesky_jetstream_post_with_reply_refs():
    result = _run("jetstream.jsonl")
    post = result.mentions[0]
    assert post.id == f"bluesky:at://{ANNA}/app.bsky.feed.post/3mpost0001a2"
    assert post.author.id == ANNA
    assert post.text == "Ma cafetière Acme X2 fuit encore 😡"
    assert post.language == "fr"
    assert post.parent_id == ROOT and post.conversation_id == ROOT
    assert post.created_at == datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
    assert post.url == f"https://bsky.app/profile/{ANNA}/post/3mpost0001a2"


def test_bluesky_image_only_post_uses_alt_text_and_missing_date_uses_event_time():
    by_id = {m.native_id.rsplit("/", 1)[-1]: m for m in _run("jetstream.jsonl").mentions}
    assert by_id["3mpost0002a2"].text == "Photo of a leaking Acme X2 coffee maker"
    assert by_id["3mpost0003a2"].created_at == datetime.fromtimestamp(1762700004, tz=UTC)


def test_bluesky_jetstream_rejects_and_deletions():
    result = _run("jetstream.jsonl")
    assert result.deletions == [f"bluesky:at://{ZED}/app.bsky.feed.post/3mpost0009a2"]
    reasons = [r.reason for r in result.rejects]
    assert "create of app.bsky.feed.like: not a post" in reasons
    assert "account event: not a post" in reasons
    assert any(r.startswith("line 4: not valid JSON") for r in reasons)
    assert len(result.mentions) == 3


def test_bluesky_search_posts_author_and_metrics():
    first = _run("search_posts.json").mentions[0]
    assert first.id == ROOT
    assert first.author.handle == "zed.bsky.social" and first.author.followers == 321
    assert (first.metrics.likes, first.metrics.shares, first.metrics.replies) == (15, 3, 4)


def test_bluesky_thread_walks_replies_and_reports_missing_posts():
    result = _run("post_thread.json")
    assert [m.id for m in result.mentions] == [ROOT, f"bluesky:at://{ANNA}/app.bsky.feed.post/3mpost0001a2"]
    assert result.mentions[1].parent_id == ROOT
    assert result.deletions == [f"bluesky:at://{ANNA}/app.bsky.feed.post/3mgone0001a2"]


def _cid(block: bytes) -> bytes:
    return b"\x01\x71\x12\x20" + hashlib.sha256(block).digest()  # CIDv1, dag-cbor, sha2-256


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _car(blocks: list[bytes]) -> bytes:
    header = cbor2.dumps({"version": 1, "roots": [CBORTag(42, b"\x00" + _cid(blocks[0]))]})
    sections = b"".join(_varint(len(_cid(b)) + len(b)) + _cid(b) + b for b in blocks)
    return _varint(len(header)) + header + sections


def _firehose_frames() -> bytes:
    post = cbor2.dumps(
        {
            "$type": "app.bsky.feed.post",
            "text": "Acme firehose test",
            "createdAt": "2026-11-09T14:00:00.000Z",
            "langs": ["en"],
        }
    )
    like = cbor2.dumps({"$type": "app.bsky.feed.like", "createdAt": "2026-11-09T14:00:00.000Z"})
    commit = {
        "seq": 1,
        "repo": ANNA,
        "rev": "3mrev",
        "time": "2026-11-09T14:00:01.000Z",
        "blocks": _car([post, like]),
        "ops": [
            {"action": "create", "path": "app.bsky.feed.post/3mpostfh01", "cid": CBORTag(42, b"\x00" + _cid(post))},
            {"action": "create", "path": "app.bsky.feed.like/3mlikefh01", "cid": CBORTag(42, b"\x00" + _cid(like))},
            {"action": "delete", "path": "app.bsky.feed.post/3mgonefh01", "cid": None},
        ],
    }
    frames = [
        cbor2.dumps({"t": "#commit", "op": 1}) + cbor2.dumps(commit),
        cbor2.dumps({"t": "#identity", "op": 1}) + cbor2.dumps({"did": ANNA, "seq": 2}),
    ]
    return b"".join(len(f).to_bytes(4, "little") + f for f in frames)


def test_bluesky_firehose_frames_zstd_compressed():
    result = normalize_bluesky(zstandard.ZstdCompressor().compress(_firehose_frames()))
    (post,) = result.mentions
    assert post.id == f"bluesky:at://{ANNA}/app.bsky.feed.post/3mpostfh01"
    assert post.text == "Acme firehose test" and post.language == "en"
    assert result.deletions == [f"bluesky:at://{ANNA}/app.bsky.feed.post/3mgonefh01"]
    reasons = [r.reason for r in result.rejects]
    assert "create of app.bsky.feed.like: not a post" in reasons
    assert "frame 1: #identity frame, not a post" in reasons


def test_bluesky_firehose_cut_frame_is_rejected():
    frames = _firehose_frames()
    result = normalize_bluesky(frames[:-10])
    assert len(result.mentions) == 1
    assert result.rejects[-1].reason.startswith("frame 1 cut off")
