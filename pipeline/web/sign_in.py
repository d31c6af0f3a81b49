"""Signing in with ``VEILLE_WEB_TOKEN`` and signing out (the rules are in :mod:`pipeline.web.security`);
without a token, there is nothing to sign in to and ``/login`` leads to the overview."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pipeline.web import context, security
from pipeline.web.middleware import state_changing
from pipeline.web.render import render

log = logging.getLogger(__name__)


async def login_page(request: Request) -> Response:
    if context.settings(request).web.token is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", "login", next=security.safe_next(request.query_params.get("next")),
                  wrong=False)


@state_changing
async def login_submit(request: Request) -> Response:
    settings = context.settings(request)
    if settings.web.token is None:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    target = security.safe_next(str(form.get("next") or "/"))
    limiter: security.SignInLimiter = request.app.state.sign_in_limiter
    address = request.state.client_address
    wait = limiter.retry_after(address)
    if wait:
        log.warning("sign-in refused: too many attempts from %s (retry in %ds)", address, wait)
        response = render(request, "login.html", "login", status_code=429, next=target, wrong=False, too_many=True)
        response.headers["Retry-After"] = str(wait)
        return response
    if not security.token_matches(settings.web.token.get_secret_value(), str(form.get("token") or "")):
        limiter.failed(address)
        log.warning("sign-in refused: wrong token from %s", address)
        return render(request, "login.html", "login", status_code=401, next=target, wrong=True)
    limiter.succeeded(address)
    sessions: security.SessionStore = request.app.state.sessions
    sessions.close(request.state.session_id)
    session_id = sessions.open()  # a new id at sign-in: one planted in the browser before is worth nothing
    secure = request.state.scheme == "https"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(security.AUTH_COOKIE, security.auth_cookie_value(
        request.app.state.secret, session_id, settings.web.token.get_secret_value()),
        httponly=True, samesite="lax", secure=secure)
    response.set_cookie(security.SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=secure)
    return response


@state_changing
async def logout(request: Request) -> Response:
    request.app.state.sessions.close(request.state.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.AUTH_COOKIE)
    response.delete_cookie(security.SESSION_COOKIE)
    return response
