"""Acknowledge or resolve an alert, for the CLI and the web app.

The change is written to Elasticsearch at once (the screen follows the click) and sent to the crisis
agent on the watch's signals partition, so the alert it keeps in its Faust table changes too and its
next update of the crisis does not bring the old state back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import orjson

from pipeline import topics as t
from pipeline.alerts.model import Alert
from pipeline.alerts.store import AlertStore
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import make_client
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.trends.signals import AlertAction


async def act_on_alert(settings: Settings, alert_id: str, action: Literal["acknowledge", "resolve"], who: str,
                       store: AlertStore | None = None) -> Alert:
    """Apply ``action`` by ``who``; raises KeyError (no such alert) or InvalidTransition (e.g. already resolved)."""
    now = datetime.now(UTC)
    own_client = store is None
    store = store or AlertStore(make_client(settings), settings)
    try:
        changed = await (store.acknowledge if action == "acknowledge" else store.resolve)(alert_id, who, now)
    finally:
        if own_client:
            await store.client.close()
    message = AlertAction(watch=changed.watch, alert_id=changed.id, action=action, by=who, at=now)
    async with KafkaRecordSink(settings) as sink:
        await sink.send(settings.topic(t.SIGNALS), orjson.dumps(message.to_json()), changed.watch.encode())
    return changed
