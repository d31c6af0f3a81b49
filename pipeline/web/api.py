"""The JSON API under ``/api``, twin of the pages (described at ``/api/openapi.json``, :mod:`pipeline.web.openapi`).

Every error answer is ``{"error": "<why>"}``: a bad parameter raises and :mod:`pipeline.web.errors` answers
400. A change (``POST``) needs the CSRF token unless the call carries ``Authorization: Bearer``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from elasticsearch import ApiError, TransportError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from pipeline.compare import fetch_comparison
from pipeline.inbox import service
from pipeline.web import actions, context, fetch
from pipeline.web.filters import parse_alerts_params, parse_period_and_query
from pipeline.web.middleware import state_changing
from pipeline.web.pages import alerts_fingerprint


async def openapi_api(request: Request) -> Response:
    """The API's OpenAPI description; behind the same token as the rest of /api."""
    from pipeline.web.openapi import description

    return JSONResponse(description())


async def overview_api(request: Request) -> Response:
    return JSONResponse((await fetch.overview(request, context.api_filters(request))).to_json())


async def response_times_api(request: Request) -> Response:
    scope = context.api_scope(request)
    times = await service.response_times(context.es(request), context.settings(request), scope, context.now())
    return JSONResponse({"since": scope.since.isoformat() if scope.since else None, "until": scope.until.isoformat(),
                         **times.to_json()})


# -- alerts -----------------------------------------------------------------------------------------

async def alerts_api(request: Request) -> Response:
    params = parse_alerts_params(request.query_params)
    alerts = await fetch.listed_alerts(request, params.state, params.watch, params.size)
    return JSONResponse([alert.model_dump(mode="json") for alert in alerts])


async def alerts_stream(request: Request) -> Response:
    """Server-sent events: one ``alerts`` event each time the set of active alerts changes."""
    interval = context.settings(request).web.live_seconds
    include_resolved = request.query_params.get("show") == "all"

    async def events():
        last = None
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            try:
                fingerprint = alerts_fingerprint(await fetch.alerts(request, include_resolved))
            except (ApiError, TransportError) as exc:  # the answer has started: said in the stream, not by a status
                yield f"event: problem\ndata: {type(exc).__name__}\n\n"
                fingerprint = last
            if fingerprint != last:
                yield f"event: alerts\ndata: {fingerprint}\n\n"
                last = fingerprint
            else:
                yield ": still here\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return {}


def alert_api(action: str):
    """``POST /api/alerts/<id>/<action>`` (acknowledge, resolve) with ``{"who": "<name>"}``."""

    @state_changing
    async def api_handler(request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            return JSONResponse({"error": 'the body must be a JSON object: {"who": "<your name>"}'}, status_code=400)
        alert, status, problem = await actions.transition(request, str(body.get("who") or ""),
                                                          request.path_params["alert_id"], action)
        if alert is None:
            return JSONResponse({"error": problem}, status_code=status)
        return JSONResponse(alert.model_dump(mode="json"))

    return api_handler


# -- inbox ------------------------------------------------------------------------------------------

async def inbox_api(request: Request) -> Response:
    view = await service.load_inbox(context.es(request), context.settings(request), context.api_scope(request),
                                    context.now(), assignee=(request.query_params.get("assignee") or "").strip())
    return JSONResponse(view.to_json())


def inbox_action_api(action: str):
    """``POST /api/inbox/<action>`` (assign, note, answer, reopen) on the mentions the body names."""

    @state_changing
    async def api_handler(request: Request) -> Response:
        body = await _json_body(request)
        status, answer = await actions.change_inbox(request, action, body if isinstance(body, dict) else {})
        return JSONResponse(answer, status_code=status)

    return api_handler


# -- legal-risk queue, trends, competitor watch -------------------------------------------------------

async def legal_api(request: Request) -> Response:
    items, total = await fetch.legal(request, context.api_filters(request))
    return JSONResponse({"total": total, "mentions": items})


async def trends_api(request: Request) -> Response:
    filters = context.api_filters(request)
    found = await fetch.trends(request, filters, await fetch.watches(request))
    return JSONResponse({"detected": found["detected"],
                         "frequent": [{"term": term, "mentions": count} for term, count in found["frequent"]]})


async def compare_api(request: Request) -> Response:
    """The same periods as ``veille compare`` and ``veille search``."""
    period, compiled = parse_period_and_query(request.query_params, context.now())
    brand = request.query_params.get("brand", "")
    against = [name.strip() for value in request.query_params.getlist("against") for name in value.split(",")
               if name.strip()]
    if not brand or not against:
        return JSONResponse({"error": "give brand=NAME and against=A,B"}, status_code=400)
    comparison = await fetch_comparison(context.es(request), context.settings(request).mentions_index, brand, against,
                                        period.since, period.until, compiled, period.label)
    return JSONResponse(comparison.to_json())
