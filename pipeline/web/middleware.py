"""The protection every request goes through (the rules are in :mod:`pipeline.web.security`): the session
cookie, the language, the login token, the Origin check and the security headers, by
:class:`SecurityMiddleware`; the CSRF token of a state-changing route, by :func:`state_changing`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pipeline.settings import Settings
from pipeline.web import context, security
from pipeline.web.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language
from pipeline.web.render import error_page, is_api

log = logging.getLogger(__name__)


def state_changing(handler: Callable[[Request], Awaitable[Response]]):
    """Runs ``handler`` only when the request carries this session's CSRF token (form field or header).

    The Origin check and the login check happen before, in :class:`SecurityMiddleware`; requests
    authenticated by ``Authorization: Bearer`` need no CSRF token (browsers never add that header).
    """

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        if not request.state.bearer:
            token = request.headers.get(security.CSRF_HEADER)
            if token is None and _is_form(request):
                token = (await request.form()).get(security.CSRF_FIELD)
            if not security.csrf_valid(request.app.state.secret, request.state.session_id, token):
                log.warning("refused %s %s: missing or wrong CSRF token", request.method, request.url.path)
                return error_page(request, 403, "error.forbidden")
        return await handler(request)

    wrapped.csrf_protected = True  # type: ignore[attr-defined]
    return wrapped


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


class SecurityMiddleware(BaseHTTPMiddleware):
    """Session cookie, language, login token and Origin check for every request."""

    OPEN_PATHS = ("/login", "/static/", "/healthz")

    async def dispatch(self, request: Request, call_next) -> Response:
        app_state = request.app.state
        settings: Settings = app_state.settings
        session_id = request.cookies.get(security.SESSION_COOKIE)
        new_session = not security.looks_like_session_id(session_id)
        if new_session:
            session_id = security.new_session_id()
        request.state.session_id = session_id
        peer = request.client.host if request.client else None
        request.state.client_address, forwarded_scheme = security.forwarded_view(
            peer, request.headers, app_state.trusted_proxies)
        request.state.scheme = forwarded_scheme or request.url.scheme
        request.state.csrf_token = security.csrf_token(app_state.secret, session_id)
        query_lang = request.query_params.get("lang")
        request.state.lang = choose_language(query_lang, request.cookies.get(LANGUAGE_COOKIE),
                                             request.headers.get("accept-language"))
        token = settings.web.token.get_secret_value() if settings.web.token else None
        request.state.bearer = token is not None and security.token_matches(
            token, security.bearer_token(request.headers.get("authorization")))

        response = await self._guarded(request, call_next, token)
        secure = request.state.scheme == "https"
        if new_session:
            response.set_cookie(security.SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=secure)
        if query_lang in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, query_lang, max_age=context.YEAR_SECONDS, samesite="lax",
                                secure=secure)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    async def _guarded(self, request: Request, call_next, token: str | None) -> Response:
        app_state = request.app.state
        path = request.url.path
        if token is not None and not request.state.bearer and not path.startswith(self.OPEN_PATHS):
            signed_in = app_state.sessions.valid(request.state.session_id) and security.auth_cookie_valid(
                app_state.secret, request.state.session_id, token, request.cookies.get(security.AUTH_COOKIE))
            if not signed_in:
                if is_api(request):
                    return JSONResponse({"error": "this Veille needs its access token (VEILLE_WEB_TOKEN): "
                                                  "send 'Authorization: Bearer <token>' or sign in"}, status_code=401)
                return RedirectResponse(f"/login?{urlencode({'next': str(request.url.path)})}", status_code=303)
        if request.method not in security.SAFE_METHODS and not request.state.bearer:
            if not security.same_origin(request.headers.get("origin"), request.headers.get("referer"),
                                        _own_origins(request)):
                log.warning("refused %s %s from origin %r", request.method, path,
                            request.headers.get("origin") or request.headers.get("referer"))
                return error_page(request, 403, "error.forbidden")
        return await call_next(request)


def _own_origins(request: Request) -> list[str]:
    origins = [f"{request.state.scheme}://{request.headers.get('host', '')}"]
    public = context.settings(request).web.public_origin
    if public:
        origins.append(public)
    return origins
