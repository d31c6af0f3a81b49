"""Protection of the web app: optional login token, CSRF tokens, Origin check, trusted hosts.

- Every browser gets a random session id in an HttpOnly, ``SameSite=Lax`` cookie. Its CSRF token is an
  HMAC of the session id under the app's secret, put in every form (``csrf_token``) and page
  (``<meta name="csrf-token">`` for ``X-CSRF-Token``). A state-changing request (POST) needs that
  token *and* an ``Origin`` (or, lacking it, ``Referer``) of the app itself.
- With ``VEILLE_WEB_TOKEN`` set, every page and API call needs either ``Authorization: Bearer <token>``
  (scripts; not sent by browsers on their own, so exempt from the CSRF check) or the cookie the login
  form sets, an HMAC binding the session to the token. Tokens are compared in constant time, never put in
  a URL, a cookie or a log line.
- Only requests addressed to a known host name are served, so a DNS-rebinding page cannot talk to an
  app listening on localhost.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

SESSION_COOKIE = "veille_session"
AUTH_COOKIE = "veille_auth"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def looks_like_session_id(value: str | None) -> bool:
    return bool(value) and 32 <= len(value) <= 64 and set(value) <= _SESSION_CHARS


def _mac(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def csrf_token(secret: bytes, session_id: str) -> str:
    return _mac(secret, f"csrf:{session_id}")


def csrf_valid(secret: bytes, session_id: str | None, token: str | None) -> bool:
    if not session_id or not token:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id), token)


def token_matches(expected: str, given: str | None) -> bool:
    """Constant time whatever the lengths: both sides are hashed to 32 bytes first."""
    if not given:
        return False
    return hmac.compare_digest(hashlib.sha256(expected.encode()).digest(), hashlib.sha256(given.encode()).digest())


def auth_cookie_value(secret: bytes, session_id: str, token: str) -> str:
    """Proof that this session signed in with ``token``; changing the token signs everybody out."""
    return _mac(secret, f"auth:{session_id}:{hashlib.sha256(token.encode()).hexdigest()}")


def auth_cookie_valid(secret: bytes, session_id: str | None, token: str, cookie: str | None) -> bool:
    if not session_id or not cookie:
        return False
    return hmac.compare_digest(auth_cookie_value(secret, session_id, token), cookie)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None when it has none (or is ``null``)."""
    if not url or url == "null":
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, referer: str | None, allowed: Iterable[str]) -> bool:
    """Whether a state-changing request comes from the app's own pages (Origin, else Referer)."""
    source = origin_of(origin) or origin_of(referer)
    return source is not None and source in {value.lower().rstrip("/") for value in allowed}


def allowed_hosts(web_host: str, public_origin: str | None) -> list[str]:
    """Host names the app answers to; ``["*"]`` when it listens on every interface with no public origin."""
    hosts = {"127.0.0.1", "localhost", "::1", "[::1]"}
    if public_origin:
        host = urlsplit(public_origin).hostname
        if host:
            hosts.add(host)
    if web_host in ("0.0.0.0", "::", ""):
        return sorted(hosts) if public_origin else ["*"]
    hosts.add(web_host)
    return sorted(hosts)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path of this app (no ``//host`` or ``scheme:`` redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
