"""The forms of the pages, each behind the CSRF check: an alert acknowledged or resolved, inbox mentions
assigned, noted, answered or reopened, a mention's tags corrected. Done, each goes back to its page with
a notice (``303``); refused, it says why."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pipeline.mention import CATEGORIES
from pipeline.web import actions, context, fetch, security
from pipeline.web.middleware import state_changing
from pipeline.web.pages import crisis_page
from pipeline.web.render import error_page

log = logging.getLogger(__name__)


def _back_to(target: str, notice: str) -> RedirectResponse:
    """To ``target`` (a path of this app), with ``notice`` added to its query."""
    back = security.safe_next(target)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}{notice}", status_code=303)


def alert_form(action: str):
    """The crisis page's ``action`` (acknowledge, resolve) button of one alert."""

    @state_changing
    async def form_handler(request: Request) -> Response:
        form = await request.form()
        who = str(form.get("who") or "")
        alert, status, problem = await actions.transition(request, who, request.path_params["alert_id"], action)
        show_all = form.get("show") == "all"
        if alert is None:  # shown here rather than put in a URL, where anyone could write any text
            return await crisis_page(request, status, show_all, problem)
        params = {"done": f"{action}d", **({"show": "all"} if show_all else {})}
        response = RedirectResponse(f"/crisis?{urlencode(params)}#alerts", status_code=303)
        if who.strip():
            context.remember_who(response, who.strip()[:actions.MAX_NAME_CHARS])
        return response

    return form_handler


@state_changing
async def inbox_form(request: Request) -> Response:
    """The inbox's forms: assign, note, answer or reopen the mentions of one item."""
    form = await request.form()
    action = str(form.get("action") or "")
    body = {"ids": form.getlist("id"), "who": form.get("who"), "assignee": form.get("assignee"),
            "note": form.get("note"), "at": form.get("at") or None}
    status, answer = await actions.change_inbox(request, action, body)
    if status != 200:
        return error_page(request, status, "error.not_found" if status == 404 else "error.inbox", answer["error"])
    response = _back_to(str(form.get("back") or "/inbox"), f"done={action}")
    who = str(form.get("who") or "").strip()[:actions.MAX_NAME_CHARS]
    if who and action == "answer":  # the one form where the name is typed; the others send the remembered one
        context.remember_who(response, who)
    return response


@state_changing
async def feedback_form(request: Request) -> Response:
    """"Correct the tags" from the inbox: one :class:`FeedbackRecord` for the next training run."""
    from pydantic import ValidationError

    from pipeline.tagging.feedback import FeedbackRecord, append_feedback, feedback_path

    form = await request.form()
    mention_id = str(form.get("id") or "")
    if not mention_id.strip():
        return error_page(request, 400, "error.query", "which mention? (give its id)")
    source = await fetch.mention(request, mention_id, ["text", "lang", "categories", "author.id", "platform"])
    if source is None:
        return error_page(request, 404, "error.not_found", mention_id)
    current = set(source.get("categories") or [])
    wanted = {name for name in form.getlist("category") if name in CATEGORIES}
    sentiment = str(form.get("sentiment") or "") or None
    try:
        author = source.get("author") if isinstance(source.get("author"), dict) else {}
        record = FeedbackRecord(id=mention_id, text=source["text"], lang=source.get("lang"),
                                author_id=author.get("id"), platform=source.get("platform"),
                                add=sorted(wanted - current), remove=sorted(current - wanted), sentiment=sentiment)
    except ValidationError as exc:
        return error_page(request, 400, "error.query", str(exc))
    if record.add or record.remove or record.sentiment:
        append_feedback(feedback_path(context.settings(request).data_dir), record)
        log.info("tag correction for %s: +%s -%s sentiment %s", mention_id, record.add, record.remove, record.sentiment)
    return _back_to(str(form.get("back") or "/inbox"), f"saved={mention_id}")
