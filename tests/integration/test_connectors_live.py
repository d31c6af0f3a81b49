"""Every live connector against a local server that answers like the real APIs (RSS, Mastodon, Reddit,
Hacker News' Algolia, YouTube, Jetstream websocket, webhooks), through to the session's real broker:
mentions in mentions.raw, bad payloads in the dead-letter topic, checkpoints in connector.state, and a
second run that resumes from them (conditional GET, min_id, cursors) without sending anything twice.

The topics are this module's own (a random topic prefix), created with ``apply_topics``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from aiohttp import WSMsgType, web
from pydantic import SecretStr

from pipeline.kafka_tools import read_topic
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.sources.checkpoint import load_checkpoints
from pipeline.sources.runner import run_sources, select_sources
from pipeline.sources.status import connector_health
from pipeline.stack import free_port
from pipeline.topics import apply_topics
from pipeline.watches import Watches

pytestmark = pytest.mark.integration

SHARED = Path(__file__).resolve().parents[3] / "shared" / "payloads"
NOW = int(datetime.now(UTC).timestamp())


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def rfc822(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


class FakeAPIs:
    """One aiohttp app answering like each source's API; ``round`` adds one new item per source."""

    def __init__(self):
        self.round = 1
        self.requests: list[tuple[str, dict, dict]] = []
        self.reddit_429_sent = False
        self.jetstream_cursors: list[str | None] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feeds/blog.xml", self.blog_feed)
        app.router.add_get("/feeds/broken.xml", self.broken_feed)
        app.router.add_get("/feeds/shared/{name}", self.shared_feed)
        app.router.add_get("/api/v1/timelines/tag/{tag}", self.mastodon_tag)
        app.router.add_get("/r/{sub}/new.json", self.reddit_new)
        app.router.add_get("/r/{sub}/comments.json", self.reddit_comments)
        app.router.add_get("/api/v1/search_by_date", self.hn_search)
        app.router.add_get("/youtube/v3/commentThreads", self.youtube_threads)
        app.router.add_get("/subscribe", self.jetstream)
        app.router.add_get("/api/v1/streaming/hashtag", self.mastodon_stream)
        return app

    def record(self, request: web.Request) -> None:
        self.requests.append((request.path, dict(request.query), dict(request.headers)))

    # --- RSS ---
    async def blog_feed(self, request):
        self.record(request)
        etag = f'"blog-{self.round}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        items = [("b1", "Test de la Lumio Halo", "La Lumio Halo éclaire bien mais l'appli plante.", NOW - 3600),
                 ("b2", "Recette de crêpes", "Rien à voir avec une marque.", NOW - 3000)]
        if self.round >= 2:
            items.append(("b3", "Nordlys Aurora 2 contre Lumio", "Comparatif des deux lampes.", NOW - 60))
        entries = "".join(f"<item><guid>https://blog.example/{g}</guid><title>{t}</title><link>https://blog.example/{g}</link>"
                          f"<description>{d}</description><pubDate>{rfc822(p)}</pubDate></item>" for g, t, d, p in items)
        body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>{entries}</channel></rss>'
        return web.Response(body=body.encode(), content_type="application/rss+xml", headers={"ETag": etag})

    async def broken_feed(self, request):
        self.record(request)
        return web.Response(body=b"<html><body>502 Bad Gateway<p>", content_type="application/rss+xml")

    async def shared_feed(self, request):
        self.record(request)
        return web.Response(body=(SHARED / "rss" / request.match_info["name"]).read_bytes(), content_type="application/xml")

    # --- Mastodon ---
    def status(self, status_id: int, text: str, created: int) -> dict:
        return {"id": str(status_id), "created_at": iso(created), "visibility": "public", "language": "fr",
                "uri": f"https://masto.example/users/a/statuses/{status_id}",
                "url": f"https://masto.example/@a/{status_id}", "content": f"<p>{text}</p>",
                "replies_count": 0, "reblogs_count": 1, "favourites_count": 2,
                "account": {"id": "77", "acct": "alice@masto.example", "display_name": "Alice", "followers_count": 12}}

    async def mastodon_tag(self, request):
        self.record(request)
        statuses = [self.status(110000000000000001, "Ma #Lumio Halo ne s'allume plus", NOW - 600),
                    self.status(110000000000000002, "#lumio toujours aussi belle", NOW - 500)]
        if self.round >= 2:
            statuses.append(self.status(110000000000000003, "SAV #Lumio injoignable", NOW - 30))
        min_id = request.query.get("min_id")
        if min_id:
            statuses = [s for s in statuses if (len(s["id"]), s["id"]) > (len(min_id), min_id)]
        return web.json_response(sorted(statuses, key=lambda s: s["id"], reverse=True))

    async def mastodon_stream(self, request):
        self.record(request)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        live = self.status(110000000000000009, "En direct : ma Lumio a pris feu", NOW - 5)
        await response.write(b":thump\n\n")
        await response.write(b"event: update\ndata: " + orjson.dumps(live) + b"\n\n")
        await response.write(b"event: update\ndata: {\"id\": \"110000000000000010\", \"content\n\n")
        await response.write(b"event: delete\ndata: 110000000000000001\n\n")
        try:
            while True:  # heartbeats until the client goes away
                await asyncio.sleep(0.5)
                await response.write(b":thump\n\n")
        except ConnectionResetError:
            return response

    # --- Reddit ---
    def thing(self, kind: str, short: str, text: str, created: int) -> dict:
        data = {"id": short, "name": f"{kind}_{short}", "subreddit": "smarthome", "author": "bob",
                "author_fullname": "t2_bob", "created_utc": float(created), "score": 3, "num_comments": 1,
                "permalink": f"/r/smarthome/comments/{short}/x/"}
        if kind == "t3":
            data.update(title=text, selftext="", url=f"https://www.reddit.com/r/smarthome/comments/{short}/x/")
        else:
            data.update(body=text, link_id="t3_p1", parent_id="t3_p1")
        return {"kind": kind, "data": data}

    async def reddit_new(self, request):
        self.record(request)
        if not self.reddit_429_sent:
            self.reddit_429_sent = True
            return web.Response(status=429, headers={"Retry-After": "1"}, text="Too Many Requests")
        children = [self.thing("t3", "p1", "Lumio Hub or Nordlys bridge?", NOW - 900)]
        if self.round >= 2:
            children.insert(0, self.thing("t3", "p2", "My Lumio Strip died after a week", NOW - 20))
        return web.json_response({"kind": "Listing", "data": {"after": None, "children": children}},
                                 headers={"X-Ratelimit-Remaining": "99", "X-Ratelimit-Reset": "300"})

    async def reddit_comments(self, request):
        self.record(request)
        children = [self.thing("t1", "c1", "Get the Lumio, the Nordlys app is awful", NOW - 800),
                    {"kind": "t1", "data": {"id": "c2", "name": "t1_c2"}}]  # missing fields: a dead letter
        return web.json_response({"kind": "Listing", "data": {"after": None, "children": children}})

    # --- Hacker News (Algolia) ---
    async def hn_search(self, request):
        self.record(request)
        hits = [{"objectID": "4001", "title": "Show HN: reverse-engineering the Lumio Hub protocol",
                 "url": "https://example.org/lumio", "author": "pg2", "points": 40, "num_comments": 3,
                 "created_at_i": NOW - 1200, "_tags": ["story"]}]
        if self.round >= 2:
            hits.insert(0, {"objectID": "4002", "comment_text": "The Lumio Hub uses plain MQTT", "author": "tptacek2",
                             "created_at_i": NOW - 10, "story_id": 4001, "parent_id": 4001, "_tags": ["comment"]})
        return web.json_response({"hits": hits, "nbPages": 1, "page": int(request.query.get("page", 0))})

    # --- YouTube ---
    async def youtube_threads(self, request):
        self.record(request)
        if request.query.get("key") != "yt-key":
            return web.json_response({"error": {"code": 403, "message": "bad key"}}, status=403)
        shared = SHARED / "youtube" / "comment_threads_multi.json"
        if shared.exists():
            return web.Response(body=shared.read_bytes(), content_type="application/json")
        return web.json_response({"items": [{"kind": "youtube#commentThread", "id": "th1", "snippet": {
            "videoId": "vid1", "totalReplyCount": 0, "topLevelComment": {"kind": "youtube#comment", "id": "th1", "snippet": {
                "textOriginal": "Love this lamp", "authorDisplayName": "Zoe", "authorChannelId": {"value": "UCz"},
                "publishedAt": iso(NOW - 100), "likeCount": 1, "videoId": "vid1"}}}}]})

    # --- Jetstream ---
    def post_event(self, rkey: str, text: str, time_us: int) -> dict:
        return {"did": "did:plc:abc123", "time_us": time_us, "kind": "commit", "commit": {
            "rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey,
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
            "record": {"$type": "app.bsky.feed.post", "createdAt": iso(time_us // 1_000_000), "langs": ["en"],
                       "text": text}}}

    async def jetstream(self, request):
        self.record(request)
        self.jetstream_cursors.append(request.query.get("cursor"))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        base = NOW * 1_000_000
        events = [
            self.post_event("3k1", "The Lumio Halo Mini is on sale", base - 50_000_000),
            self.post_event("3k2", "unrelated post about cats", base - 40_000_000),
            {"did": "did:plc:abc123", "time_us": base - 35_000_000, "kind": "identity", "identity": {"handle": "x"}},
            b"{not json at all",
            self.post_event("3k3", "Nordlys Aurora 2 review", base - 30_000_000),
        ]
        if self.round >= 2:
            events.append(self.post_event("3k4", "Lumio support answered in 5 minutes!", base - 1_000_000))
        cursor = int(request.query.get("cursor") or 0)
        for event in events:
            if isinstance(event, bytes):
                await ws.send_str(event.decode())
            elif event["time_us"] >= cursor:
                await ws.send_str(orjson.dumps(event).decode())
        async for message in ws:  # keep the connection open until the client leaves
            if message.type == WSMsgType.CLOSE:
                break
        return ws


def watches_yaml(base: str, shared_feeds: list[str]) -> str:
    shared = "\n".join(f"      - {base}/feeds/shared/{name}" for name in shared_feeds)
    shared_source = f"""
  - name: shared-feeds
    type: rss
    owned: true
    feeds:
{shared}""" if shared_feeds else ""
    return f"""
sources:
  - {{name: blogs, type: rss, feeds: ["{base}/feeds/blog.xml", "{base}/feeds/broken.xml"]}}{shared_source}
  - {{name: masto, type: mastodon, base_url: "{base}", hashtags: [lumio]}}
  - {{name: reddit, type: reddit, base_url: "{base}", subreddits: [smarthome], searches: []}}
  - {{name: hn, type: hackernews, base_url: "{base}", searches: [lumio]}}
  - {{name: yt, type: youtube, base_url: "{base}/youtube/v3", owned: true, videos: [vid1]}}
  - {{name: bsky, type: bluesky, base_url: "ws://{base.removeprefix('http://')}"}}
  - {{name: pages, type: webhook, provider: meta, owned: true}}
watches:
  - {{name: Lumio, keywords: [Lumio, "Halo Mini"]}}
  - {{name: Nordlys, kind: competitor, keywords: [Nordlys]}}
"""


@pytest.fixture(scope="module")
def conn_settings(stack, settings):
    prefixed = settings.model_copy(update={
        "topic_prefix": f"conn{uuid.uuid4().hex[:8]}.",
        "connector": settings.connector.model_copy(update={"min_interval": 0.0, "max_backoff": 5.0,
                                                           "checkpoint_seconds": 0.5}),
        "youtube": settings.youtube.model_copy(update={"api_key": SecretStr("yt-key")}),
        "meta": settings.meta.model_copy(update={"app_secret": SecretStr("app-secret"),
                                                 "verify_token": SecretStr("verify-me")}),
        "webhook": settings.webhook.model_copy(update={"port": free_port()}),
    })
    apply_topics(prefixed)
    return prefixed


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def run_once(settings, watches: Watches, names: list[str]) -> dict:
    stop = asyncio.Event()
    async with KafkaRecordSink(settings) as sink:
        report = await run_sources(settings, watches, select_sources(watches, names), sink, stop, once=True)
    return report.stats


async def topic_values(settings, name: str) -> list[dict]:
    return [orjson.loads(r.value) for r in await read_topic(settings, settings.topic(name))]


async def test_connectors_live_every_source_to_kafka_and_resume(conn_settings, tmp_path):
    apis = FakeAPIs()
    runner, base = await start(apis.app())
    shared_feeds = [n for n in ("aaa_illformed.xml", "bozo_linenoise.xml", "illformed_chardet_koi8r.xml",
                                "http_high_bit_date.xml") if (SHARED / "rss" / n).exists()]
    names = ["blogs", "masto", "reddit", "hn", "yt", "bsky"] + (["shared-feeds"] if shared_feeds else [])
    try:
        watches = Watches.from_yaml(watches_yaml(base, shared_feeds))
        first = await run_once(conn_settings, watches, names)

        raw = await topic_values(conn_settings, "mentions.raw")
        ids = {m["id"]: m for m in raw}
        expected_first = {
            "rss:https://blog.example/b1", "mastodon:110000000000000001", "mastodon:110000000000000002",
            "reddit:t3_p1", "reddit:t1_c1", "hackernews:4001", "bluesky:at://did:plc:abc123/app.bsky.feed.post/3k1",
            "bluesky:at://did:plc:abc123/app.bsky.feed.post/3k3",
        }
        assert expected_first <= set(ids), sorted(set(ids))
        assert "rss:https://blog.example/b2" not in ids  # no watch matches the crêpes
        assert ids["reddit:t1_c1"]["watch"] == ["Lumio", "Nordlys"]
        assert ids["bluesky:at://did:plc:abc123/app.bsky.feed.post/3k3"]["watch"] == ["Nordlys"]
        assert any(i.startswith("youtube:") for i in ids)  # owned channel: every comment
        assert len(raw) == len(ids)  # nothing twice
        assert first["reddit"].errors == 0 and apis.reddit_429_sent  # the 429 was waited out, not an error

        dead = await topic_values(conn_settings, "mentions.deadletter")
        by_source = {}
        for record in dead:
            by_source.setdefault(record["source"], []).append(record)
        assert any("malformed feed" in d["reason"] or "not a feed" in d["reason"] for d in by_source["blogs"])
        assert any(d["source_topic"].endswith("/feeds/broken.xml") for d in by_source["blogs"])
        assert any("not JSON" in d["reason"] for d in by_source["bsky"])
        assert by_source["reddit"] and all(d["raw_base64"] for d in by_source["reddit"])
        if shared_feeds:
            assert first["shared-feeds"].errors == 0  # ill-formed feeds do not stop the connector

        states = await load_checkpoints(conn_settings)
        assert set(names) <= set(states)
        assert states["blogs"]["cursors"][f"{base}/feeds/blog.xml"]["validators"]["etag"] == '"blog-1"'
        assert states["masto"]["cursors"]["hashtag:lumio"]["min_id"] == "110000000000000002"
        assert states["bsky"]["cursors"]["jetstream"]["time_us"] == NOW * 1_000_000 - 30_000_000
        now = datetime.now(UTC)
        assert connector_health("masto", "mastodon", states["masto"], now).health == "ok"

        # Second run, a fresh process's view: resumes from the checkpoints, only new items are sent.
        apis.round = 2
        apis.requests.clear()
        second = await run_once(conn_settings, Watches.from_yaml(watches_yaml(base, shared_feeds)), names)
        raw = await topic_values(conn_settings, "mentions.raw")
        new_ids = [m["id"] for m in raw if m["id"] not in ids]
        assert sorted(new_ids) == sorted([
            "rss:https://blog.example/b3", "mastodon:110000000000000003", "reddit:t3_p2", "hackernews:4002",
            "bluesky:at://did:plc:abc123/app.bsky.feed.post/3k4"])
        assert len(raw) == len({m["id"] for m in raw})

        sent = {path: (query, headers) for path, query, headers in apis.requests}
        assert sent["/feeds/blog.xml"][1].get("If-None-Match") == '"blog-1"'
        assert sent["/api/v1/timelines/tag/lumio"][0]["min_id"] == "110000000000000002"
        assert sent["/api/v1/search_by_date"][0]["numericFilters"] == f"created_at_i>={NOW - 1200}"
        assert int(apis.jetstream_cursors[-1]) == NOW * 1_000_000 - 30_000_000 - 5_000_000
        assert second["blogs"].sent == 2  # statistics carry across restarts: 1 + 1
        dead_again = await topic_values(conn_settings, "mentions.deadletter")
        assert not [d for d in dead_again if d["source"] == "blogs" and d not in dead]  # same broken feed: once
    finally:
        await runner.cleanup()


async def test_connectors_live_unchanged_feed_costs_a_304(conn_settings):
    apis = FakeAPIs()
    runner, base = await start(apis.app())
    try:
        text = f"""
sources: [{{name: etag-feed, type: rss, feeds: ["{base}/feeds/blog.xml"]}}]
watches: [{{name: Lumio, keywords: [Lumio]}}]
"""
        await run_once(conn_settings, Watches.from_yaml(text), ["etag-feed"])
        stats = await run_once(conn_settings, Watches.from_yaml(text), ["etag-feed"])
        statuses = [headers.get("If-None-Match") for path, _, headers in apis.requests]
        assert statuses == [None, '"blog-1"']
        assert stats["etag-feed"].sent == 1  # the first run's mention, counted across the restart
    finally:
        await runner.cleanup()


async def test_connectors_live_webhook_receiver_to_kafka(conn_settings):
    apis = FakeAPIs()
    runner, base = await start(apis.app())
    watches = Watches.from_yaml(watches_yaml(base, []))
    stop = asyncio.Event()
    event = orjson.dumps({"object": "page", "entry": [{"id": "55", "time": NOW, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": "55_901", "post_id": "55_900", "from": {"id": "9", "name": "Jo"},
        "created_time": NOW, "message": "Commande jamais reçue"}}]}]})
    signature = "sha256=" + hmac.new(b"app-secret", event, hashlib.sha256).hexdigest()
    url = f"http://127.0.0.1:{conn_settings.webhook.port}/webhooks/pages"  # default path: /webhooks/<name>
    try:
        async with KafkaRecordSink(conn_settings) as sink:
            serving = asyncio.create_task(run_sources(conn_settings, watches, select_sources(watches, ["pages"]),
                                                      sink, stop))
            async with httpx.AsyncClient() as client:
                for _ in range(50):
                    try:
                        handshake = await client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                                                  "hub.challenge": "42"})
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.1)
                unsigned = await client.post(url, content=event)
                accepted = await client.post(url, content=event, headers={"X-Hub-Signature-256": signature})
            stop.set()
            await serving
        assert handshake.text == "42"
        assert unsigned.status_code == 401
        assert accepted.status_code == 200
        raw = await topic_values(conn_settings, "mentions.raw")
        assert any(m["id"] == "facebook:55_901" and m["watch"] == ["Lumio", "Nordlys"] for m in raw)
        states = await load_checkpoints(conn_settings)
        assert states["pages"]["stats"]["refused"] == 1
    finally:
        await runner.cleanup()


