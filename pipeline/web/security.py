"""Protection of the web app: optional login token, CSRF tokens, Origin check, trusted hosts.

- Every browser gets a random session id in an HttpOnly, ``SameSite=Lax`` cookie. Its CSRF token is an
  HMAC of the session id under the app's secret, put in every form (``csrf_token``) and page
  (``<meta name="csrf-token">`` for ``X-CSRF-Token``). A state-changing request (POST) needs that
  token *and* an ``Origin`` (or, lacking it, ``Referer``) of the app itself.
- With ``VEILLE_WEB_TOKEN`` set, every page and API call needs either ``Authorization: Bearer <token>``
  (scripts; not sent by browsers on their own, so exempt from the CSRF check) or the cookie the login
  form sets, an HMAC binding the session to the token. Tokens are compared in constant time, never put in
  a URL, a cookie or a log line.
- Signing in opens a server-side session (:class:`SessionStore`: a fresh session id, bounded, expiring
  after ``VEILLE_WEB_SESSION_HOURS``); signing out closes it, so cookies copied before are worth nothing.
  Failed sign-ins are limited per client address (:class:`SignInLimiter`, bounded memory): past
  ``SIGN_IN_ATTEMPTS`` in a minute the form answers 429 with ``Retry-After``, even to the right token.
- Only requests addressed to a known host name are served, so a DNS-rebinding page cannot talk to an
  app listening on localhost.
- Behind a TLS proxy, ``X-Forwarded-Proto`` and ``X-Forwarded-For`` are honoured only from the addresses
  of ``VEILLE_WEB_TRUSTED_PROXIES``: cookies are then ``Secure`` and the rate limit counts the real client.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

SESSION_COOKIE = "veille_session"
AUTH_COOKIE = "veille_auth"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_ATTEMPTS = 10  # failed sign-ins per client address in SIGN_IN_WINDOW_SECONDS
SIGN_IN_WINDOW_SECONDS = 60.0
MAX_SESSIONS = 10_000
MAX_TRACKED_ADDRESSES = 10_000
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


class SessionStore:
    """Signed-in sessions, server side: session id -> expiry. At most ``capacity`` (the oldest go first)."""

    def __init__(self, lifetime_seconds: float, capacity: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic):
        self.lifetime = lifetime_seconds
        self.capacity = max(capacity, 1)
        self.clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def open(self) -> str:
        now = self.clock()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)  # ordered by opening, so by expiry: the expired are first
        session_id = new_session_id()
        self._expiry[session_id] = now + self.lifetime
        while len(self._expiry) > self.capacity:
            self._expiry.popitem(last=False)
        return session_id

    def valid(self, session_id: str | None) -> bool:
        if not session_id:
            return False
        expiry = self._expiry.get(session_id)
        if expiry is None:
            return False
        if expiry <= self.clock():
            del self._expiry[session_id]
            return False
        return True

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._expiry.pop(session_id, None)


class SignInLimiter:
    """Failed sign-ins per client address in a sliding window; at most ``capacity`` addresses remembered
    (the least recently failing forgotten first)."""

    def __init__(self, attempts: int = SIGN_IN_ATTEMPTS, window_seconds: float = SIGN_IN_WINDOW_SECONDS,
                 capacity: int = MAX_TRACKED_ADDRESSES, clock: Callable[[], float] = time.monotonic):
        self.attempts = max(attempts, 1)
        self.window = window_seconds
        self.capacity = max(capacity, 1)
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def retry_after(self, address: str) -> int:
        """Whole seconds before ``address`` may try again; 0 when it may now."""
        failures = self._failures.get(address)
        if not failures:
            return 0
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.attempts:
            return 0
        return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, address: str) -> None:
        failures = self._failures.pop(address, None) or deque(maxlen=self.attempts)
        failures.append(self.clock())
        self._failures[address] = failures
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(text: str | None) -> list[Network]:
    """``VEILLE_WEB_TRUSTED_PROXIES``: addresses or networks, comma-separated; ValueError naming a bad one."""
    networks = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"VEILLE_WEB_TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return networks


def _is_trusted(address: str | None, trusted: Iterable[Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def forwarded_view(peer: str | None, headers: Mapping[str, str], trusted: list[Network]) -> tuple[str, str | None]:
    """The client address and the scheme it used (None: the connection's own), as a trusted proxy reports
    them; a request from anyone else is taken as it came, whatever forwarded headers it carries."""
    address = peer or ""
    if not trusted or not _is_trusted(peer, trusted):
        return address, None
    # The right-most address a trusted proxy did not add is the client (the left part can be forged).
    for hop in reversed([h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]):
        address = hop
        if not _is_trusted(hop, trusted):
            break
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return address, proto if proto in ("http", "https") else None
