"""What a live connector does with a normaliser's result: dedup, watches, dead letters, deletions,
checkpoints; and the webhook receiver's security, against an in-memory record sink."""

import base64
import hashlib
import hmac
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest

from local_server import serving
from memory_sink import MemorySink
from pipeline.settings import Settings
from pipeline.sources.bluesky.normalize import normalize_bluesky
from pipeline.sources.checkpoint import CheckpointStore, RecentIds, latest_by_key
from pipeline.sources.mastodon.normalize import normalize_mastodon
from pipeline.sources.runtime import ConnectorContext, LiveConnector
from pipeline.sources.webhook.connector import WebhookConnector, build_app
from pipeline.sources.x.webhook import x_crc_response
from pipeline.watches import Watches

WATCHES = """
sources:
  - {name: masto, type: mastodon, hashtags: [lumio]}
  - {name: meta, type: webhook, provider: meta, owned: true}
  - {name: xhook, type: webhook, provider: x}
  - {name: push, type: webhook, provider: generic}
watches:
  - {name: Lumio, keywords: [Lumio]}
"""


def settings(**extra):
    return Settings(topic_prefix="t.", meta_app_secret="app-secret", meta_verify_token="verify-me",
                    x_consumer_secret="x-secret", webhook_secret="generic-secret", webhook_max_body_bytes=4096,
                    **extra)


def connector(sink, states=None, source="masto", cls=LiveConnector):
    s = settings()
    watches = Watches.from_yaml(WATCHES)
    context = ConnectorContext(s, sink, watches, CheckpointStore(s, sink, states))
    return cls(watches.sources[source], context)


def status(status_id, text, **extra):
    return {"id": status_id, "created_at": "2026-11-20T08:00:00.000Z", "content": f"<p>{text}</p>",
            "visibility": "public", "url": f"https://m.example/@a/{status_id}",
            "account": {"id": "7", "acct": "a@m.example", "followers_count": 3}, **extra}


async def test_connectors_runtime_emit_dedups_matches_and_dead_letters():
    sink = MemorySink()
    live = connector(sink)
    page = orjson.dumps([status("1", "Ma Lumio Halo clignote"), status("2", "rien à voir"),
                         {"id": "3", "content": 42}, status("4", "boost", reblog=status("1", "Ma Lumio Halo clignote"))])
    outcome = await live.emit(normalize_mastodon(page), payload=page, where="http://m.example/tag/lumio")
    again = await live.emit(normalize_mastodon(page), payload=page, where="http://m.example/tag/lumio")

    raw = sink.values("t.mentions.raw")
    assert [m["id"] for m in raw] == ["mastodon:1"]
    assert raw[0]["watch"] == ["Lumio"]
    assert (outcome.sent, outcome.unmatched) == (1, 1)
    assert again.sent == 0 and again.duplicates >= 1
    dead = sink.values("t.mentions.deadletter")
    assert len(dead) == 1  # the broken item once: the same payload again is not dead-lettered twice
    assert dead[0]["source"] == "masto" and dead[0]["stage"] == "connect"
    assert dead[0]["source_topic"] == "http://m.example/tag/lumio"
    assert b'"id":"3"' in base64.b64decode(dead[0]["raw_base64"])
    assert live.stats.skipped == 2  # the boost wrapper, both times


async def test_connectors_runtime_deletions_go_to_erasures():
    sink = MemorySink()
    live = connector(sink)
    stream = b"event: delete\ndata: 99\n\n"
    await live.emit(normalize_mastodon(stream), payload=stream, where="stream")
    erasures = sink.values("t.erasures")
    assert erasures[0]["mention_id"] == "mastodon:99" and erasures[0]["type"] == "mention"
    assert [key for topic, key, _ in sink.records if topic == "t.erasures"] == [b"mention:mastodon:99"]
    assert not sink.values("t.mentions.deadletter")