def test_connectors_live_signature_helpers_match_the_providers_examples():
    # X's documented CRC construction: base64 of HMAC-SHA256(consumer secret, crc_token).
    from pipeline.sources.x.webhook import x_crc_response

    digest = hmac.new(b"secret", b"token", hashlib.sha256).digest()
    assert x_crc_response("secret", "token") == {"response_token": "sha256=" + base64.b64encode(digest).decode()}


async def test_connectors_live_mastodon_streaming_backfills_then_streams(conn_settings):
    apis = FakeAPIs()
    runner, base = await start(apis.app())
    text = f"""
sources: [{{name: masto-stream, type: mastodon, base_url: "{base}", hashtags: [lumio], stream: hashtag}}]
watches: [{{name: Lumio, keywords: [Lumio]}}]
"""
    watches = Watches.from_yaml(text)
    stop = asyncio.Event()
    try:
        async with KafkaRecordSink(conn_settings) as sink:
            task = asyncio.create_task(run_sources(conn_settings, watches, select_sources(watches, None), sink, stop))
            for _ in range(100):
                if any(path == "/api/v1/streaming/hashtag" for path, _, _ in apis.requests):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
            stop.set()
            report = await task
        stats = report.stats["masto-stream"]
        assert stats.sent == 3  # two from the backfill poll, one streamed
        assert stats.deletions == 1 and stats.dead_letters >= 1  # the truncated event
        paths = [path for path, _, _ in apis.requests]
        assert paths.index("/api/v1/timelines/tag/lumio") < paths.index("/api/v1/streaming/hashtag")
        erasures = await topic_values(conn_settings, "erasures")
        assert any(e["mention_id"] == "mastodon:110000000000000001" for e in erasures)
        states = await load_checkpoints(conn_settings)
        assert states["masto-stream"]["cursors"]["hashtag:lumio"]["min_id"] == "110000000000000009"
    finally:
        await runner.cleanup()


