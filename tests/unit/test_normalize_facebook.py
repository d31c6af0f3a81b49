"""Facebook / Instagram normaliser over hand-written webhooks and a Graph edge response."""

from __future__ import annotations

from datetime import UTC, datetime

from payload_fixtures import payload_runner
from pipeline.sources.facebook.normalize import normalize_facebook

PAGE = "104857600000001"


_run = payload_runner("facebook", normalize_facebook)


def test_facebook_webhook_post_and_edited_comment():
    result = _run("page_feed_webhook.json")
    post, comment = result.mentions
    assert post.id == f"facebook:{PAGE}_900001"
    assert post.text == "La X2 revient en stock demain !"
    assert post.source == PAGE
    assert comment.id == "facebook:900001_700001"
    assert comment.text == "Et le remboursement de la mienne ? (3 semaines d'attente)"  # the edit wins
    assert comment.author.id == "6620000000001" and comment.author.name == "Luc Petit"
    assert comment.parent_id == comment.conversation_id == f"facebook:{PAGE}_900001"
    assert comment.created_at == datetime.fromtimestamp(1762707560, tz=UTC)
    assert comment.url == f"https://www.facebook.com/{PAGE}_900001?comment_id=700001"


def test_facebook_webhook_reaction_remove_and_incomplete_changes():
    result = _run("page_feed_webhook.json")
    assert result.deletions == ["facebook:900001_700002"]
    reasons = [r.reason for r in result.rejects]
    assert "reaction add: a reaction carries no text" in reasons
    assert "comment add: no comment_id" in reasons


def test_facebook_graph_edge_comments():
    result = _run("graph_comments.json")
    (comment,) = result.mentions
    assert comment.created_at == datetime(2026, 11, 9, 17, 26, tzinfo=UTC)
    assert comment.metrics.likes == 4 and comment.metrics.replies == 1
    assert comment.url == "https://www.facebook.com/acmefrance/posts/900001?comment_id=700001"
    assert [r.reason for r in result.rejects] == ["no text"]


def test_facebook_instagram_webhook_comment():
    result = _run("instagram_webhook.json")
    (comment,) = result.mentions
    assert comment.id == "instagram:17865799348089039"
    assert comment.platform == "instagram"
    assert comment.author.handle == "julie.coffee"
    assert comment.parent_id == "instagram:17900000000000001"
    assert result.rejects[0].reason == "mention notice carries only ids (fetch the comment or media)"


def test_facebook_messenger_entry_is_rejected():
    payload = (
        b'{"object":"page","entry":[{"id":"1","time":1457764198246,"messaging":[{"message":{"mid":"m","text":"hi"}}]}]}'
    )
    result = normalize_facebook(payload)
    assert not result.mentions
    assert result.rejects[0].reason.startswith("Messenger message")
