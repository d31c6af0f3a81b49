"""Web app protection (no services): CSRF token + Origin check, SameSite cookies, login token, hosts.

The app is built against an Elasticsearch URL where nothing listens: a request that gets past the
protection reaches its handler and fails there with 502, one that does not is refused before.
"""

from __future__ import annotations

import logging
import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.settings import Settings
from pipeline.stack import free_port
from pipeline.web import security
from pipeline.web.app import create_app, routes

BASE = "http://127.0.0.1:8765"
SECRET = b"k" * 32
TOKEN = "correct horse battery staple"


def _settings(tmp_path, **extra) -> Settings:
    return Settings(elasticsearch_url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path, web_port=8765, **extra)


@pytest.fixture(scope="module")
def open_client(tmp_path_factory):
    app = create_app(_settings(tmp_path_factory.mktemp("web")))
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def token_client(tmp_path_factory):
    app = create_app(_settings(tmp_path_factory.mktemp("web"), web_token=TOKEN))
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


def test_web_security_csrf_token_is_bound_to_the_session():
    token = security.csrf_token(SECRET, "a" * 43)
    assert security.csrf_valid(SECRET, "a" * 43, token)
    assert not security.csrf_valid(SECRET, "b" * 43, token)
    assert not security.csrf_valid(b"other" * 8, "a" * 43, token)
    assert not security.csrf_valid(SECRET, "a" * 43, None)
    assert not security.csrf_valid(SECRET, None, token)


def test_web_security_token_comparison_and_auth_cookie():
    assert security.token_matches(TOKEN, TOKEN)
    assert not security.token_matches(TOKEN, TOKEN + "x")
    assert not security.token_matches(TOKEN, "")
    cookie = security.auth_cookie_value(SECRET, "s" * 43, TOKEN)
    assert TOKEN not in cookie
    assert security.auth_cookie_valid(SECRET, "s" * 43, TOKEN, cookie)
    assert not security.auth_cookie_valid(SECRET, "s" * 43, "a new token", cookie)
    assert not security.auth_cookie_valid(SECRET, "t" * 43, TOKEN, cookie)
    assert security.bearer_token("Bearer abc") == "abc"
    assert security.bearer_token("Basic abc") is None


@pytest.mark.parametrize(("origin", "referer", "ok"), [
    ("http://127.0.0.1:8765", None, True),
    (None, "http://127.0.0.1:8765/crisis?x=1", True),
    ("https://evil.example", "http://127.0.0.1:8765/crisis", False),
    ("null", None, False),
    (None, None, False),
    ("http://127.0.0.1:9999", None, False),
])
def test_web_security_same_origin(origin, referer, ok):
    assert security.same_origin(origin, referer, ["http://127.0.0.1:8765"]) is ok


def test_web_security_allowed_hosts_and_safe_redirects():
    assert "*" not in security.allowed_hosts("127.0.0.1", None)
    assert security.allowed_hosts("0.0.0.0", None) == ["*"]
    assert "veille.example.org" in security.allowed_hosts("0.0.0.0", "https://veille.example.org")
    assert security.safe_next("/crisis?show=all") == "/crisis?show=all"
    for bad in ("//evil.example/", "https://evil.example/", "\\\\evil", None, "crisis"):
        assert security.safe_next(bad) == "/"


def test_web_security_every_post_route_needs_a_csrf_token():
    posts = [route for route in routes() if isinstance(route, Route) and "POST" in (route.methods or ())]
    assert posts
    for route in posts:
        assert getattr(route.endpoint, "csrf_protected", False) or getattr(
            getattr(route.endpoint, "__wrapped__", None), "csrf_protected", False), route.path


