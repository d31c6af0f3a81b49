"""Influencers and authors: the top authors of a watch by reach or engagement with the share of mentions from
likely fake or automated accounts (``/authors``, ``/api/authors``), and one author's page (``/author``,
``/api/author``: their mentions, sentiment over time, open inbox items, the link to erase them).

An author is named by ``platform`` and ``id`` in the query string (an id can hold any character, a feed's
author is a URL). Erasing (``POST /author/erase``, behind the CSRF check) records the erasure and deletes
the author's mentions as ``veille erase`` does, after the answer: it waits for the agents to settle.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pipeline.authors import queries, service
from pipeline.inbox import service as inbox
from pipeline.inbox.service import Scope
from pipeline.query.elasticsearch import Query
from pipeline.web import context, fetch
from pipeline.web.filters import BadParameter, Filters, scope_of_filters
from pipeline.web.middleware import state_changing
from pipeline.web.render import error_page, render

log = logging.getLogger(__name__)
MAX_ID_CHARS = 512


def author_url(mention: dict[str, Any], path: str = "/author") -> str:
    """The page of a mention's author (``""`` when the mention names none)."""
    author_id = (mention.get("author") or {}).get("id")
    return f"{path}?{urlencode({'platform': mention.get('platform') or '', 'id': author_id})}" if author_id else ""


def _ranking(request: Request) -> str:
    by = request.query_params.get("by") or "reach"
    if by not in queries.RANKINGS:
        raise BadParameter(f"by is one of {', '.join(queries.RANKINGS)}")
    return by


def _named_author(request: Request) -> tuple[str, str]:
    platform = (request.query_params.get("platform") or "").strip()
    author_id = request.query_params.get("id") or ""
    if not platform or not author_id or len(author_id) > MAX_ID_CHARS or len(platform) > 64:
        raise BadParameter(f"platform and id name the author (id at most {MAX_ID_CHARS} characters)")
    return platform, author_id


def _scope_query(scope: Scope) -> Query:
    return {"bool": {"filter": scope.clauses()}}


async def fake_share(request: Request, filters: Filters) -> dict[str, Any] | None:
    """The share of the period's mentions from likely fake accounts, in all and per watch (for the overview)."""
    return None if filters.error else await _fake_share(request, filters.query_dsl())


async def _fake_share(request: Request, query: Query) -> dict[str, Any]:
    overall, per_watch = await service.fake_share(context.es(request), context.settings(request).mentions_index, query)
    return {**overall.to_json(), "watches": {name: share.to_json() for name, share in per_watch.items()}}


async def _top(request: Request, query: Query, by: str) -> dict[str, Any]:
    authors = await service.top_authors(context.es(request), context.settings(request).mentions_index, query, by)
    return {"by": by, "authors": [author.to_json() for author in authors],
            "likely_fake": await _fake_share(request, query)}


async def authors_page(request: Request) -> Response:
    filters, watches = await fetch.page_context(request)
    by = request.query_params.get("by") if request.query_params.get("by") in queries.RANKINGS else "reach"
    found = ({"by": by, "authors": [], "likely_fake": None} if filters.error
             else await _top(request, filters.query_dsl(), by))
    return render(request, "authors.html", "authors", context.filters_status(filters), filters=filters,
                  watches=watches, rankings=queries.RANKINGS, erased=request.query_params.get("erased"),
                  **found)


def _period(scope: Scope) -> dict[str, Any]:
    return {"since": scope.since.isoformat() if scope.since else None, "until": scope.until.isoformat(),
            "watch": scope.watch or None}


async def authors_api(request: Request) -> Response:
    """Periods, ``q`` and ``watch`` read as ``/api/inbox`` and ``veille authors`` read them."""
    scope = context.api_scope(request)
    return JSONResponse({**_period(scope), **await _top(request, _scope_query(scope), _ranking(request))})


async def _author(request: Request, scope: Scope) -> tuple[queries.AuthorView, Any]:
    platform, author_id = _named_author(request)
    es, settings = context.es(request), context.settings(request)
    view = await service.author(es, settings.mentions_index, platform, author_id, _scope_query(scope),
                                scope.since, scope.until)
    mine = queries.author_query(platform, author_id)
    own_scope = Scope(scope.since, scope.until, scope.watch,
                      mine if scope.query is None else {"bool": {"filter": [scope.query, mine]}})
    return view, await inbox.load_inbox(es, settings, own_scope, context.now())


async def author_page(request: Request) -> Response:
    filters, watches = await fetch.page_context(request)
    try:
        platform, author_id = _named_author(request)
    except BadParameter as exc:
        return error_page(request, 400, "error.not_found", str(exc))
    view, open_items = (None, None) if filters.error else await _author(request, scope_of_filters(filters, context.now()))
    if view is not None and not view.mentions and filters.period == "all":
        return error_page(request, 404, "error.not_found", f"{platform}:{author_id}")
    chart = [(name, [(at, counts[name]) for at, counts in view.sentiment_over_time]) for name in
             ("negative", "neutral", "positive")] if view else []
    return render(request, "author.html", "authors", context.filters_status(filters), filters=filters,
                  watches=watches, author=view, platform=platform, author_id=author_id, open_items=open_items,
                  sentiment_chart=chart, now=context.now(),
                  erase_url=author_url({"platform": platform, "author": {"id": author_id}}, "/author/erase"))


async def author_api(request: Request) -> Response:
    scope = context.api_scope(request)
    view, open_items = await _author(request, scope)
    return JSONResponse({**_period(scope), **view.to_json(), "open_items": open_items.to_json()})


async def erase_page(request: Request) -> Response:
    """What erasing the author does, and the button (or the command) that does it."""
    try:
        platform, author_id = _named_author(request)
    except BadParameter as exc:
        return error_page(request, 400, "error.not_found", str(exc))
    return render(request, "author_erase.html", "authors", platform=platform, author_id=author_id,
                  back=author_url({"platform": platform, "author": {"id": author_id}}))


@state_changing
async def erase_form(request: Request) -> Response:
    from pipeline.privacy import erase_author, new_erasure

    form = await request.form()
    platform, author_id = str(form.get("platform") or "").strip(), str(form.get("id") or "")
    try:  # one platform's author: erasing an id on every platform is the command's, not a button's
        if not platform:
            raise ValueError("platform names the author's platform")
        erasure = new_erasure(author_id, platform, str(form.get("reason") or "").strip() or "web app")
    except ValueError as exc:
        return error_page(request, 400, "error.not_found", str(exc))
    settings = context.settings(request)

    async def erase() -> None:
        report = await erase_author(settings, erasure, settings.erase_settle_seconds)
        log.info("erased author %s:%s from the web app: %d mentions deleted, %d still indexed", platform, author_id,
                 report.deleted, report.remaining)

    log.info("erasing author %s:%s (asked from the web app)", platform, author_id)
    return RedirectResponse(f"/authors?{urlencode({'erased': f'{platform}:{author_id}'})}", status_code=303,
                            background=BackgroundTask(erase))
