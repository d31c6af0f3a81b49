"""The OpenAPI 3 description of the web app's JSON API, served at ``/api/openapi.json``.

Written by hand, one entry per ``/api`` route of :func:`pipeline.web.app.routes` (a unit test checks that
none is missing). Every error answer is ``{"error": "<why>"}``; with ``VEILLE_WEB_TOKEN`` set, every call
needs ``Authorization: Bearer <token>`` (or the sign-in cookie), this description included.
"""

from __future__ import annotations

from typing import Any

from pipeline.inbox.store import ACTIONS
from pipeline.web.filters import MAX_ALERTS_SIZE, MAX_WATCH_NAME_CHARS, PERIODS

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"},
                                                                  "detail": {"type": "string"}}}


def _param(name: str, description: str, schema: dict[str, Any] | None = None, where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or {"type": "string"}}


_SINCE = _param("since", f"start of the period: one of {', '.join(PERIODS)}, a duration (48h, 2w) or an ISO date")
_UNTIL = _param("until", "end of the period: an ISO date or date-time (default: now)")
_Q = _param("q", "a query in Veille's query language (see veille search --help), at most 2,000 characters")
_WATCH = _param("watch", f"a watch's name, at most {MAX_WATCH_NAME_CHARS} characters")
_FILTERS = [_Q, _SINCE, _UNTIL, _WATCH]
_ALERT_ID = _param("alert_id", "the alert's id", where="path", required=True)


def _answers(ok: str, *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {"200": {"description": ok, "content": {"application/json": {"schema": {}}}}}
    reasons = {400: "a parameter or the body is not valid: the reason is in 'error'",
               401: "the access token is missing or wrong", 403: "no CSRF token or a foreign Origin",
               404: "no such alert or mention", 409: "the alert cannot make that transition",
               502: "Elasticsearch (or Kafka) refused or is unreachable", 504: "Elasticsearch did not answer in time"}
    for status in (*errors, 401, 502, 504):
        answers[str(status)] = {"description": reasons[status],
                                "content": {"application/json": {"schema": _ERROR}}}
    return answers


def _get(summary: str, parameters: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": _answers(summary, *errors)}}


def _post(summary: str, body: dict[str, Any], parameters: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    return {"post": {"summary": summary, "parameters": parameters,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                     "responses": _answers(summary, 403, *errors)}}


_ALERT_BODY = {"type": "object", "required": ["who"], "properties": {"who": {"type": "string", "maxLength": 80}}}
_INBOX_BODY = {"type": "object", "properties": {
    "ids": {"oneOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 500},
                      {"type": "string", "description": "ids separated by commas"}]},
    "id": {"type": "string"}, "who": {"type": "string"}, "assignee": {"type": "string"},
    "note": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}}


def description() -> dict[str, Any]:
    """The OpenAPI document, as a dict ready for JSON."""
    paths: dict[str, Any] = {
        "/api/openapi.json": _get("this description", []),
        "/api/overview": _get("mention counts, sentiment, categories and volume over the period", _FILTERS, 400),
        "/api/alerts": _get("crisis alerts, most urgent first", [
            _param("state", "open, acknowledged or resolved", {"type": "string",
                                                               "enum": ["open", "acknowledged", "resolved"]}),
            _WATCH,
            _param("size", f"how many, 1 to {MAX_ALERTS_SIZE}", {"type": "integer", "minimum": 1,
                                                                 "maximum": MAX_ALERTS_SIZE})], 400),
        "/api/alerts/stream": {"get": {
            "summary": "server-sent events: 'alerts' each time the set of active alerts changes",
            "parameters": [_param("show", "'all' to include resolved alerts")],
            "responses": {"200": {"description": "an endless text/event-stream",
                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                          "401": {"description": "the access token is missing or wrong",
                                  "content": {"application/json": {"schema": _ERROR}}}}}},
        "/api/alerts/{alert_id}/acknowledge": _post("acknowledge an alert", _ALERT_BODY, [_ALERT_ID], 400, 404, 409),
        "/api/alerts/{alert_id}/resolve": _post("resolve an alert", _ALERT_BODY, [_ALERT_ID], 400, 404, 409),
        "/api/inbox": _get("the inbox: items to answer, most urgent first, with their state",
                           [*_FILTERS, _param("assignee", "only the items assigned to this teammate")], 400),
        "/api/kpis/response-times": _get("response times against the published benchmarks", _FILTERS, 400),
        "/api/legal": _get("mentions flagged for legal review", _FILTERS, 400),
        "/api/trends": _get("detected trends and the most frequent terms", _FILTERS, 400),
        "/api/compare": _get("share of voice and sentiment of a brand against competitors", [
            _param("brand", "the watch to compare", required=True),
            _param("against", "competitor watches, separated by commas", required=True),
            _Q, _SINCE, _UNTIL], 400),
        **{path: _get("mentions and interactions by weekday and hour, and the best slots to publish (since: 28d "
                      "unless given)",
                      [*_FILTERS, _param("tz", "IANA time zone of the hours (default: the watch's, Europe/Paris)")], 400)
           for path in ("/api/rhythm", "/api/audience/rhythm")},
        "/api/authors": _get("top authors by reach or engagement, and the share of mentions from likely fake accounts",
                             [*_FILTERS, _param("by", "reach (default) or engagement")], 400),
        "/api/author": _get("one author's mentions, figures, sentiment over time and open inbox items", [
            _param("platform", "the author's platform", required=True), _param("id", "the author's id", required=True),
            *_FILTERS], 400),
    }
    for action in ACTIONS:
        paths[f"/api/inbox/{action}"] = _post(f"{action} inbox mentions", _INBOX_BODY, [], 400, 404)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Veille", "version": "1",
                 "description": "The JSON API of Veille's web app. Errors are {\"error\": \"<why>\"}."},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                                     "description": "VEILLE_WEB_TOKEN, when it is set"}}},
        "security": [{"token": []}, {}],
        "paths": paths,
    }
