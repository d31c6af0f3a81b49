"""Fuzzing the webhook receiver over real HTTP (aiohttp on a free port, in a thread of its own) with every
provider's secret configured: any path, method, signature header and body (random bytes, truncated or
deeply nested JSON, over the size limit) is answered without a 500 or a traceback, every refusal says
why, a forged signature is always a 401, and a correctly signed mention is accepted."""

from __future__ import annotations

import os
import asyncio
import hashlib
import hmac
import threading

import httpx
import orjson
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from memory_sink import MemorySink
from pipeline.settings import Settings
from pipeline.sources.checkpoint import CheckpointStore
from pipeline.sources.facebook.webhook import META_SIGNATURE, meta_signature
from pipeline.sources.runtime import ConnectorContext
from pipeline.sources.webhook.connector import WebhookConnector, build_app
from pipeline.sources.webhook.provider import GENERIC_SIGNATURE, generic_signature
from pipeline.sources.x.webhook import X_SIGNATURE, x_signature
from pipeline.watches import Watches

MAX_BODY = 8192
SECRETS = {"generic": "generic-secret", "meta": "meta-secret", "x": "x-secret"}
PATHS = {"generic": "/webhooks/push", "meta": "/webhooks/pages", "x": "/webhooks/xacct"}
HEADERS = {"generic": GENERIC_SIGNATURE, "meta": META_SIGNATURE, "x": X_SIGNATURE}
SIGNERS = {"generic": generic_signature, "meta": meta_signature, "x": x_signature}
WATCHES = """
sources:
  - {name: push, type: webhook, provider: generic}
  - {name: pages, type: webhook, provider: meta}
  - {name: xacct, type: webhook, provider: x}
watches:
  - {name: Lumio, keywords: [Lumio]}
"""
MENTION = {"id": "forum:7", "platform": "forum", "native_id": "7", "source": "forum.example", "author": {"id": "u"},
           "text": "Lumio Hub hors service", "created_at": "2026-11-20T08:00:00Z"}
# VEILLE_FUZZ_EXAMPLES=3000 for a longer run.
FUZZ = settings(max_examples=int(os.environ.get("VEILLE_FUZZ_EXAMPLES", 300)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def receiver():
    settings_ = Settings(topic_prefix="fuzz.", webhook_secret=SecretStr(SECRETS["generic"]),
                         meta_app_secret=SecretStr(SECRETS["meta"]), x_consumer_secret=SecretStr(SECRETS["x"]),
                         meta_verify_token=SecretStr("verify-me"), webhook_max_body_bytes=MAX_BODY)
    watches = Watches.from_yaml(WATCHES)
    sink = MemorySink()
    context = ConnectorContext(settings_, sink, watches, CheckpointStore(settings_, sink, None))
    connectors = [WebhookConnector(watches.sources[name], context) for name in ("push", "pages", "xacct")]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        runner = web.AppRunner(build_app(connectors, MAX_BODY), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    runner, port = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _assert_answered_with_a_reason(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.text.strip(), response.status_code
        if response.headers.get("content-type", "").startswith("application/json"):
            assert str(response.json().get("error") or "").strip()


valid_json = orjson.dumps(MENTION)
bodies = st.one_of(
    st.binary(max_size=400),
    st.integers(min_value=0, max_value=len(valid_json)).map(lambda n: valid_json[:n]),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * (n // 2)),
    st.integers(min_value=1, max_value=3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.just(b"x" * (MAX_BODY + 1)),
    st.just(valid_json + b"\n" + valid_json),
    st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False)
                 | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=20).map(orjson.dumps),
    st.fixed_dictionaries({k: st.one_of(st.just(v), st.none(), st.integers(-2**63, 2**63), st.text(max_size=30))
                           for k, v in MENTION.items()}).map(orjson.dumps),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)
forged = st.one_of(st.none(), header_text, header_text.map(lambda s: "sha256=" + s),
                   st.binary(min_size=32, max_size=32).map(lambda b: "sha256=" + b.hex()))


@FUZZ
@given(provider=st.sampled_from(sorted(PATHS)), body=bodies, signature=forged,
       other=st.sampled_from(["Content-Type", "Content-Encoding", "Transfer-Encoding", "X-Extra"]),
       other_value=header_text)
def test_fuzz_webhook_forged_signature_is_always_refused_with_401(receiver, provider, body, signature, other,
                                                                  other_value):
    headers = {} if signature is None else {HEADERS[provider]: signature}
    if other != "Transfer-Encoding" and other != "Content-Encoding":
        headers[other] = other_value
    response = receiver.post(PATHS[provider], content=body, headers=headers)
    _assert_answered_with_a_reason(response)
    if len(body) > MAX_BODY:
        assert response.status_code == 413
    else:
        assert response.status_code == 401, (response.status_code, response.text[:200])
        assert HEADERS[provider] in response.json()["error"]


@FUZZ
@given(provider=st.sampled_from(sorted(PATHS)), body=bodies)
def test_fuzz_webhook_correctly_signed_bodies_never_fail(receiver, provider, body):
    signature = SIGNERS[provider](SECRETS[provider], body)
    response = receiver.post(PATHS[provider], content=body, headers={HEADERS[provider]: signature})
    _assert_answered_with_a_reason(response)
    if len(body) > MAX_BODY:
        assert response.status_code == 413
    else:
        assert response.status_code == 200, (response.status_code, response.text[:300])


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]),
       path=st.one_of(st.sampled_from([*PATHS.values(), "/healthz", "/", "/webhooks", "/webhooks/"]),
                      st.sampled_from(sorted(PATHS.values())).flatmap(
                          lambda p: header_text.map(lambda s: p + "/" + s.replace("#", "").replace("?", ""))),
                      header_text.map(lambda s: "/" + s.replace("#", "").replace("?", ""))),
       params=st.dictionaries(st.sampled_from(["hub.mode", "hub.challenge", "hub.verify_token", "crc_token", "x"]),
                              header_text, max_size=4),
       body=st.binary(max_size=200))
def test_fuzz_webhook_any_path_method_and_query_is_answered_with_a_reason(receiver, method, path, params, body):
    response = receiver.request(method, path, params=params, content=body if method not in ("GET", "HEAD") else None)
    _assert_answered_with_a_reason(response)
    if method == "POST" and path in PATHS.values():
        assert response.status_code == 401  # a random body is never signed


def test_fuzz_webhook_valid_signed_mention_is_accepted(receiver):
    body = orjson.dumps({**MENTION, "id": "forum:fuzz-ok", "native_id": "fuzz-ok"})
    response = receiver.post(PATHS["generic"], content=body,
                             headers={GENERIC_SIGNATURE: generic_signature(SECRETS["generic"], body)})
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    wrong_key = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    refused = receiver.post(PATHS["generic"], content=body, headers={GENERIC_SIGNATURE: wrong_key})
    assert refused.status_code == 401 and refused.json()["error"] == f"invalid {GENERIC_SIGNATURE}"
