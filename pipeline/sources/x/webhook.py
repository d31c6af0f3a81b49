"""X Account Activity webhooks: ``GET ?crc_token=…`` answers the challenge-response check with
``{"response_token": "sha256=<base64 HMAC-SHA256 of crc_token with VEILLE_X_CONSUMER_SECRET>"}``;
``POST`` needs ``x-twitter-webhooks-signature: sha256=<base64 HMAC of the raw body>``."""

from __future__ import annotations

import base64
from operator import attrgetter
from typing import Any

from aiohttp import web

from pipeline.sources.webhook.provider import WebhookProvider, hmac_sha256
from pipeline.sources.x.normalize import normalize_x_activity

X_SIGNATURE = "x-twitter-webhooks-signature"


def x_signature(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac_sha256(secret, body)).decode("ascii")


def x_crc_response(secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": x_signature(secret, crc_token.encode("utf-8"))}


async def crc_check(connector: Any, request: web.Request) -> web.Response:
    secret = connector.secret()
    crc_token = request.query.get("crc_token")
    if not crc_token:
        return connector.refuse(request, 400, "no crc_token")
    if secret is None:
        return connector.refuse(request, 401, "VEILLE_X_CONSUMER_SECRET is not configured")
    return web.json_response(x_crc_response(secret, crc_token))


X_WEBHOOK = WebhookProvider("x", X_SIGNATURE, x_signature, attrgetter("x.consumer_secret"),
                            normalize_x_activity, crc_check)
