"""The inbox (triage, assign, note, answer), the response-time figures and the competitor watch's periods.

Routes of their own, registered ahead of :func:`pipeline.web.app.routes` (the first route that matches a
path wins, so ``/``, ``/inbox``, ``/api/inbox``, ``/compare`` and ``/api/compare`` are served from here). Queries and
shaping live in :mod:`pipeline.inbox`; the request helpers, error handling and CSRF rules are the app's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.compare import UnknownWatch, fetch_comparison
from pipeline.inbox import service
from pipeline.inbox.kpis import BENCHMARKS
from pipeline.inbox.store import ACTIONS, InboxActionError, check_change
from pipeline.inbox.triage import parse_time, reason_parts
from pipeline.mention import CATEGORIES
from pipeline.periods import PeriodError, parse_period
from pipeline.query import QuerySyntaxError, compile_query
from pipeline.web import app as web
from pipeline.web import queries, security

log = logging.getLogger(__name__)
PAGE_ITEMS = 50


def _scope_of_filters(filters: queries.Filters) -> service.Scope:
    return service.Scope(filters.since, filters.until or web._now(), filters.watch, filters.compiled)


def api_scope(request: Request) -> service.Scope:
    """``since``, ``until``, ``q`` and ``watch`` of an API call; raises ValueError with what is wrong."""
    params = request.query_params
    period = parse_period(params.get("since"), params.get("until"), web._now())
    text = (params.get("q") or "").strip()
    compiled = compile_query(text) if text else None
    watch = (params.get("watch") or "").strip()
    if len(watch) > queries.MAX_WATCH_NAME_CHARS:
        raise ValueError(f"watch is a watch's name, at most {queries.MAX_WATCH_NAME_CHARS} characters")
    return service.Scope(period.since, period.until, watch, compiled)


def _bad_request(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


# -- overview: the app's page with the response-time figures beside the published ones -----------------

@web._elasticsearch_errors
async def overview_page(request: Request) -> Response:
    filters, watches = await web._page_context(request)
    overview = await web._overview(request, filters)
    times = None
    if not filters.error:
        times = (await service.response_times(web._es(request), web._settings(request), _scope_of_filters(filters),
                                              web._now())).to_json()
    return web._render(request, "overview.html", "overview", web._filters_status(filters), filters=filters,
                       watches=watches, overview=overview, response_times=times, benchmarks=BENCHMARKS,
                       open_alerts=None if filters.error else await web._open_alert_count(request))


@web._elasticsearch_errors
async def response_times_api(request: Request) -> Response:
    try:
        scope = api_scope(request)
    except (PeriodError, QuerySyntaxError, ValueError) as exc:
        return _bad_request(exc)
    times = await service.response_times(web._es(request), web._settings(request), scope, web._now())
    return JSONResponse({"since": scope.since.isoformat() if scope.since else None, "until": scope.until.isoformat(),
                         **times.to_json()})


# -- inbox -------------------------------------------------------------------------------------------

@web._elasticsearch_errors
async def inbox_page(request: Request) -> Response:
    filters, watches = await web._page_context(request)
    assignee = (request.query_params.get("assignee") or "").strip()
    view = None
    if not filters.error:
        view = await service.load_inbox(web._es(request), web._settings(request), _scope_of_filters(filters),
                                        web._now(), assignee=assignee)
    done = request.query_params.get("done")
    return web._render(request, "inbox.html", "inbox", web._filters_status(filters), filters=filters,
                       watches=watches, view=view, items=view.items[:PAGE_ITEMS] if view else [],
                       now=web._now(), categories=CATEGORIES, saved=request.query_params.get("saved"),
                       done=done if done in ACTIONS else None, assignee=assignee,
                       back=f"/inbox?{urlencode(filters.as_params())}", reason_parts=reason_parts)


@web._elasticsearch_errors
async def inbox_api(request: Request) -> Response:
    try:
        scope = api_scope(request)
    except (PeriodError, QuerySyntaxError, ValueError) as exc:
        return _bad_request(exc)
    view = await service.load_inbox(web._es(request), web._settings(request), scope, web._now(),
                                    assignee=(request.query_params.get("assignee") or "").strip())
    return JSONResponse(view.to_json())


async def _act(request: Request, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    ids = body.get("ids") or ([body["id"]] if body.get("id") else [])
    if isinstance(ids, str):
        ids = [part for part in ids.split(",")]
    if not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
        return 400, {"error": "ids must be a list of mention ids, or one string of ids separated by commas"}
    raw_at = body.get("at")
    try:
        at = parse_time(raw_at) if raw_at and isinstance(raw_at, str) else None
    except OverflowError:  # a valid ISO time whose offset takes it out of datetime's range (year 1 or 9999)
        at = None
    if raw_at and at is None:
        return 400, {"error": f"at must be an ISO date-time, not {str(raw_at)[:40]!r}"}
    try:
        change = check_change(action, [str(i) for i in ids], str(body.get("who") or ""),
                              str(body.get("assignee") or ""), str(body.get("note") or ""), at)
        outcome = await service.apply_change(web._es(request), web._settings(request), change, web._now())
    except InboxActionError as exc:
        return (404 if str(exc).startswith("no mention") else 400), {"error": str(exc)}
    log.info("inbox %s by %s on %s", action, change.who, ", ".join(outcome.changed))
    return 200, {"action": action, "changed": outcome.changed, "missing": outcome.missing}


def _inbox_action(action: str):
    @web._elasticsearch_errors
    @web.state_changing
    async def api_handler(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        status, answer = await _act(request, action, body if isinstance(body, dict) else {})
        return JSONResponse(answer, status_code=status)

    return api_handler


@web._elasticsearch_errors
@web.state_changing
async def inbox_form(request: Request) -> Response:
    """The inbox's forms: assign, note, answer or reopen the mentions of one item."""
    form = await request.form()
    action = str(form.get("action") or "")
    body = {"ids": form.getlist("id"), "who": form.get("who"), "assignee": form.get("assignee"),
            "note": form.get("note"), "at": form.get("at") or None}
    status, answer = await _act(request, action, body)
    if status != 200:
        return web._error_page(request, status, "error.not_found" if status == 404 else "error.inbox", answer["error"])
    back = security.safe_next(str(form.get("back") or "/inbox"))
    separator = "&" if "?" in back else "?"
    response = RedirectResponse(f"{back}{separator}done={action}", status_code=303)
    who = str(form.get("who") or "").strip()[:80]
    if who and action == "answer":  # the one form where the name is typed; the others send the remembered one
        response.set_cookie(web.WHO_COOKIE, who, max_age=365 * 86400, samesite="lax")
    return response


