"""YouTube normaliser over hand-written commentThreads and videos responses."""

from __future__ import annotations

from datetime import UTC, datetime

from payload_fixtures import payload_runner
from pipeline.sources.youtube.normalize import normalize_youtube


_run = payload_runner("youtube", normalize_youtube)


def test_youtube_thread_top_level_comment_and_embedded_reply():
    result = _run("comment_threads.json")
    top, reply = result.mentions
    assert top.id == "youtube:UgzTHREAD1"
    assert top.text == "The X2 in this video doesn't leak?\nMine does."
    assert top.source == "vid00000001"
    assert top.author.id == "UCmaria00000000000000000" and top.author.name == "@maria"
    assert top.metrics.replies == 1 and top.metrics.likes == 3
    assert top.url == "https://www.youtube.com/watch?v=vid00000001&lc=UgzTHREAD1"
    assert top.created_at == datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
    assert reply.id == "youtube:UgzTHREAD1.AAAreply1"
    assert reply.text == "Same here & support ignored me"  # textDisplay HTML only
    assert reply.parent_id == "youtube:UgzTHREAD1"


def test_youtube_comment_without_snippet_is_rejected():
    result = _run("comment_threads.json")
    assert [(r.item_ref, r.reason) for r in result.rejects] == [("youtube:UgzTHREAD2", "comment without snippet")]


def test_youtube_video_resource():
    (video,) = _run("videos.json").mentions
    assert video.id == "youtube:vid00000001"
    assert video.title == "Acme X2 review"
    assert video.text == "Acme X2 review\n\nIs the Acme X2 worth it?\nFull test."
    assert video.metrics.views == 120345 and video.metrics.replies == 410
    assert video.language == "en-US"


def test_youtube_error_response_is_a_reject():
    result = _run("error_comments_disabled.json")
    assert not result.mentions
    assert "disabled comments" in result.rejects[0].reason
