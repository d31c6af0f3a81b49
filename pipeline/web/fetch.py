"""The pages' reads from Elasticsearch: the requests of :mod:`pipeline.web.queries` sent, their answers shaped.

An index that does not exist yet (nothing indexed, no alert or trend stored so far) reads as an empty answer;
Elasticsearch down or refusing raises, for the app's handlers in :mod:`pipeline.web.errors`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from elasticsearch import NotFoundError
from starlette.requests import Request

from pipeline.alerts.model import Alert, AlertState
from pipeline.alerts.store import trends_index
from pipeline.compare import known_watches, known_watches_request, top_terms
from pipeline.web import context, queries
from pipeline.web.filters import Filters

MAX_EVIDENCE = 5
FREQUENT_TERMS = 25


async def search(request: Request, index: str, body: dict[str, Any]) -> Mapping[str, Any]:
    """The answer of one search; ``{}`` when ``index`` does not exist yet."""
    try:
        return (await context.es(request).search(index=index, **body)).body
    except NotFoundError:
        return {}


async def search_mentions(request: Request, body: dict[str, Any]) -> Mapping[str, Any]:
    return await search(request, context.settings(request).mentions_index, body)


async def mention(request: Request, mention_id: str, fields: list[str]) -> dict[str, Any] | None:
    """``fields`` of one mention; None when there is no such mention."""
    try:
        response = await context.es(request).get(index=context.settings(request).mentions_index, id=mention_id,
                                                 source_includes=fields)
    except NotFoundError:
        return None
    return response["_source"]


async def watches(request: Request) -> list[str]:
    """The names mentions are watched under."""
    return known_watches(await search_mentions(request, known_watches_request()))


async def page_context(request: Request) -> tuple[Filters, list[str]]:
    """The filter bar's filters and the watches it offers."""
    filters = context.page_filters(request)
    # A refused query costs Elasticsearch nothing: the page shows the error without the watch list.
    return filters, [] if filters.error else await watches(request)


async def overview(request: Request, filters: Filters) -> queries.Overview | None:
    if filters.error:
        return None
    return queries.shape_overview(await search_mentions(request, queries.overview_request(filters)))


async def _stored_alerts(request: Request, **query: Any) -> list[Alert] | None:
    """The alerts the store lists for ``query``; None when no alert was ever stored."""
    try:
        return await context.alert_store(request).list(**query)
    except NotFoundError:
        return None


async def open_alert_count(request: Request) -> int | None:
    found = await _stored_alerts(request, state=AlertState.open.value)
    return None if found is None else len(found)


async def alerts(request: Request, include_resolved: bool, watch: str = "") -> list[Alert]:
    """The active alerts (or the last 200, resolved ones included), most urgent first."""
    query: dict[str, Any] = {"size": 200} if include_resolved else {"active_only": True}
    return queries.sort_alerts(await _stored_alerts(request, watch=watch or None, **query) or [])


async def listed_alerts(request: Request, state: str | None, watch: str | None, size: int) -> list[Alert]:
    """The alerts ``/api/alerts`` asks for, most urgent first."""
    return queries.sort_alerts(await _stored_alerts(request, state=state, watch=watch, size=size) or [])


async def evidence(request: Request, alerts: list[Alert]) -> dict[str, list[dict[str, Any]]]:
    """The sample mentions each alert cites, at most :data:`MAX_EVIDENCE` each."""
    found: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        ids = alert.sample_ids[:MAX_EVIDENCE]
        found[alert.id] = queries.sources_of(await search_mentions(request, queries.evidence_request(ids))) if ids else []
    return found


async def legal(request: Request, filters: Filters, size: int = 200) -> tuple[list[dict[str, Any]], int]:
    """The mentions flagged for legal review, newest first, and how many there are."""
    response = await search_mentions(request, queries.legal_request(filters, size))
    return queries.sources_of(response), queries.total_of(response)


async def trends(request: Request, filters: Filters, watches: list[str]) -> dict[str, Any]:
    """The bursting terms the trends agent stored, and the most frequent terms of the recent mentions."""
    stored = await search(request, trends_index(context.settings(request)), queries.trends_request(filters))
    frequent: list[tuple[str, int]] = []
    if not filters.error:
        texts = queries.texts_of(await search_mentions(request, queries.recent_texts_request(filters)))
        frequent = await asyncio.to_thread(top_terms, texts, watches, FREQUENT_TERMS)
    return {"detected": queries.shape_trends(stored), "frequent": frequent}
