"""What a handler reads from its request: the settings, the Elasticsearch client (with the app's timeout), the
clock, the reader's language, the alert store and what the filter bar or the API parameters ask for.

:class:`~pipeline.web.middleware.SecurityMiddleware` puts the session, the language and the sign-in state on
``request.state`` before any handler runs; :func:`pipeline.web.app.create_app` puts the rest on ``app.state``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from elasticsearch import AsyncElasticsearch
from starlette.requests import Request
from starlette.responses import Response

from pipeline.alerts.store import AlertStore
from pipeline.inbox.service import Scope
from pipeline.settings import Settings
from pipeline.web.filters import BadParameter, Filters, parse_filters, parse_scope
from pipeline.web.i18n import Translator

WHO_COOKIE = "veille_who"  # the name a teammate last acted under, to fill in the next form
YEAR_SECONDS = 365 * 86400


def settings(request: Request) -> Settings:
    return request.app.state.settings


def es(request: Request) -> AsyncElasticsearch:
    # Every call of the app waits at most this long, whatever client it was given; no retry after a timeout.
    return request.app.state.es.options(request_timeout=settings(request).web.elasticsearch_timeout_seconds)


def now() -> datetime:
    return datetime.now(UTC)


def translator(request: Request) -> Translator:
    return Translator(request.state.lang)


def alert_store(request: Request) -> AlertStore:
    return AlertStore(es(request), settings(request))


def page_filters(request: Request) -> Filters:
    """The filter bar's query, period and watch; a bad query is kept with its error, for the page to show."""
    return parse_filters(request.query_params, now())


def filters_status(filters: Filters) -> int:
    """A page whose filter box holds a bad query shows the error, with 400."""
    return 400 if filters.error else 200


def api_filters(request: Request) -> Filters:
    """The filter bar's parameters of an API call; a bad query raises :class:`BadParameter` (a 400)."""
    filters = page_filters(request)
    if filters.error:
        raise BadParameter(filters.error)
    return filters


def api_scope(request: Request) -> Scope:
    """``since``, ``until``, ``q`` and ``watch`` of an inbox or response-time API call."""
    return parse_scope(request.query_params, now())


def remember_who(response: Response, who: str) -> None:
    """Fills the name in the next forms with the one this teammate just acted under."""
    response.set_cookie(WHO_COOKIE, who, max_age=YEAR_SECONDS, samesite="lax")
