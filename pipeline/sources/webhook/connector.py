"""The webhook receiver: pushed events from Meta (Facebook, Instagram), X and any service that signs
its calls, as a small aiohttp application.

Each webhook source of watches.yaml names its ``provider`` (see ``pipeline/sources/*/webhook.py`` and
:data:`~pipeline.sources.webhook.provider.GENERIC`): the signature header and scheme, the secret, the
normaliser and the answer to the provider's ``GET`` check.

Signatures are compared in constant time on the raw bytes, before anything is parsed. A call without
a valid signature, or any call when the provider's secret is not configured, is refused with 401 and
logged (address, path, reason; never the secret or the body). Bodies over
``VEILLE_WEBHOOK_MAX_BODY_BYTES`` are refused with 413. An accepted call is answered 200 only once
Kafka has acknowledged its mentions (or dead letters), so the sender retries if Kafka is down (503).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from pipeline.sources.registry import normalizers, webhook_providers
from pipeline.sources.results import Normalizer
from pipeline.sources.runtime import LiveConnector
from pipeline.sources.webhook.normalize import normalize_mentions
from pipeline.sources.webhook.options import WebhookOptions
from pipeline.sources.webhook.provider import WebhookProvider, secret_value, signature_matches
from pipeline.timestamps import utc_now

log = logging.getLogger(__name__)


class WebhookConnector(LiveConnector):
    """One webhook source of watches.yaml: its route, its signature check, its normaliser."""

    type = "webhook"
    is_polling = False
    spec: WebhookOptions

    @property
    def keep_declared_watch(self) -> bool:  # type: ignore[override]
        return self.spec.provider == "generic" and self.spec.normalizer in (None, "mention")

    @property
    def path(self) -> str:
        return self.spec.path or f"/webhooks/{self.name}"

    @property
    def provider(self) -> WebhookProvider:
        return webhook_providers()[self.spec.provider or "generic"]

    def normalizer(self) -> Normalizer:
        if self.provider.normalizer is not None:
            return self.provider.normalizer
        if self.spec.normalizer in (None, "mention"):
            return normalize_mentions
        return normalizers()[self.spec.normalizer]

    def secret(self) -> str | None:
        return secret_value(self.provider.secret(self.settings))

    def expected_signature(self, secret: str, body: bytes) -> tuple[str, str]:
        return self.provider.signature_header, self.provider.sign(secret, body)

    def refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.stats.refused += 1
        log.warning("%s: refused %s %s from %s with %d: %s", self.name, request.method, request.path,
                    request.remote, status, reason)
        return web.json_response({"error": reason}, status=status)

    async def handle_get(self, request: web.Request) -> web.Response:
        if self.provider.handshake is not None:
            return await self.provider.handshake(self, request)
        return web.json_response({"ok": True, "source": self.name})

    async def handle_post(self, request: web.Request) -> web.Response:
        limit = self.settings.webhook.max_body_bytes
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
        result = self.normalizer()(body, source_hint=None, fetched_at=utc_now())
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
