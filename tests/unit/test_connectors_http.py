"""The polite HTTP layer against a local HTTP server that records what it received."""

import time
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from local_server import serving
from pipeline.sources.http import (
    FetchError,
    PoliteClient,
    ResponseTooLarge,
    rate_limit_pause,
    redact,
)


@asynccontextmanager
async def serve(handler):
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with serving(app) as base_url:
        yield base_url


def client(**options):
    return PoliteClient(user_agent="veille-test", min_interval=0, base_backoff=0.05, **options)


async def test_connectors_http_retries_429_after_retry_after():
    seen = []

    async def handler(request):
        seen.append(time.monotonic())
        if len(seen) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(body=b"ok")

    async with serve(handler) as base:
        http = client()
        response = await http.get(f"{base}/feed")
        await http.aclose()
    assert response.body == b"ok"
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.95  # waited as long as the server asked


async def test_connectors_http_retries_503_then_gives_up_with_the_status():
    calls = []

    async def handler(request):
        calls.append(1)
        return web.Response(status=503, text="down")

    async with serve(handler) as base:
        http = client(max_retries=2)
        with pytest.raises(FetchError) as error:
            await http.get(f"{base}/x")
        await http.aclose()
    assert len(calls) == 3
    assert error.value.status == 503
    assert "gave up after 3 attempts" in error.value.reason


async def test_connectors_http_does_not_retry_404_and_hides_the_key():
    calls = []

    async def handler(request):
        calls.append(1)
        return web.Response(status=404)

    async with serve(handler) as base:
        http = client()
        with pytest.raises(FetchError) as error:
            await http.get(f"{base}/commentThreads", params={"key": "SECRET123", "videoId": "v"})
        await http.aclose()
    assert len(calls) == 1
    assert "SECRET123" not in str(error.value) and "key=***" in error.value.reason


async def test_connectors_http_conditional_get_sends_validators():
    received = []

    async def handler(request):
        received.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Wed, 18 Nov 2026 10:00:00 GMT"})

    async with serve(handler) as base:
        http = client()
        first = await http.get(f"{base}/feed")
        second = await http.get(f"{base}/feed", validators=first.validators)
        await http.aclose()
    assert first.validators == {"etag": '"v1"', "last_modified": "Wed, 18 Nov 2026 10:00:00 GMT"}
    assert second.not_modified
    assert received[1]["If-Modified-Since"] == "Wed, 18 Nov 2026 10:00:00 GMT"
    assert received[0]["User-Agent"] == "veille-test"


async def test_connectors_http_refuses_enormous_bodies():
    async def handler(request):
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 1024)
        return response

    async with serve(handler) as base:
        http = client(max_bytes=10_000)
        with pytest.raises(ResponseTooLarge) as error:
            await http.get(f"{base}/huge")
        await http.aclose()
    assert "10000-byte limit" in error.value.reason
    assert error.value.body.startswith(b"xxx")


def test_connectors_http_rate_limit_headers():
    assert rate_limit_pause({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"}) == 42
    assert rate_limit_pause({"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "2000000100"}, now=2000000000) == 100
    assert rate_limit_pause({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "42"}) is None
    assert rate_limit_pause({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-11-18T10:01:00Z"},
                            now=1794996000.0) == 60


def test_connectors_http_redact():
    assert redact("https://h/x?key=abc&videoId=v&access_token=t") == "https://h/x?key=***&videoId=v&access_token=***"