def test_web_security_session_cookie_is_httponly_and_samesite(open_client):
    response = open_client.get("/healthz", headers={"cookie": ""})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{security.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert response.headers["x-frame-options"] == "DENY"


def test_web_security_post_from_another_origin_is_refused(open_client):
    token = security.csrf_token(open_client.app.state.secret, open_client.cookies.get(security.SESSION_COOKIE) or "")
    for headers in ({"origin": "https://evil.example"}, {}, {"origin": "null"}):
        response = open_client.post("/api/alerts/x/acknowledge", json={"who": "eve"},
                                    headers={**headers, "x-csrf-token": token})
        assert response.status_code == 403, headers


def test_web_security_post_without_the_right_csrf_token_is_refused(open_client):
    same_origin = {"origin": BASE}
    assert open_client.post("/api/alerts/x/acknowledge", json={"who": "eve"}, headers=same_origin).status_code == 403
    response = open_client.post("/api/alerts/x/acknowledge", json={"who": "eve"},
                                headers={**same_origin, "x-csrf-token": "0" * 64})
    assert response.status_code == 403
    form = open_client.post("/alerts/x/acknowledge", data={"who": "eve", "csrf_token": "0" * 64}, headers=same_origin)
    assert form.status_code == 403


def test_web_security_same_origin_post_with_its_token_reaches_the_handler(open_client):
    page = open_client.get("/healthz")
    session = page.cookies.get(security.SESSION_COOKIE) or open_client.cookies.get(security.SESSION_COOKIE)
    assert session
    token = security.csrf_token(open_client.app.state.secret, session)
    response = open_client.post("/api/alerts/x/acknowledge", json={"who": "ana"},
                                headers={"origin": BASE, "x-csrf-token": token})
    assert response.status_code == 502  # past the protection; Elasticsearch is not there


def test_web_security_unknown_host_is_refused(open_client):
    assert open_client.get("/healthz", headers={"host": "rebind.evil.example"}).status_code == 400


def test_web_security_login_token_guards_pages_and_api(token_client):
    page = token_client.get("/inbox")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Finbox"
    assert token_client.get("/api/overview").status_code == 401
    assert token_client.get("/api/overview", headers={"authorization": "Bearer nope"}).status_code == 401
    assert token_client.get("/api/overview", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 502
    assert token_client.get("/login").status_code == 200
    assert token_client.get("/static/app.css").status_code == 200


def test_web_security_bearer_requests_need_no_csrf_token(token_client):
    response = token_client.post("/api/alerts/x/acknowledge", json={"who": "bot"},
                                 headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 502


def test_web_security_sign_in_sets_a_cookie_and_never_logs_the_token(token_client, caplog):
    caplog.set_level(logging.DEBUG)
    csrf = _csrf(token_client)
    wrong = token_client.post("/login", data={"token": "guess", "next": "/inbox", "csrf_token": csrf},
                              headers={"origin": BASE})
    assert wrong.status_code == 401
    no_csrf = token_client.post("/login", data={"token": TOKEN, "next": "/inbox"}, headers={"origin": BASE})
    assert no_csrf.status_code == 403
    right = token_client.post("/login", data={"token": TOKEN, "next": "//evil.example/", "csrf_token": csrf},
                              headers={"origin": BASE})
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{security.AUTH_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert TOKEN not in cookie
    assert token_client.get("/api/overview").status_code == 502  # signed in: past the guard
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    # Signing in gave a new session id, so the CSRF token of the page before it no longer works.
    assert token_client.post("/logout", data={"csrf_token": csrf}, headers={"origin": BASE}).status_code == 403
    logout = token_client.post("/logout", data={"csrf_token": _csrf(token_client, "/crisis")}, headers={"origin": BASE})
    assert logout.status_code == 303
    token_client.cookies.clear()
    assert token_client.get("/api/overview").status_code == 401


# --- server-side sessions, sign-in rate limit, trusted proxies -----------------------------------

def _sign_in(client: TestClient, token: str = TOKEN):
    csrf = _csrf(client)
    return client.post("/login", data={"token": token, "next": "/", "csrf_token": csrf}, headers={"origin": BASE})


@pytest.fixture
def fresh_token_client(tmp_path):
    app = create_app(_settings(tmp_path, web_token=TOKEN))
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


def test_web_security_logout_ends_the_session_on_the_server(fresh_token_client):
    client = fresh_token_client
    assert _sign_in(client).status_code == 303
    stolen = dict(client.cookies)
    assert client.get("/api/overview").status_code == 502  # signed in
    csrf = _csrf(client, "/crisis")
    assert client.post("/logout", data={"csrf_token": csrf}, headers={"origin": BASE}).status_code == 303
    client.cookies.clear()
    for name, value in stolen.items():  # the cookies copied before logout are worth nothing after it
        client.cookies.set(name, value)
    assert client.get("/api/overview").status_code == 401


def test_web_security_sign_in_gives_a_new_session_id(fresh_token_client):
    client = fresh_token_client
    client.get("/login")
    before = client.cookies.get(security.SESSION_COOKIE)
    response = _sign_in(client)
    assert response.status_code == 303
    after = response.cookies.get(security.SESSION_COOKIE)
    assert after and after != before


def test_web_security_session_store_expires_and_is_bounded():
    now = [1000.0]
    store = security.SessionStore(lifetime_seconds=60, capacity=3, clock=lambda: now[0])
    first = store.open()
    assert store.valid(first) and not store.valid("x" * 43) and not store.valid(None)
    now[0] += 61
    assert not store.valid(first)
    ids = [store.open() for _ in range(5)]
    assert len(store) == 3 and not store.valid(ids[0]) and store.valid(ids[-1])
    store.close(ids[-1])
    assert not store.valid(ids[-1])


def test_web_security_sign_in_guesses_are_rate_limited(fresh_token_client):
    client = fresh_token_client
    statuses = [_sign_in(client, token=f"guess-{n}").status_code for n in range(security.SIGN_IN_ATTEMPTS + 5)]
    assert statuses[: security.SIGN_IN_ATTEMPTS] == [401] * security.SIGN_IN_ATTEMPTS
    assert set(statuses[security.SIGN_IN_ATTEMPTS:]) == {429}
    limited = _sign_in(client)  # even the right token waits: the guesser cannot tell
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_web_security_sign_in_limiter_per_address_with_bounded_memory():
    now = [0.0]
    limiter = security.SignInLimiter(attempts=3, window_seconds=60, capacity=100, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") > 0
    assert limiter.retry_after("10.0.0.2") == 0  # another address is not limited
    now[0] += 61
    assert limiter.retry_after("10.0.0.1") == 0  # the window slid
    for n in range(10_000):
        limiter.failed(f"2001:db8::{n:x}")
    assert len(limiter) <= 100


def test_web_security_secure_cookie_behind_a_trusted_tls_proxy(tmp_path):
    app = create_app(_settings(tmp_path, web_trusted_proxies="10.0.0.0/8, 127.0.0.1"))
    with TestClient(app, base_url=BASE, client=("10.1.2.3", 40000)) as proxied:
        behind = proxied.get("/healthz", headers={"x-forwarded-proto": "https"})
    with TestClient(app, base_url=BASE, client=("192.0.2.9", 40000)) as direct:
        spoofed = direct.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert "Secure" in behind.headers["set-cookie"]
    assert "Secure" not in spoofed.headers["set-cookie"]  # X-Forwarded-Proto from anyone else is ignored


def test_web_security_client_address_from_trusted_proxies_only():
    trusted = security.trusted_networks("10.0.0.0/8,::1")
    headers = {"x-forwarded-for": "198.51.100.7, 203.0.113.5, 10.0.0.2", "x-forwarded-proto": "HTTPS"}
    assert security.forwarded_view("10.0.0.1", headers, trusted) == ("203.0.113.5", "https")
    assert security.forwarded_view("192.0.2.1", headers, trusted) == ("192.0.2.1", None)
    assert security.forwarded_view("::1", {"x-forwarded-proto": "gopher"}, trusted) == ("::1", None)
    with pytest.raises(ValueError):
        security.trusted_networks("10.0.0.0/8, not-an-address")