async def test_connectors_live_connect_and_status_commands(conn_settings, stack_env, tmp_path):
    """`veille connect` runs until SIGTERM and saves its checkpoint; `veille status` reports it."""
    import os
    import signal
    import sys

    apis = FakeAPIs()
    runner, base = await start(apis.app())
    watches_file = tmp_path / "watches.yaml"
    watches_file.write_text(f"""
sources:
  - {{name: cli-blog, type: rss, poll_seconds: 60, feeds: ["{base}/feeds/blog.xml"]}}
  - {{name: cli-hn, type: hackernews, base_url: "{base}", searches: [lumio]}}
  - {{name: cli-never, type: rss, enabled: true, feeds: ["{base}/feeds/blog.xml"]}}
watches: [{{name: Lumio, keywords: [Lumio]}}]
""")
    env = {**os.environ, **stack_env, "VEILLE_TOPIC_PREFIX": conn_settings.topic_prefix,
           "VEILLE_WATCHES_FILE": str(watches_file), "VEILLE_CONNECTOR_MIN_INTERVAL": "0"}
    root = Path(__file__).resolve().parents[2]
    try:
        once = await asyncio.create_subprocess_exec(sys.executable, "-m", "pipeline", "connect", "--once", "cli-hn",
                                                    env=env, cwd=root, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(once.communicate(), 120)
        assert once.returncode == 0, err.decode()[-2000:]
        assert "cli-hn: 1 mention(s) sent" in out.decode()

        forever = await asyncio.create_subprocess_exec(sys.executable, "-m", "pipeline", "connect", "cli-blog",
                                                       env=env, cwd=root, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.PIPE)
        for _ in range(300):
            if any(path == "/feeds/blog.xml" for path, _, _ in apis.requests):
                break
            await asyncio.sleep(0.1)
        forever.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(forever.communicate(), 60)
        assert forever.returncode == 0, err.decode()[-2000:]
        assert "cli-blog: 1 mention(s) sent" in out.decode()

        status = await asyncio.create_subprocess_exec(sys.executable, "-m", "pipeline", "status", env=env, cwd=root,
                                                      stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(status.communicate(), 120)
        lines = {line.split()[0]: line for line in out.decode().splitlines() if line.strip()}
        assert status.returncode == 0, out.decode() + err.decode()[-2000:]
        assert " ok " in lines["cli-blog"] and "sent       1" in lines["cli-blog"]
        assert " ok " in lines["cli-hn"]
        assert "never run" in lines["cli-never"]
        assert any("consumer lag" in line for line in out.decode().splitlines())
    finally:
        await runner.cleanup()
