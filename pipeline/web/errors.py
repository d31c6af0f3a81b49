"""What the app answers when a handler raises: the app-level exception handlers of every route.

Elasticsearch down or refusing a request becomes a clear 502 page (or JSON under ``/api/``), one that does
not answer in time a 504, never a traceback. A request parameter that is not valid (a period, a query, a
watch) is a 400 saying why: ``{"error": "<why>"}`` from the API. An index that does not exist yet is no
error: :mod:`pipeline.web.fetch` reads it as an empty answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from elasticsearch import ApiError, ConnectionTimeout, TransportError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.compare import UnknownWatch
from pipeline.periods import PeriodError
from pipeline.query import QuerySyntaxError
from pipeline.redact import mask_credentials
from pipeline.web import context
from pipeline.web.filters import BadParameter
from pipeline.web.render import error_page, is_api

log = logging.getLogger(__name__)


async def elasticsearch_refused(request: Request, exc: ApiError) -> Response:
    message = mask_credentials(exc.message)
    log.warning("Elasticsearch refused a request for %s: %s %s", request.url.path, exc.meta.status, message)
    return error_page(request, 502, "error.elasticsearch", f"HTTP {exc.meta.status}: {message}")


async def elasticsearch_timed_out(request: Request, exc: ConnectionTimeout) -> Response:
    waited = context.settings(request).web.elasticsearch_timeout_seconds
    log.warning("Elasticsearch did not answer %s within %gs", request.url.path, waited)
    return error_page(request, 504, "error.elasticsearch", f"no answer within {waited:g} s")


async def elasticsearch_unreachable(request: Request, exc: TransportError) -> Response:
    message = mask_credentials(f"{context.settings(request).elasticsearch.url}: {exc.message}")
    log.warning("Elasticsearch unreachable for %s: %s", request.url.path, message)
    return error_page(request, 502, "error.elasticsearch", message)


async def bad_parameter(request: Request, exc: ValueError) -> Response:
    if is_api(request):
        return JSONResponse({"error": str(exc)}, status_code=400)
    return error_page(request, 400, "error.query", str(exc))


# Starlette picks the handler of the nearest class in the exception's MRO: a ConnectionTimeout is a
# TransportError, answered 504 rather than 502.
EXCEPTION_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    ApiError: elasticsearch_refused,
    ConnectionTimeout: elasticsearch_timed_out,
    TransportError: elasticsearch_unreachable,
    BadParameter: bad_parameter,
    PeriodError: bad_parameter,
    QuerySyntaxError: bad_parameter,
    UnknownWatch: bad_parameter,
}
