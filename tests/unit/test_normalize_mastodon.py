"""Mastodon normaliser over hand-written statuses, notifications and streaming payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from payload_fixtures import payload_runner
from pipeline.sources.mastodon.normalize import normalize_mastodon


_run = payload_runner("mastodon", normalize_mastodon)


def test_mastodon_status_fields_and_html_to_text():
    result = _run("timeline.json")
    first = result.mentions[0]
    assert first.id == "mastodon:113000000000000101"
    assert first.text == "My #Acme X2 leaks again.\n\nSecond paragraph\nwith a line break & an entity."
    assert first.source == "mastodon.social"
    assert first.author.id == "1090101" and first.author.handle == "alice" and first.author.followers == 42
    assert first.author.created_at == datetime(2022, 1, 1, tzinfo=UTC)
    assert (first.author.following, first.author.posts) == (10, 200)
    assert first.language == "en"
    assert first.created_at == datetime(2026, 11, 9, 10, 15, 30, tzinfo=UTC)
    assert (first.metrics.likes, first.metrics.shares, first.metrics.replies) == (7, 3, 2)
    assert first.url == "https://mastodon.social/@alice/113000000000000101"


def test_mastodon_reply_boost_cw_and_poll():
    by_id = {m.id: m for m in _run("timeline.json").mentions}
    assert by_id["mastodon:113000000000000102"].parent_id == "mastodon:113000000000000101"
    assert by_id["mastodon:113000000000000102"].language == "fr"
    boosted = by_id["mastodon:113000000000000099"]
    assert boosted.text == "Acme support was great today!"
    assert boosted.source == "fosstodon.org"
    assert "mastodon:113000000000000103" not in by_id
    assert (
        by_id["mastodon:113000000000000105"].text
        == "Acme X2 review, long\n\nFull review inside.\n\n- Keep it\n- Return it"
    )


def test_mastodon_rejects_direct_and_incomplete_statuses():
    reasons = {r.item_ref: r.reason for r in _run("timeline.json").rejects}
    assert reasons["mastodon:113000000000000104"] == "not public (visibility direct)"
    assert reasons["mastodon:113000000000000106"] == "missing or unreadable creation date"
    assert reasons["mastodon:113000000000000103"].startswith("boost")


def test_mastodon_notifications_keep_mentions_only():
    result = _run("notifications.json")
    assert [m.id for m in result.mentions] == ["mastodon:113000000000000201"]
    assert result.mentions[0].text == "@acme where is my refund?"
    assert result.mentions[0].author.handle == "gina@mas.to"
    assert sorted(r.reason for r in result.rejects) == [
        "notification of type 'favourite' carries no new status",
        "notification of type 'follow' carries no new status",
    ]


def test_mastodon_server_sent_events_stream():
    result = _run("stream_public.txt")
    assert [m.id for m in result.mentions] == ["mastodon:113000000000000301", "mastodon:113000000000000201"]
    assert result.mentions[0].text == "Acme's new ad is everywhere"
    assert result.deletions == ["mastodon:113000000000000102"]
    reasons = [r.reason for r in result.rejects]
    assert "stream event 'filters_changed' carries no status" in reasons
    assert any(r.startswith("stream event 'update': payload is not valid JSON") for r in reasons)


def test_mastodon_websocket_events_keep_the_edited_version():
    result = _run("websocket_events.jsonl")
    (mention,) = result.mentions
    assert mention.text == "Acme's new ad is everywhere (edited)"
    assert result.deletions == ["mastodon:113000000000000101"]


def test_mastodon_search_results_and_source_hint():
    result = _run("search_v2.json", source_hint="mastodon.example")
    assert [m.id for m in result.mentions] == ["mastodon:113000000000000101"]
    assert result.mentions[0].source == "mastodon.example"


def test_mastodon_error_body_is_a_reject():
    result = normalize_mastodon(orjson.dumps({"error": "Record not found"}))
    assert not result.mentions
    assert result.rejects[0].reason == "API error: Record not found"
