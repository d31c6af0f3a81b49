"""What the webhook receiver needs to know of a platform that pushes events: the header its signature
comes in and how it is computed, the secret (a setting), the normaliser of its bodies and, for
platforms that check the endpoint first, the answer to their ``GET``. Each such source declares one in
its ``webhook.py``; :data:`GENERIC` is Veille's own scheme, for any service that signs its calls."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from aiohttp import web

    from pipeline.settings import Settings
    from pipeline.sources.results import Normalizer

GENERIC_SIGNATURE = "X-Veille-Signature"


@dataclass(frozen=True)
class WebhookProvider:
    name: str  # watches.yaml `provider:` and `veille webhook sign PROVIDER`
    signature_header: str
    sign: Callable[[str, bytes], str]  # (secret, raw body) -> the header's expected value
    secret: Callable[[Settings], SecretStr | None]
    normalizer: Normalizer | None = None  # None: the source's `normalizer` option decides
    # Answers a GET on the source's path (a subscription check); None: a plain {"ok": true}.
    handshake: Callable[[Any, web.Request], Awaitable[web.Response]] | None = None


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def generic_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, body).hex()


def signature_matches(received: str | None, expected: str) -> bool:
    if not received:
        return False
    return hmac.compare_digest(received.strip().encode("utf-8", "replace"), expected.encode("ascii"))


def secret_value(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


GENERIC = WebhookProvider("generic", GENERIC_SIGNATURE, generic_signature, attrgetter("webhook.secret"))
