"""``veille inbox``: the same inbox as the web page: list what is due, assign, note, answer, and the
response-time figures. State in ``<prefix>-inbox`` (Elasticsearch), shared with the web app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import typer

from pipeline.cli import app
from pipeline.redact import mask_credentials

inbox_app = typer.Typer(help="The inbox: list what is due, assign, note, mark answered; response times.",
                        no_args_is_help=True)
app.add_typer(inbox_app, name="inbox")

SINCE_OPTION = typer.Option("7d", help="oldest mention: 24h, 8d, 2w, a date, or 'all'")
WHO_OPTION = typer.Option(..., "--who", help="your name, as your teammates know it")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(code)


def _run(work: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    from elasticsearch import ApiError, TransportError

    from pipeline.inbox.store import InboxActionError
    from pipeline.settings import get_settings
    from pipeline.sinks.elasticsearch import make_client

    settings = get_settings()
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)

    async def run():
        async with make_client(settings) as client:
            return await work(client, settings)

    try:
        return asyncio.run(run())
    except InboxActionError as exc:
        _fail(str(exc), 2)
    except ApiError as exc:
        _fail(mask_credentials(f"Elasticsearch refused the request ({exc.meta.status}): {exc.message}"))
    except TransportError as exc:
        _fail(mask_credentials(f"cannot reach Elasticsearch at {settings.elasticsearch.url}: {exc.message}"))


def _scope(since: str, until: str | None, watch: str, query: str | None):
    from pipeline.inbox.service import Scope
    from pipeline.periods import PeriodError, parse_period
    from pipeline.query import QuerySyntaxError, compile_query

    try:
        period = parse_period(since, until, datetime.now(UTC))
        compiled = compile_query(query) if query else None
    except (PeriodError, QuerySyntaxError) as exc:
        raise typer.BadParameter(str(exc)) from None
    return Scope(period.since, period.until, watch, compiled)


def item_line(item: Any, now: datetime) -> str:
    """One inbox item as a terminal line: deadline, kind, ids, assignee, text."""
    from pipeline.web.queries import format_countdown

    left = item.seconds_left(now)
    when = "no deadline" if left is None else f"{'OVERDUE' if left < 0 else 'due'} {format_countdown(left)}"
    lead = item.lead
    assignee = (lead.get("state") or {}).get("assignee") or "-"
    count = f" ({len(item.mentions)} mentions)" if len(item.mentions) > 1 else ""
    text = " ".join(str(lead.get("text") or "").split())[:90]
    return f"{when:>16}  {item.kind:<7} {lead['id']}{count}  [{assignee}]  {text}"


@inbox_app.command("list")
def list_command(
    since: str = SINCE_OPTION,
    until: str | None = typer.Option(None, help="newest mention: same forms as --since"),
    watch: str = typer.Option("", help="only this watch"),
    query: str | None = typer.Option(None, "--query", "-q", help="only mentions matching this query (search syntax)"),
    assignee: str = typer.Option("", help="only items assigned to this teammate"),
    limit: int = typer.Option(30, min=1, max=1000, help="how many items to print"),
    as_json: bool = typer.Option(False, "--json", help="the whole inbox as one JSON object"),
) -> None:
    """What is due now first (open crises, overdue, then by deadline); a conversation or a crisis is one item."""
    from pipeline.inbox.service import load_inbox

    scope = _scope(since, until, watch, query)
    now = datetime.now(UTC)
    view = _run(lambda client, settings: load_inbox(client, settings, scope, now, assignee=assignee))
    if as_json:
        typer.echo(orjson.dumps(view.to_json()).decode())
        return
    for item in view.items[:limit]:
        typer.echo(item_line(item, now))
    typer.echo(f"{view.open_total} open mentions, {view.overdue} overdue, {view.due_within_hour} items due within "
               f"the hour; {len(view.items)} items" + ("" if view.complete else f" (triaged: the {view.triaged} "
                                                        "latest deadlines)"), err=True)


def _change(action: str, ids: list[str], who: str, assignee: str = "", note: str = "", at: str | None = None) -> None:
    from pipeline.inbox.service import apply_change
    from pipeline.inbox.store import InboxActionError, check_change
    from pipeline.timestamps import parse_iso

    moment = parse_iso(at) if at else None
    if at and moment is None:
        raise typer.BadParameter(f"{at!r} is not an ISO date-time (e.g. 2026-12-02T09:30:00Z)", param_hint="--at")
    try:
        change = check_change(action, ids, who, assignee, note, moment)
    except InboxActionError as exc:
        _fail(str(exc), 2)
    outcome = _run(lambda client, settings: apply_change(client, settings, change, datetime.now(UTC)))
    for mention_id in outcome.changed:
        typer.echo(f"{action}: {mention_id}")
    for mention_id in outcome.missing:
        typer.secho(f"no mention {mention_id}", fg="yellow", err=True)
    if outcome.missing:
        raise typer.Exit(1)


@inbox_app.command("assign")
def assign_command(ids: list[str] = typer.Argument(..., help="mention ids (all of a conversation, to assign it)"),
                   to: str = typer.Option(..., "--to", help="the teammate"), who: str = WHO_OPTION) -> None:
    """Assign mentions to a teammate."""
    _change("assign", ids, who, assignee=to)


@inbox_app.command("note")
def note_command(ids: list[str] = typer.Argument(..., help="mention ids"),
                 text: str = typer.Option(..., "--text", help="the note"), who: str = WHO_OPTION) -> None:
    """Add a note to mentions."""
    _change("note", ids, who, note=text)


@inbox_app.command("answer")
def answer_command(ids: list[str] = typer.Argument(..., help="mention ids"), who: str = WHO_OPTION,
                   at: str | None = typer.Option(None, help="when it was answered (ISO date-time; default now)")) -> None:
    """Mark mentions answered (the first answer is the one the response time counts)."""
    _change("answer", ids, who, at=at)


@inbox_app.command("reopen")
def reopen_command(ids: list[str] = typer.Argument(..., help="mention ids"), who: str = WHO_OPTION) -> None:
    """Put answered mentions back in the inbox."""
    _change("reopen", ids, who)


@inbox_app.command("times")
def times_command(
    since: str = SINCE_OPTION,
    until: str | None = typer.Option(None, help="newest mention: same forms as --since"),
    watch: str = typer.Option("", help="only this watch"),
    as_json: bool = typer.Option(False, "--json", help="the figures as one JSON object"),
) -> None:
    """Response times per network, category and teammate, beside the published figures."""
    from pipeline.inbox.service import response_times

    scope = _scope(since, until, watch, None)
    times = _run(lambda client, settings: response_times(client, settings, scope, datetime.now(UTC))).to_json()
    if as_json:
        typer.echo(orjson.dumps(times).decode())
        return
    typer.echo(format_times(times))


def format_times(times: dict[str, Any]) -> str:
    def row(name: str, f: dict[str, Any]) -> str:
        share = "-" if f["share_within_deadline"] is None else f"{100 * f['share_within_deadline']:.0f}%"
        median = "-" if f["median_minutes"] is None else f"{f['median_minutes']:g}"
        p90 = "-" if f["p90_minutes"] is None else f"{f['p90_minutes']:g}"
        return f"{name:<22}{f['answered']:>9}{share:>9}{median:>12}{p90:>9}{f['open']:>7}{f['overdue']:>9}"

    header = f"{'':<22}{'answered':>9}{'on time':>9}{'median min':>12}{'p90 min':>9}{'open':>7}{'overdue':>9}"
    lines = [header, row("all", times["overall"])]
    for key, title in (("by_network", "network"), ("by_category", "category"), ("by_teammate", "teammate")):
        lines += ["", title, *(row(f"  {name}", f) for name, f in times[key].items())]
    if not times["complete"]:
        lines.append("(partial: more mentions than read)")
    lines += ["", "published figures:", *(f"  {b['text']}" for b in times["benchmarks"])]
    return "\n".join(lines)
