"""The built-in web app (``veille web``): overview, crisis alerts, inbox, legal-risk queue, trends and
competitor watch, in French and English, plus the HTTP JSON API under ``/api``.

Starlette with Jinja2 templates rendered on the server; charts are inline SVG (:mod:`pipeline.web.charts`),
the little JavaScript there is (countdowns, local times, live alert updates by server-sent events) is
the project's own, so everything works offline. This module holds the URL map and the factory; the
parts, by job:

- :mod:`~pipeline.web.pages`, :mod:`~pipeline.web.forms`, :mod:`~pipeline.web.sign_in`: what a browser reads
  and posts; :mod:`~pipeline.web.api`: the JSON twins; :mod:`~pipeline.web.actions`: the changes both make.
- :mod:`~pipeline.web.context`: what a handler reads from its request; :mod:`~pipeline.web.filters`: the
  filter bar and the API's parameters; :mod:`~pipeline.web.fetch`: the reads from Elasticsearch, whose
  requests and shaping are pure, in :mod:`~pipeline.web.queries`; :mod:`~pipeline.web.render`: templates.
- :mod:`~pipeline.web.middleware` and :mod:`~pipeline.web.security`: protection; :mod:`~pipeline.web.errors`:
  what a raised exception becomes (Elasticsearch down: 502, a bad parameter: 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import Path

from elasticsearch import AsyncElasticsearch
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.inbox.store import ACTIONS
from pipeline.settings import Settings
from pipeline.web import api, authors, forms, pages, security, sign_in
from pipeline.web.errors import EXCEPTION_HANDLERS
from pipeline.web.middleware import SecurityMiddleware
from pipeline.web.render import templates
from pipeline.web.rhythm import rhythm_api, rhythm_page

STATIC = Path(__file__).resolve().parent / "static"
ALERT_ACTIONS = ("acknowledge", "resolve")


def routes() -> list[BaseRoute]:
    """Every URL of the app, each once: what is read (GET), then what changes something (POST, each
    behind the CSRF check)."""
    pages_read = {
        "/": pages.overview_page,
        "/crisis": pages.crisis_page,
        "/crisis/alerts": pages.crisis_fragment,
        "/inbox": pages.inbox_page,
        "/legal": pages.legal_page,
        "/legal.csv": pages.legal_csv,
        "/trends": pages.trends_page,
        "/compare": pages.compare_page,
        "/authors": authors.authors_page,
        "/author": authors.author_page,
        "/author/erase": authors.erase_page,
        "/rhythm": rhythm_page,
        "/login": sign_in.login_page,
        "/healthz": pages.healthz,
    }
    api_read = {
        "/api/openapi.json": api.openapi_api,
        "/api/overview": api.overview_api,
        "/api/kpis/response-times": api.response_times_api,
        "/api/alerts": api.alerts_api,
        "/api/alerts/stream": api.alerts_stream,
        "/api/inbox": api.inbox_api,
        "/api/legal": api.legal_api,
        "/api/trends": api.trends_api,
        "/api/compare": api.compare_api,
        "/api/authors": authors.authors_api,
        "/api/author": authors.author_api,
        "/api/rhythm": rhythm_api,
        "/api/audience/rhythm": rhythm_api,
    }
    changes = {
        **{f"/alerts/{{alert_id:path}}/{action}": forms.alert_form(action) for action in ALERT_ACTIONS},
        "/inbox/act": forms.inbox_form,
        "/inbox/feedback": forms.feedback_form,
        "/author/erase": authors.erase_form,
        "/login": sign_in.login_submit,
        "/logout": sign_in.logout,
        **{f"/api/alerts/{{alert_id:path}}/{action}": api.alert_api(action) for action in ALERT_ACTIONS},
        **{f"/api/inbox/{action}": api.inbox_action_api(action) for action in ACTIONS},
    }
    return [
        *(Route(path, endpoint) for path, endpoint in {**pages_read, **api_read}.items()),
        *(Route(path, endpoint, methods=["POST"]) for path, endpoint in changes.items()),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: Settings, client: AsyncElasticsearch | None = None) -> Starlette:
    """The web app; it opens (and closes) its own Elasticsearch client unless given one."""
    from pipeline.sinks.elasticsearch import make_client

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        owned = client is None
        app.state.es = client or make_client(settings)
        from pipeline.trends.terms import stop_words

        await asyncio.to_thread(stop_words)  # spaCy's word lists take seconds to import: not on a request
        try:
            yield
        finally:
            if owned:
                await app.state.es.close()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=security.allowed_hosts(settings.web.host, settings.web.public_origin)),
            Middleware(SecurityMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret = (settings.web.secret.get_secret_value().encode() if settings.web.secret
                        else secrets.token_bytes(32))
    app.state.sessions = security.SessionStore(settings.web.session_hours * 3600)
    app.state.sign_in_limiter = security.SignInLimiter()
    app.state.trusted_proxies = security.trusted_networks(settings.web.trusted_proxies)
    app.state.templates = templates()
    app.state.es = client
    return app
