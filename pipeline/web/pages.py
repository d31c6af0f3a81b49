"""The pages a browser reads: overview, crisis alerts, inbox, legal-risk queue (and its CSV), trends and
competitor watch. Each reads the filter bar, fetches what it shows (:mod:`pipeline.web.fetch`, and for the
inbox and the competitor watch :mod:`pipeline.inbox` and :mod:`pipeline.compare`) and renders its template."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pipeline.alerts.model import Alert
from pipeline.compare import UnknownWatch, fetch_comparison
from pipeline.inbox import service
from pipeline.inbox.kpis import BENCHMARKS
from pipeline.inbox.store import ACTIONS
from pipeline.inbox.triage import reason_parts
from pipeline.mention import CATEGORIES
from pipeline.web import authors, context, fetch, queries
from pipeline.web.filters import scope_of_filters
from pipeline.web.render import render

INBOX_PAGE_ITEMS = 50


async def overview_page(request: Request) -> Response:
    """The figures of the period, with the response times beside the published benchmarks."""
    filters, watches = await fetch.page_context(request)
    overview = await fetch.overview(request, filters)
    times, open_alerts = None, None
    if not filters.error:
        times = (await service.response_times(context.es(request), context.settings(request),
                                              scope_of_filters(filters, context.now()), context.now())).to_json()
        open_alerts = await fetch.open_alert_count(request)
    return render(request, "overview.html", "overview", context.filters_status(filters), filters=filters,
                  watches=watches, overview=overview, response_times=times, benchmarks=BENCHMARKS,
                  open_alerts=open_alerts, likely_fake=await authors.fake_share(request, filters))


# -- crisis alerts ----------------------------------------------------------------------------------

def alerts_fingerprint(alerts: list[Alert]) -> str:
    """Short, and changes whenever an alert appears, disappears or changes: what the live update watches."""
    return hashlib.sha256(queries.alerts_fingerprint(alerts).encode()).hexdigest()[:16]


async def crisis_context(request: Request, show_all: bool | None = None, problem: str | None = None) -> dict[str, Any]:
    if show_all is None:
        show_all = request.query_params.get("show") == "all"
    alerts = await fetch.alerts(request, show_all, request.query_params.get("watch", ""))
    done = request.query_params.get("done")
    return {"alerts": alerts, "evidence": await fetch.evidence(request, alerts), "show_all": show_all,
            "done": done if done in ("acknowledged", "resolved") and problem is None else None,
            "problem": problem, "fingerprint": alerts_fingerprint(alerts)}


async def crisis_page(request: Request, status_code: int = 200, show_all: bool | None = None,
                      problem: str | None = None) -> Response:
    """The crisis page; a refused alert form shows it again, with the ``problem`` and its ``status_code``."""
    filters, watches = await fetch.page_context(request)
    return render(request, "crisis.html", "crisis", status_code, filters=filters, watches=watches, switch_path="/crisis",
                  live_seconds=context.settings(request).web.live_seconds,
                  **await crisis_context(request, show_all, problem))


async def crisis_fragment(request: Request) -> Response:
    """The alert list alone, for the live update of the crisis page."""
    return render(request, "_alerts.html", "crisis", **await crisis_context(request))


# -- inbox ------------------------------------------------------------------------------------------

async def inbox_page(request: Request) -> Response:
    filters, watches = await fetch.page_context(request)
    assignee = (request.query_params.get("assignee") or "").strip()
    view = None
    if not filters.error:
        view = await service.load_inbox(context.es(request), context.settings(request),
                                        scope_of_filters(filters, context.now()), context.now(), assignee=assignee)
    done = request.query_params.get("done")
    return render(request, "inbox.html", "inbox", context.filters_status(filters), filters=filters,
                  watches=watches, view=view, items=view.items[:INBOX_PAGE_ITEMS] if view else [],
                  now=context.now(), categories=CATEGORIES, saved=request.query_params.get("saved"),
                  done=done if done in ACTIONS else None, assignee=assignee,
                  back=f"/inbox?{urlencode(filters.as_params())}", reason_parts=reason_parts)


# -- legal-risk queue -------------------------------------------------------------------------------

async def legal_page(request: Request) -> Response:
    filters, watches = await fetch.page_context(request)
    items, total = ([], 0) if filters.error else await fetch.legal(request, filters)
    return render(request, "legal.html", "legal", context.filters_status(filters), filters=filters,
                  watches=watches, items=items, total=total, csv_url=f"/legal.csv?{urlencode(filters.as_params())}")


async def legal_csv(request: Request) -> Response:
    filters = context.page_filters(request)
    if filters.error:
        return PlainTextResponse(filters.error, status_code=400)
    items, _ = await fetch.legal(request, filters, size=10_000)
    stamp = context.now().strftime("%Y%m%dT%H%MZ")
    return Response(queries.legal_csv(items), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="veille-legal-{stamp}.csv"'})


# -- trends and competitor watch ----------------------------------------------------------------------

async def trends_page(request: Request) -> Response:
    filters, watches = await fetch.page_context(request)
    found = {"detected": [], "frequent": []} if filters.error else await fetch.trends(request, filters, watches)
    return render(request, "trends.html", "trends", context.filters_status(filters), filters=filters,
                  watches=watches, **found)


def _compared(request: Request, watches: list[str]) -> tuple[str, list[str]]:
    """The brand and its competitors: by default the first watch against all the others."""
    brand = request.query_params.get("brand") or (watches[0] if watches else "")
    against = [name.strip() for value in request.query_params.getlist("against") for name in value.split(",")
               if name.strip() and name.strip() != brand]
    if "brand" not in request.query_params and not against:
        against = [name for name in watches if name != brand]
    return brand, against


async def compare_page(request: Request) -> Response:
    """The competitor watch, with 'all' meaning from the first mention (as the API and the CLI read it)."""
    filters, watches = await fetch.page_context(request)
    brand, against = _compared(request, watches)
    comparison, problem = None, None
    if brand and against and not filters.error:
        try:
            comparison = await fetch_comparison(context.es(request), context.settings(request).mentions_index, brand,
                                                against, filters.since, filters.until or context.now(),
                                                filters.compiled, filters.period)
        except UnknownWatch as exc:
            problem = str(exc)
    chart_data = queries.comparison_charts(comparison, context.translator(request)) if comparison else None
    return render(request, "compare.html", "compare", context.filters_status(filters), filters=filters,
                  watches=watches, brand=brand, against=against, comparison=comparison, chart_data=chart_data,
                  problem=problem)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")