# -- competitor watch: the same periods as veille compare and veille search --------------------------

@web._elasticsearch_errors
async def compare_api(request: Request) -> Response:
    params = request.query_params
    try:
        period = parse_period(params.get("since"), params.get("until"), web._now())
        text = (params.get("q") or "").strip()
        compiled = compile_query(text) if text else None
    except (PeriodError, QuerySyntaxError) as exc:
        return _bad_request(exc)
    brand = params.get("brand", "")
    against = [name.strip() for value in params.getlist("against") for name in value.split(",") if name.strip()]
    if not brand or not against:
        return JSONResponse({"error": "give brand=NAME and against=A,B"}, status_code=400)
    try:
        comparison = await fetch_comparison(web._es(request), web._settings(request).mentions_index, brand, against,
                                            period.since, period.until, compiled, period.label)
    except UnknownWatch as exc:
        return _bad_request(exc)
    return JSONResponse(comparison.to_json())


@web._elasticsearch_errors
async def compare_page(request: Request) -> Response:
    """The app's competitor page, with 'all' meaning from the first mention (as the API and the CLI read it)."""
    filters, watches = await web._page_context(request)
    brand, against = web._compare_args(request, filters, watches)
    comparison, problem = None, None
    if brand and against and not filters.error:
        try:
            comparison = await fetch_comparison(web._es(request), web._settings(request).mentions_index, brand,
                                                against, filters.since, filters.until or web._now(), filters.compiled,
                                                filters.period)
        except UnknownWatch as exc:
            problem = str(exc)
    chart_data = queries.comparison_charts(comparison, web._translator(request)) if comparison else None
    return web._render(request, "compare.html", "compare", web._filters_status(filters), filters=filters,
                       watches=watches, brand=brand, against=against, comparison=comparison, chart_data=chart_data,
                       problem=problem)


def routes() -> list[Route]:
    return [
        Route("/", overview_page),
        Route("/inbox", inbox_page),
        Route("/inbox/act", inbox_form, methods=["POST"]),
        Route("/api/inbox", inbox_api),
        *(Route(f"/api/inbox/{action}", _inbox_action(action), methods=["POST"]) for action in ACTIONS),
        Route("/api/kpis/response-times", response_times_api),
        Route("/compare", compare_page),
        Route("/api/compare", compare_api),
    ]
