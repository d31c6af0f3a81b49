"""The one polite HTTP layer the polling connectors share (httpx + tenacity).

- one request at a time per host, at least ``min_interval`` seconds apart;
- 429 and 5xx answers and network errors are retried with exponential backoff and jitter; a
  ``Retry-After`` (seconds or HTTP date) is honoured, and so is an exhausted rate-limit budget
  (``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset``), for every stream of that host;
- conditional GET: validators (``ETag``, ``Last-Modified``) go out as ``If-None-Match`` /
  ``If-Modified-Since`` and come back with the response, for the connector to keep in its checkpoint;
- bodies are read as a stream and refused past ``max_bytes`` (a hostile or broken server cannot
  make a connector swallow gigabytes);
- secrets in query strings (``key``, ``access_token``…) never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from pipeline.timestamps import parse_retry_after

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"key", "access_token", "token", "api_key", "apikey", "client_secret", "secret", "password"})


def redact(url: str) -> str:
    """``url`` with the values of secret-looking query parameters replaced by ``***``."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*(),:")))


def rate_limit_pause(headers: httpx.Headers | dict, now: float | None = None) -> float | None:
    """Seconds until the rate-limit budget is back when the response says it is spent (Mastodon,
    Reddit, GitHub-style ``X-RateLimit-*`` headers), else None."""
    headers = httpx.Headers(headers)
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if remaining is None or reset is None:
        return None
    try:
        if float(remaining) >= 1:
            return None
    except ValueError:
        return None
    now = now if now is not None else time.time()
    try:
        number = float(reset)
    except ValueError:
        try:
            when = datetime.fromisoformat(reset)
        except ValueError:
            return None
        return max(0.0, when.timestamp() - now)
    # A small number is "seconds from now" (Reddit); a large one an epoch time (GitHub, X).
    return max(0.0, number - now) if number > 1e9 else max(0.0, number)


class FetchError(Exception):
    """A request that failed for good (after retries, or at once for a 4xx that retrying cannot fix)."""

    def __init__(self, reason: str, *, status: int | None = None, body: bytes = b"", url: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.body = body
        self.url = url


class ResponseTooLarge(FetchError):
    """The body went past the size limit; ``body`` holds its first bytes."""


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None, status: int | None = None, body: bytes = b""):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.body = body


@dataclass
class Response:
    url: str
    status: int
    body: bytes
    headers: httpx.Headers
    validators: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def conditional_headers(validators: dict[str, str] | None) -> dict[str, str]:
    headers = {}
    if validators:
        if validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
    return headers


class PoliteClient:
    """An ``httpx.AsyncClient`` with per-host pacing, retries that respect the server, and size limits."""

    def __init__(self, *, user_agent: str, min_interval: float = 1.0, max_retries: int = 6,
                 max_backoff: float = 300.0, timeout: float = 30.0, max_bytes: int = 20_000_000,
                 base_backoff: float = 1.0, client: httpx.AsyncClient | None = None):
        self.client = client or httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout), follow_redirects=True,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10))
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.max_backoff = max_backoff
        self.base_backoff = base_backoff
        self.max_bytes = max_bytes
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_allowed: dict[str, float] = {}
        self.requests = 0
        self.retries = 0

    @classmethod
    def from_settings(cls, settings) -> PoliteClient:
        return cls(user_agent=settings.connector.user_agent, min_interval=settings.connector.min_interval,
                   max_retries=settings.connector.max_retries, max_backoff=settings.connector.max_backoff,
                   timeout=settings.connector.timeout, max_bytes=settings.connector.max_response_bytes)

    async def aclose(self) -> None:
        await self.client.aclose()

    def pause_host(self, host: str, seconds: float) -> None:
        """No request to ``host`` for ``seconds`` (a Retry-After or an exhausted budget)."""
        until = time.monotonic() + min(seconds, self.max_backoff)
        self._next_allowed[host] = max(self._next_allowed.get(host, 0.0), until)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return min(self.max_backoff, exc.retry_after)
        backoff = self.base_backoff * 2 ** (state.attempt_number - 1)
        return min(self.max_backoff, backoff * (0.5 + random.random()))

    async def get(self, url: str, *, params: dict | None = None, headers: dict | None = None,
                  validators: dict[str, str] | None = None) -> Response:
        return await self.request("GET", url, params=params, headers=headers, validators=validators)

    async def request(self, method: str, url: str, *, params: dict | None = None, headers: dict | None = None,
                      validators: dict[str, str] | None = None, data: dict | None = None,
                      auth: httpx.Auth | tuple | None = None) -> Response:
        """One request, retried as the class says. Raises :class:`FetchError` when it cannot succeed."""
        request_headers = {**conditional_headers(validators), **(headers or {})}
        host = urlsplit(url).netloc
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(_Retry), wait=self._wait,
                stop=stop_after_attempt(self.max_retries + 1), reraise=True,
                before_sleep=self._log_retry(url),
            ):
                with attempt:
                    return await self._once(method, url, host, params, request_headers, data, auth)
        except _Retry as exc:
            raise FetchError(f"{exc.reason} (gave up after {self.max_retries + 1} attempts)", status=exc.status,
                             body=exc.body, url=redact(url)) from None
        raise AssertionError("unreachable")

    def _log_retry(self, url: str):
        def log_it(state: RetryCallState) -> None:
            self.retries += 1
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            log.warning("%s: %s; retry %d in %.1fs", redact(url), getattr(exc, "reason", exc), state.attempt_number, wait)
        return log_it

    async def _paced(self, host: str) -> asyncio.Lock:
        lock = self._locks.setdefault(host, asyncio.Lock())
        await lock.acquire()
        delay = self._next_allowed.get(host, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return lock

    async def _once(self, method, url, host, params, headers, data, auth) -> Response:
        lock = await self._paced(host)
        try:
            self.requests += 1
            try:
                async with self.client.stream(method, url, params=params, headers=headers, data=data,
                                              auth=auth) as response:
                    body = await self._read(response)
            except httpx.TransportError as exc:
                raise _Retry(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, None) from None
        finally:
            self._next_allowed[host] = max(self._next_allowed.get(host, 0.0), time.monotonic() + self.min_interval)
            lock.release()
        where = redact(str(response.url))
        pause = rate_limit_pause(response.headers)
        if pause:
            log.info("%s: rate-limit budget spent, pausing %s for %.0fs", where, host, pause)
            self.pause_host(host, pause)
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None:
                self.pause_host(host, retry_after)
            raise _Retry(f"HTTP {status} from {where}", retry_after, status, body[:2000])
        if status >= 400:
            raise FetchError(f"HTTP {status} from {where}", status=status, body=body[:2000], url=where)
        validators = {}
        if response.headers.get("etag"):
            validators["etag"] = response.headers["etag"]
        if response.headers.get("last-modified"):
            validators["last_modified"] = response.headers["last-modified"]
        return Response(str(response.url), status, body, response.headers, validators)

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLarge(f"response of {declared} bytes is over the {self.max_bytes}-byte limit",
                                   status=response.status_code, url=redact(str(response.url)))
        chunks = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(f"response is over the {self.max_bytes}-byte limit",
                                       status=response.status_code, body=b"".join(chunks)[:2000],
                                       url=redact(str(response.url)))
        return b"".join(chunks)
