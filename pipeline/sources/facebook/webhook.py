"""Meta (Facebook pages, Instagram accounts) webhooks: ``GET`` answers the subscription handshake
(``hub.mode=subscribe``, ``hub.verify_token`` equal to ``VEILLE_META_VERIFY_TOKEN`` -> ``hub.challenge``,
else 403); ``POST`` needs ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with
VEILLE_META_APP_SECRET>``."""

from __future__ import annotations

import hmac
import logging
from operator import attrgetter
from typing import Any

from aiohttp import web

from pipeline.sources.facebook.normalize import normalize_facebook
from pipeline.sources.webhook.provider import WebhookProvider, hmac_sha256, secret_value

log = logging.getLogger(__name__)

META_SIGNATURE = "X-Hub-Signature-256"


def meta_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, body).hex()


async def subscription_handshake(connector: Any, request: web.Request) -> web.Response:
    token = secret_value(connector.settings.meta.verify_token)
    query = request.query
    if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
        return connector.refuse(request, 400, "not a subscription handshake")
    if token is None or not hmac.compare_digest(query.get("hub.verify_token", "").encode(), token.encode()):
        return connector.refuse(request, 403, "wrong or missing hub.verify_token")
    log.info("%s: Meta subscription verified", connector.name)
    return web.Response(text=query["hub.challenge"])


META_WEBHOOK = WebhookProvider("meta", META_SIGNATURE, meta_signature, attrgetter("meta.app_secret"),
                               normalize_facebook, subscription_handshake)
