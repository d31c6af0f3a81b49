"""``veille search "QUERY"``: the mentions that match a query, newest first, as lines or JSON lines."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, datetime

import orjson
import typer

from pipeline.cli import app
from pipeline.query import QuerySyntaxError, QueryTooLarge, compile_query
from pipeline.query.search import build_search_request, format_mention_line
from pipeline.redact import mask_credentials
from pipeline.settings import Settings, get_settings


def _period(since: str, until: str | None, now: datetime):
    from pipeline.periods import PeriodError, parse_period

    try:
        return parse_period(since, until, now)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None


async def _search(settings: Settings, request: dict) -> dict:
    from pipeline.sinks.elasticsearch import make_client

    async with make_client(settings) as client:
        response = await client.search(index=settings.mentions_index, **request)
    return response.body


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help="e.g. 'lang:fr livraison NEAR/3 retard -remboursement'"),
    since: str = typer.Option("24h", help="oldest mention: 15m, 24h, 7d, a date, or 'all'"),
    until: str | None = typer.Option(None, help="newest mention: same forms as --since"),
    limit: int = typer.Option(20, min=1, max=10_000, help="how many mentions to print"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line instead of text"),
    show_dsl: bool = typer.Option(False, "--dsl", help="print the Elasticsearch query and exit"),
) -> None:
    """Print the mentions matching QUERY (created_at newest first).

    Syntax: words (stemmed, French and English), "exact phrases", livr* and retar? wildcards, AND, OR,
    NOT or -word, (parentheses), a NEAR/3 b, and fields: lang:fr platform:mastodon category:complaint
    sentiment:negative author:@handle watch:NAME source: priority: action: followers:>1000
    created:>=2026-11-01, platform:(mastodon OR bluesky). Exit code 2 on a bad query.
    """
    try:
        compiled = compile_query(query)
    except QueryTooLarge as exc:
        typer.echo(exc.one_line(), err=True)
        raise typer.Exit(2) from None
    except QuerySyntaxError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    now = datetime.now(UTC)
    period = _period(since, until, now)
    request = build_search_request(compiled, period.since, period.until if until else None, limit)
    if show_dsl:
        typer.echo(orjson.dumps(request, option=orjson.OPT_INDENT_2).decode())
        return

    from elasticsearch import ApiError, NotFoundError, TransportError

    # The transport logs each failed attempt with a traceback; the one-line error below is enough here.
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    settings = get_settings()
    try:
        response = asyncio.run(_search(settings, request))
    except NotFoundError:
        typer.echo(f"index {settings.mentions_index} does not exist yet (nothing indexed?)", err=True)
        raise typer.Exit(1) from None
    except ApiError as exc:
        typer.echo(mask_credentials(f"Elasticsearch refused the search ({exc.meta.status}): {exc.message}"), err=True)
        raise typer.Exit(1) from None
    except TransportError as exc:
        typer.echo(mask_credentials(f"cannot reach Elasticsearch at {settings.elasticsearch.url}: {exc.message}"),
                   err=True)
        raise typer.Exit(1) from None

    hits = response["hits"]["hits"]
    out = sys.stdout
    for hit in hits:
        source = hit.get("_source") or {}
        out.write(orjson.dumps(source).decode() if as_json else format_mention_line(source))
        out.write("\n")
    out.flush()
    total = response["hits"]["total"]["value"]
    typer.echo(f"{len(hits)} of {total} matching mentions", err=True)
