"""The webhook receiver: pushed events from Meta (Facebook, Instagram), X and any service that signs
its calls, as a small aiohttp application.

Security, per provider:

- **meta**: ``GET`` answers the subscription handshake (``hub.mode=subscribe``, ``hub.verify_token``
  equal to ``VEILLE_META_VERIFY_TOKEN`` -> ``hub.challenge``, else 403); ``POST`` needs
  ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with VEILLE_META_APP_SECRET>``.
- **x**: ``GET ?crc_token=…`` answers the challenge-response check with
  ``{"response_token": "sha256=<base64 HMAC-SHA256 of crc_token with VEILLE_X_CONSUMER_SECRET>"}``;
  ``POST`` needs ``x-twitter-webhooks-signature: sha256=<base64 HMAC of the raw body>``.
- **generic**: ``POST`` needs ``X-Veille-Signature: sha256=<hex HMAC of the raw body with
  VEILLE_WEBHOOK_SECRET>`` (the same scheme Veille's own alert webhooks use).

Signatures are compared in constant time on the raw bytes, before anything is parsed. A call without
a valid signature, or any call when the provider's secret is not configured, is refused with 401 and
logged (address, path, reason; never the secret or the body). Bodies over
``VEILLE_WEBHOOK_MAX_BODY_BYTES`` are refused with 413. An accepted call is answered 200 only once
Kafka has acknowledged its mentions (or dead letters), so the sender retries if Kafka is down (503).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Callable

from aiohttp import web
from pydantic import SecretStr

from pipeline.connectors.live.x_events import normalize_x_activity
from pipeline.connectors.normalize import NORMALIZERS, NormalizeResult
from pipeline.connectors.normalize.common import Reject, excerpt
from pipeline.connectors.runtime import LiveConnector, now_utc
from pipeline.mention import InvalidMention, parse_mention

log = logging.getLogger(__name__)

META_SIGNATURE = "X-Hub-Signature-256"
X_SIGNATURE = "x-twitter-webhooks-signature"
GENERIC_SIGNATURE = "X-Veille-Signature"


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def meta_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, body).hex()


def generic_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, body).hex()


def x_signature(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac_sha256(secret, body)).decode("ascii")


def x_crc_response(secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": x_signature(secret, crc_token.encode("utf-8"))}


def signature_matches(received: str | None, expected: str) -> bool:
    if not received:
        return False
    return hmac.compare_digest(received.strip().encode("utf-8", "replace"), expected.encode("ascii"))


def normalize_mentions(payload: bytes, *, source_hint: str | None = None, fetched_at=None) -> NormalizeResult:
    """Already normalised mentions: one JSON object, a JSON array of them, or JSON lines."""
    import orjson

    result = NormalizeResult()
    try:
        data = orjson.loads(payload)
        items = data if isinstance(data, list) else [data]
    except orjson.JSONDecodeError:
        items = [line for line in payload.splitlines() if line.strip()]
    for n, item in enumerate(items):
        try:
            result.mentions.append(parse_mention(item))
        except InvalidMention as exc:
            result.rejects.append(Reject(exc.reason, excerpt(item), exc.mention_id or f"items[{n}]"))
    if not items:
        result.rejects.append(Reject("empty body", payload[:600], "payload"))
    return result


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


class WebhookConnector(LiveConnector):
    """One webhook source of watches.yaml: its route, its signature check, its normaliser."""

    type = "webhook"
    is_polling = False

    @property
    def keep_declared_watch(self) -> bool:  # type: ignore[override]
        return self.spec.provider == "generic" and self.spec.normalizer in (None, "mention")

    @property
    def path(self) -> str:
        return self.spec.path or f"/webhooks/{self.name}"

    def normalizer(self) -> Callable[..., NormalizeResult]:
        if self.spec.provider == "meta":
            return NORMALIZERS["facebook"]
        if self.spec.provider == "x":
            return normalize_x_activity
        if self.spec.normalizer in (None, "mention"):
            return normalize_mentions
        return NORMALIZERS[self.spec.normalizer]

    def secret(self) -> str | None:
        settings = self.settings
        return _secret({"meta": settings.meta_app_secret, "x": settings.x_consumer_secret,
                        "generic": settings.webhook_secret}[self.spec.provider or "generic"])

    def expected_signature(self, secret: str, body: bytes) -> tuple[str, str]:
        if self.spec.provider == "meta":
            return META_SIGNATURE, meta_signature(secret, body)
        if self.spec.provider == "x":
            return X_SIGNATURE, x_signature(secret, body)
        return GENERIC_SIGNATURE, generic_signature(secret, body)

    def refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.stats.refused += 1
        log.warning("%s: refused %s %s from %s with %d: %s", self.name, request.method, request.path,
                    request.remote, status, reason)
        return web.json_response({"error": reason}, status=status)

    async def handle_get(self, request: web.Request) -> web.Response:
        if self.spec.provider == "meta":
            token = _secret(self.settings.meta_verify_token)
            query = request.query
            if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
                return self.refuse(request, 400, "not a subscription handshake")
            if token is None or not hmac.compare_digest(query.get("hub.verify_token", "").encode(), token.encode()):
                return self.refuse(request, 403, "wrong or missing hub.verify_token")
            log.info("%s: Meta subscription verified", self.name)
            return web.Response(text=query["hub.challenge"])
        if self.spec.provider == "x":
            secret = self.secret()
            crc_token = request.query.get("crc_token")
            if not crc_token:
                return self.refuse(request, 400, "no crc_token")
            if secret is None:
                return self.refuse(request, 401, "VEILLE_X_CONSUMER_SECRET is not configured")
            return web.json_response(x_crc_response(secret, crc_token))
        return web.json_response({"ok": True, "source": self.name})

    async def handle_post(self, request: web.Request) -> web.Response:
        limit = self.settings.webhook_max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return self.refuse(request, 413, f"body of {request.content_length} bytes is over the {limit}-byte limit")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self.refuse(request, 413, f"body is over the {limit}-byte limit")
        secret = self.secret()
        if secret is None:
            return self.refuse(request, 401, f"no secret configured for {self.spec.provider} webhooks")
        header, expected = self.expected_signature(secret, body)
        received = request.headers.get(header)
        if not signature_matches(received, expected):
            return self.refuse(request, 401, f"{'missing' if not received else 'invalid'} {header}")
        result = self.normalizer()(body, source_hint=None, fetched_at=now_utc())
        # emit() remembers each id as it hands it to the producer; until Kafka acknowledged the batch
        # those ids are only pending, and a 503 must forget them so that the sender's retry is stored.
        pending = {m.id for m in result.mentions if m.id not in self.recent}
        try:
            outcome = await self.emit(result, payload=body, where=f"webhook {request.path}")
            await self.sink.flush()
        except Exception as exc:  # noqa: BLE001 - Kafka unreachable: answer 503 so the sender retries
            for mention_id in pending:
                self.recent.discard(mention_id)
            self.record_error(request.path, exc)
            return web.json_response({"error": "cannot store the event now, retry later"}, status=503)
        self.record_success()
        await self.checkpoint_if_due()
        return web.json_response({"accepted": outcome.sent, "duplicates": outcome.duplicates,
                                  "unmatched": outcome.unmatched, "dead_letters": outcome.dead_letters})

    async def run(self, stop: asyncio.Event, once: bool = False) -> None:
        """Webhook sources are served by :class:`WebhookServer`; on their own they only wait."""
        await stop.wait()


def build_app(connectors: list[WebhookConnector], max_body_bytes: int) -> web.Application:
    # aiohttp refuses larger bodies itself (413) before a handler reads them.
    app = web.Application(client_max_size=max_body_bytes)
    for connector in connectors:
        app.router.add_get(connector.path, connector.handle_get)
        app.router.add_post(connector.path, connector.handle_post)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "routes": [c.path for c in connectors]})

    app.router.add_get("/healthz", health)
    return app


class WebhookServer:
    """Serves every webhook source on one host and port until ``stop`` is set."""

    def __init__(self, connectors: list[WebhookConnector], host: str, port: int, max_body_bytes: int):
        self.connectors = connectors
        self.host = host
        self.port = port
        self.app = build_app(connectors, max_body_bytes)
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        for connector in self.connectors:
            if connector.secret() is None:
                log.error("%s: no secret configured for %s webhooks: every POST will be refused",
                          connector.name, connector.spec.provider)
            log.info("%s: listening on http://%s:%d%s", connector.name, self.host, self.port, connector.path)

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        for connector in self.connectors:
            await connector.checkpoint()
