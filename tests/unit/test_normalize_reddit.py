"""Reddit normaliser over hand-written listings and comment pages."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from payload_fixtures import PAYLOADS, payload_runner
from pipeline.sources.reddit.normalize import normalize_reddit

FIXTURES = PAYLOADS / "reddit"


_run = payload_runner("reddit", normalize_reddit)


def test_reddit_self_post_fields():
    post = _run("subreddit_new.json").mentions[0]
    assert post.id == "reddit:t3_1ozzz01"
    assert post.source == "r/Coffee"
    assert post.title == "Acme X2 leaking after 3 months?"
    assert post.text == "Acme X2 leaking after 3 months?\n\nMine started leaking from the base.\n\nAnyone else?"
    assert post.author.handle == "coffee_fan" and post.author.id == "t2_coffe"
    assert post.created_at == datetime.fromtimestamp(1762696800, tz=UTC)
    assert (post.metrics.likes, post.metrics.replies, post.metrics.shares) == (57, 9, 1)
    assert post.url == "https://www.reddit.com/r/Coffee/comments/1ozzz01/slug/"


def test_reddit_removed_submission_is_a_deletion_and_empty_post_a_reject():
    result = _run("subreddit_new.json")
    assert [m.id for m in result.mentions] == ["reddit:t3_1ozzz01", "reddit:t3_1ozzz02"]
    assert result.mentions[1].text == "Acme recall announced"
    assert result.deletions == ["reddit:t3_1ozzz03"]
    assert {r.item_ref: r.reason for r in result.rejects}["reddit:t3_1ozzz04"] == "no text"


def test_reddit_comment_page_walks_nested_replies():
    result = _run("comments_page.json")
    by_id = {m.id: m for m in result.mentions}
    assert set(by_id) == {"reddit:t3_1ozzz01", "reddit:t1_mc0001", "reddit:t1_mc0003"}
    top = by_id["reddit:t1_mc0001"]
    assert top.text == "Yes! Acme replaced mine under warranty & it leaks again."  # entity unescaped
    assert top.parent_id == "reddit:t3_1ozzz01" and top.conversation_id == "reddit:t3_1ozzz01"
    nested = by_id["reddit:t1_mc0003"]
    assert nested.parent_id == "reddit:t1_mc0001"
    assert nested.author.id == "[deleted]"  # account gone, words still public


def test_reddit_deleted_comment_and_more_placeholder():
    result = _run("comments_page.json")
    assert result.deletions == ["reddit:t1_mc0002"]
    assert any(r.reason.startswith("'more' placeholder for 5") for r in result.rejects)


def test_reddit_truncated_listing_keeps_complete_children():
    payload = (FIXTURES / "subreddit_new.json").read_bytes()
    data = orjson.loads(payload)
    compact = orjson.dumps(data)
    cut = compact[: compact.index(b'"t3_1ozzz02"') + 5]
    result = normalize_reddit(cut)
    assert [m.id for m in result.mentions] == ["reddit:t3_1ozzz01"]
    assert any("truncated" in r.reason for r in result.rejects)
    assert any(r.reason == "item cut off by a truncated payload" for r in result.rejects)


def test_reddit_betamax_cassette_skips_token_exchange():
    listing = (FIXTURES / "subreddit_new.json").read_text()
    cassette = {
        "interactions": [
            {
                "request": {"method": "POST", "uri": "https://www.reddit.com/api/v1/access_token"},
                "response": {
                    "status": {"code": 200},
                    "body": {"string": '{"access_token": "<ACCESS_TOKEN>"}'},
                    "headers": {},
                },
            },
            {
                "request": {"method": "GET", "uri": "https://oauth.reddit.com/r/Coffee/new"},
                "response": {"status": {"code": 200}, "body": {"string": listing}, "headers": {}},
            },
        ],
        "recorded_at": "2026-11-09T12:00:00",
        "version": 1,
    }
    result = normalize_reddit(orjson.dumps(cassette))
    assert [m.id for m in result.mentions] == ["reddit:t3_1ozzz01", "reddit:t3_1ozzz02"]
    assert not any("access_token" in (r.item_ref or "") for r in result.rejects)
