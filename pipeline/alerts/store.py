"""Alerts and trends in Elasticsearch (``<prefix>-alerts``, ``<prefix>-trends``).

The crisis agent upserts every change of an alert here (document id = alert id); the CLI and the web
app read alerts from here and acknowledge or resolve them. An acknowledge or resolve is written here at
once (so the screen changes under the community manager's click) and also sent to the crisis agent,
which owns the alert in its Faust table, so its next update of that crisis keeps the new state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch.helpers import async_bulk

from pipeline.alerts.model import Alert, AlertState, acknowledge, resolve
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import ensure_index, index_template
from pipeline.sinks.mappings_extra import ALERT_PROPERTIES, TREND_PROPERTIES

log = logging.getLogger(__name__)


def alerts_index(settings: Settings) -> str:
    return f"{settings.index_prefix}-alerts"


def trends_index(settings: Settings) -> str:
    return f"{settings.index_prefix}-trends"


async def setup_alert_indices(client: AsyncElasticsearch, settings: Settings) -> None:
    """Install the templates and create the alerts and trends indices (idempotent)."""
    await ensure_index(client, alerts_index(settings), index_template(
        f"{alerts_index(settings)}*", ALERT_PROPERTIES, "Crisis alerts, one document per alert", "1s"))
    await ensure_index(client, trends_index(settings), index_template(
        f"{trends_index(settings)}*", TREND_PROPERTIES, "Trending terms per watch and window",
        settings.index.refresh_interval))


async def wait_for_alert_indices(client: AsyncElasticsearch, settings: Settings) -> None:
    """:func:`setup_alert_indices`, retried with backoff while Elasticsearch is not up (agents start before it)."""
    delay = 0.5
    while True:
        try:
            return await setup_alert_indices(client, settings)
        except Exception as exc:
            log.warning("alerts/trends indices not ready (%s); retrying in %.0fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)


def alert_document(alert: Alert) -> dict[str, Any]:
    return alert.model_dump(mode="json")


class AlertStore:
    """Read, upsert, acknowledge and resolve alerts in Elasticsearch."""

    def __init__(self, client: AsyncElasticsearch, settings: Settings):
        self.client = client
        self.index = alerts_index(settings)

    # An alert written is searchable when the write returns (refresh="wait_for": Elasticsearch answers after
    # the next refresh of the index, at most its 1 s interval, without forcing one): a listing right after
    # the crisis agent raised an alert, or after a notification about it, finds it. Without it, a search
    # within the refresh interval missed it (and the embedded server refreshes only when searched).
    async def upsert(self, alert: Alert, refresh: bool = False) -> None:
        await self.client.index(index=self.index, id=alert.id, document=alert_document(alert),
                                refresh="true" if refresh else "wait_for")

    async def upsert_many(self, alerts: Iterable[Alert]) -> None:
        actions = [{"_op_type": "index", "_index": self.index, "_id": a.id, "_source": alert_document(a)} for a in alerts]
        if actions:
            await async_bulk(self.client, actions, max_retries=3, initial_backoff=0.5, refresh="wait_for")

    async def get(self, alert_id: str) -> Alert | None:
        try:
            found = await self.client.get(index=self.index, id=alert_id)
        except NotFoundError:
            return None
        return Alert.model_validate(found["_source"])

    async def list(self, state: str | None = None, watch: str | None = None, size: int = 100,
                   active_only: bool = False) -> list[Alert]:
        """Newest first. ``state``: open | acknowledged | resolved; ``active_only``: open or acknowledged."""
        filters: list[dict[str, Any]] = []
        if state:
            filters.append({"term": {"state": AlertState(state).value}})
        elif active_only:
            filters.append({"terms": {"state": [AlertState.open.value, AlertState.acknowledged.value]}})
        if watch:
            filters.append({"term": {"watch": watch}})
        query = {"bool": {"filter": filters}} if filters else {"match_all": {}}
        try:
            found = await self.client.search(index=self.index, query=query, size=size,
                                             sort=[{"updated_at": {"order": "desc"}}])
        except NotFoundError:
            return []
        return [Alert.model_validate(hit["_source"]) for hit in found["hits"]["hits"]]

    async def _transition(self, alert_id: str, change, who: str, now: datetime | None) -> Alert:
        alert = await self.get(alert_id)
        if alert is None:
            raise KeyError(f"no alert with id {alert_id!r} in {self.index}")
        changed = change(alert, who, now or datetime.now(UTC))
        await self.upsert(changed, refresh=True)
        return changed

    async def acknowledge(self, alert_id: str, who: str, now: datetime | None = None) -> Alert:
        """open → acknowledged; raises KeyError (unknown id) or InvalidTransition."""
        return await self._transition(alert_id, acknowledge, who, now)

    async def resolve(self, alert_id: str, who: str, now: datetime | None = None) -> Alert:
        """open or acknowledged → resolved; raises KeyError (unknown id) or InvalidTransition."""
        return await self._transition(alert_id, resolve, who, now)


async def index_trends(client: AsyncElasticsearch, settings: Settings, trends: Sequence[Mapping[str, Any]]) -> None:
    """Index trend events; the document id (watch, term, window) makes a replay overwrite, not duplicate."""
    index = trends_index(settings)
    actions = [{"_op_type": "index", "_index": index, "_id": trend["id"], "_source": dict(trend)} for trend in trends]
    if actions:
        await async_bulk(client, actions, max_retries=3, initial_backoff=0.5)
