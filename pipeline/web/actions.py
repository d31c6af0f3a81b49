"""The changes a teammate makes, shared by a page's form and its API twin: an alert acknowledged or
resolved, inbox mentions assigned, noted, answered or reopened. Each answers an HTTP status and what to
say; the form or the API decides how to show it."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.errors import KafkaError
from starlette.requests import Request

from pipeline.alerts.actions import act_on_alert
from pipeline.alerts.model import Alert, InvalidTransition
from pipeline.inbox import service
from pipeline.inbox.store import InboxActionError, check_change
from pipeline.redact import mask_credentials
from pipeline.timestamps import parse_iso
from pipeline.web import context

log = logging.getLogger(__name__)
MAX_NAME_CHARS = 80


async def transition(request: Request, who: str, alert_id: str, action: str) -> tuple[Alert | None, int, str]:
    """``action`` (acknowledge, resolve) on one alert by ``who``: the alert, or None with a status and why."""
    who = who.strip()[:MAX_NAME_CHARS]
    if not who:
        return None, 400, "who is acting? (give a name)"
    settings = context.settings(request)
    try:
        alert = await act_on_alert(settings, alert_id, action, who, store=context.alert_store(request))
    except KeyError:
        return None, 404, f"no alert {alert_id}"
    except InvalidTransition as exc:
        return None, 409, str(exc)
    except KafkaError as exc:
        log.error("alert %s %sd by %s in Elasticsearch, but the crisis agent could not be told: %s",
                  alert_id, action, who, mask_credentials(exc))
        return None, 502, mask_credentials(f"the alert was {action}d, but Kafka ({settings.kafka.brokers}) "
                                           f"could not be reached to tell the crisis agent: {exc}")
    log.info("alert %s %sd by %s", alert_id, action, who)
    return alert, 200, ""


async def change_inbox(request: Request, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``action`` on the inbox mentions ``body`` names (``ids`` or ``id``): a status and the JSON answer."""
    ids = body.get("ids") or ([body["id"]] if body.get("id") else [])
    if isinstance(ids, str):
        ids = [part for part in ids.split(",")]
    if not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
        return 400, {"error": "ids must be a list of mention ids, or one string of ids separated by commas"}
    raw_at = body.get("at")
    at = parse_iso(raw_at) if isinstance(raw_at, str) else None
    if raw_at and at is None:
        return 400, {"error": f"at must be an ISO date-time, not {str(raw_at)[:40]!r}"}
    try:
        change = check_change(action, [str(i) for i in ids], str(body.get("who") or ""),
                              str(body.get("assignee") or ""), str(body.get("note") or ""), at)
        outcome = await service.apply_change(context.es(request), context.settings(request), change, context.now())
    except InboxActionError as exc:
        return (404 if str(exc).startswith("no mention") else 400), {"error": str(exc)}
    log.info("inbox %s by %s on %s", action, change.who, ", ".join(outcome.changed))
    return 200, {"action": action, "changed": outcome.changed, "missing": outcome.missing}
