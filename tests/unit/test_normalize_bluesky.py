"""Bluesky normaliser over hand-written Jetstream events and AppView responses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.connectors.normalize import normalize_bluesky

FIXTURES = Path(__file__).parent / "fixtures" / "payloads" / "bluesky"
ANNA = "did:plc:abcd1234efgh5678ijkl9012"
ZED = "did:plc:zyxw9876vuts5432rqpo1098"
ROOT = f"bluesky:at://{ZED}/app.bsky.feed.post/3mroot00000a2"


def _run(name: str):
    return normalize_bluesky((FIXTURES / name).read_bytes())


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
