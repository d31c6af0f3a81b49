"""Hacker News normaliser over hand-written Firebase items and an Algolia search response."""

from __future__ import annotations

from datetime import UTC, datetime

from payload_fixtures import payload_runner
from pipeline.sources.hackernews.normalize import normalize_hackernews


_run = payload_runner("hackernews", normalize_hackernews)


def test_hackernews_story_and_comment_fields():
    result = _run("items.jsonl")
    story, comment = result.mentions
    assert story.id == "hackernews:46000001"
    assert story.title == story.text == "Acme X2 teardown: why the pump fails"
    assert story.author.id == "pat"
    assert (story.metrics.likes, story.metrics.replies) == (88, 3)
    assert story.url == "https://news.ycombinator.com/item?id=46000001"
    assert story.created_at == datetime.fromtimestamp(1762700000, tz=UTC)
    assert comment.text == "The seal is rated for 60/C, the boiler runs at 95.\n\nThat's the whole story."
    assert comment.parent_id == "hackernews:46000001"


def test_hackernews_deleted_and_dead_are_deletions_missing_time_rejected():
    result = _run("items.jsonl")
    assert result.deletions == ["hackernews:46000003", "hackernews:46000004"]
    reasons = {r.item_ref: r.reason for r in result.rejects}
    assert reasons["hackernews:46000005"] == "missing or unreadable creation date"


def test_hackernews_algolia_hits():
    comment, story = _run("algolia_search.json").mentions
    assert comment.id == "hackernews:46000002"
    assert comment.title is None
    assert comment.conversation_id == "hackernews:46000001"
    assert story.metrics.likes == 88 and story.title == "Acme X2 teardown: why the pump fails"


def test_hackernews_id_lists_are_rejected_with_reason():
    result = normalize_hackernews(b"[46000001, 46000002, 46000003]")
    assert not result.mentions
    assert "list of 3 item ids" in result.rejects[0].reason