async def test_connectors_runtime_checkpoint_carries_dedup_and_cursors_across_restarts():
    sink = MemorySink()
    live = connector(sink)
    page = orjson.dumps([status("1", "Lumio encore")])
    await live.emit(normalize_mastodon(page), payload=page, where="w")
    live.cursors["hashtag:lumio"] = {"min_id": "1"}
    await live.checkpoint()
    topic, key, value = sink.records[-1]
    assert topic == "t.connector.state" and key == b"masto"
    assert sink.flushes >= 1  # mentions acknowledged before the checkpoint that covers them

    restarted = connector(MemorySink(), latest_by_key([(key, value)]))
    assert restarted.cursors == {"hashtag:lumio": {"min_id": "1"}}
    outcome = await restarted.emit(normalize_mastodon(page), payload=page, where="w")
    assert outcome.sent == 0 and outcome.duplicates == 1
    assert restarted.stats.sent == 1  # statistics continue


def test_connectors_runtime_checkpoint_compaction_by_hand():
    states = latest_by_key([(b"a", b'{"n": 1}'), (b"b", b'{"n": 1}'), (b"a", b'{"n": 2}'), (b"b", None),
                            (b"c", b"not json"), (None, b"{}")])
    assert states == {"a": {"n": 2}}


def test_connectors_runtime_recent_ids_are_bounded():
    recent = RecentIds(3, ["a", "b", "c", "d"])
    assert "a" not in recent and recent.newest(2) == ["c", "d"]
    assert recent.add("e") and not recent.add("e")


ACCOUNT = {"id": "1", "acct": "a", "username": "a"}
STATUS = {"id": "2", "created_at": "2026-11-01T10:00:00Z", "content": "<p>Lumio</p>", "account": ACCOUNT,
          "visibility": "public", "url": "https://m.test/@a/2"}


@pytest.mark.parametrize("normalize, payload, reason, skipped", [
    (normalize_mastodon, [{**STATUS, "id": "1", "content": "", "reblog": STATUS}],
     "boost: the boosted status is normalised instead", True),
    (normalize_mastodon, [{**STATUS, "visibility": "direct"}], "not public (visibility direct)", True),
    (normalize_mastodon, [{"id": "9", "type": "follow", "account": ACCOUNT}],
     "notification of type 'follow' carries no new status", True),
    (normalize_bluesky, {"did": "did:plc:x", "kind": "commit", "time_us": 1,
                         "commit": {"operation": "create", "collection": "app.bsky.feed.like", "rkey": "r"}},
     "create of app.bsky.feed.like: not a post", True),
    (normalize_bluesky, {"did": "did:plc:x", "kind": "identity", "time_us": 1}, "identity event: not a post", True),
    (normalize_mastodon, [{**STATUS, "created_at": None}], "missing or unreadable creation date", False),
    (normalize_mastodon, b"{", "item cut off by a truncated payload", False),
])
def test_connectors_runtime_only_benign_rejects_are_skipped(normalize, payload, reason, skipped):
    result = normalize(payload if isinstance(payload, bytes) else orjson.dumps(payload))
    assert [r.skipped for r in result.rejects if r.reason == reason] == [skipped]


# --- webhook receiver ------------------------------------------------------------------------------

@asynccontextmanager
async def receiver(sink):
    connectors = [connector(sink, source=name, cls=WebhookConnector) for name in ("meta", "xhook", "push")]
    async with serving(build_app(connectors, 4096)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


META_EVENT = orjson.dumps({"object": "page", "entry": [{"id": "55", "time": 1763625600, "changes": [{
    "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "55_1", "post_id": "55_2",
                               "from": {"id": "9", "name": "Jo"}, "created_time": 1763625600,
                               "message": "Toujours pas de réponse du SAV"}}]}]})


def meta_sign(body, secret=b"app-secret"):
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


async def test_connectors_webhook_meta_handshake_and_signature():
    sink = MemorySink()
    async with receiver(sink) as client:
        ok = await client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                                         "hub.challenge": "1158201444"})
        wrong = await client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                            "hub.challenge": "1"})
        unsigned = await client.post("/webhooks/meta", content=META_EVENT)
        forged = await client.post("/webhooks/meta", content=META_EVENT,
                                   headers={"X-Hub-Signature-256": meta_sign(META_EVENT, b"guess")})
        tampered = await client.post("/webhooks/meta", content=META_EVENT + b" ",
                                     headers={"X-Hub-Signature-256": meta_sign(META_EVENT)})
        signed = await client.post("/webhooks/meta", content=META_EVENT,
                                   headers={"X-Hub-Signature-256": meta_sign(META_EVENT)})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert wrong.status_code == 403
    assert [r.status_code for r in (unsigned, forged, tampered)] == [401, 401, 401]
    assert signed.status_code == 200 and signed.json()["accepted"] == 1
    raw = sink.values("t.mentions.raw")
    assert [m["id"] for m in raw] == ["facebook:55_1"] and raw[0]["watch"] == ["Lumio"]  # owned page


async def test_connectors_webhook_refuses_big_bodies():
    sink = MemorySink()
    body = b"{" + b" " * 5000 + b"}"
    async with receiver(sink) as client:
        response = await client.post("/webhooks/meta", content=body, headers={"X-Hub-Signature-256": meta_sign(body)})
    assert response.status_code == 413
    assert not sink.records


async def test_connectors_webhook_x_crc_and_signature():
    sink = MemorySink()
    tweet = orjson.dumps({"for_user_id": "1", "tweet_create_events": [{
        "id_str": "1790", "created_at": "Fri Nov 20 08:00:00 +0000 2026", "text": "short",
        "extended_tweet": {"full_text": "Ma Lumio ne se connecte plus au wifi"},
        "user": {"id_str": "5", "screen_name": "jo", "followers_count": 10}}]})
    signature = "sha256=" + base64.b64encode(hmac.new(b"x-secret", tweet, hashlib.sha256).digest()).decode()
    async with receiver(sink) as client:
        crc = await client.get("/webhooks/xhook", params={"crc_token": "challenge"})
        refused = await client.post("/webhooks/xhook", content=tweet, headers={"x-twitter-webhooks-signature": "sha256=AAAA"})
        accepted = await client.post("/webhooks/xhook", content=tweet, headers={"x-twitter-webhooks-signature": signature})
    expected = base64.b64encode(hmac.new(b"x-secret", b"challenge", hashlib.sha256).digest()).decode()
    assert crc.json() == {"response_token": f"sha256={expected}"} == x_crc_response("x-secret", "challenge")
    assert refused.status_code == 401 and accepted.status_code == 200
    raw = sink.values("t.mentions.raw")
    assert raw[0]["id"] == "twitter:1790" and raw[0]["text"] == "Ma Lumio ne se connecte plus au wifi"


async def test_connectors_webhook_generic_mentions_and_bad_body_dead_lettered():
    sink = MemorySink()
    good = orjson.dumps({"id": "forum:7", "platform": "forum", "native_id": "7", "source": "forum.example",
                         "author": {"id": "u"}, "text": "Lumio Hub hors service", "created_at": "2026-11-20T08:00:00Z"})
    bad = b'{"id": "forum:8", "text": '
    async with receiver(sink) as client:
        sign = lambda body: {"X-Veille-Signature": "sha256=" + hmac.new(b"generic-secret", body, hashlib.sha256).hexdigest()}
        first = await client.post("/webhooks/push", content=good, headers=sign(good))
        second = await client.post("/webhooks/push", content=bad, headers=sign(bad))
    assert first.status_code == 200 and second.status_code == 200
    assert [m["id"] for m in sink.values("t.mentions.raw")] == ["forum:7"]
    dead = sink.values("t.mentions.deadletter")
    assert dead[0]["source"] == "push" and base64.b64decode(dead[0]["raw_base64"]) == bad
