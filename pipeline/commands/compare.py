"""``veille compare BRAND --against A,B --since 7d``: competitor watch in the terminal (or as JSON)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import orjson
import typer

from pipeline.cli import app
from pipeline.query import QuerySyntaxError, compile_query
from pipeline.periods import PeriodError, parse_period


@app.command("compare")
def compare_command(
    brand: str = typer.Argument(..., help="the watch to compare (e.g. Aquarelle)"),
    against: str = typer.Option(..., "--against", help="competitors, comma-separated (e.g. Nordlys,Lumio)"),
    since: str = typer.Option("7d", help="start of the period: 24h, 8d, 2w, a date, or 'all' (the first mention)"),
    until: str = typer.Option("now", help="end of the period: same forms as --since, but not 'all'"),
    query: str | None = typer.Option(None, "--query", "-q", help="only mentions matching this query (search syntax)"),
    as_json: bool = typer.Option(False, "--json", help="print the comparison as one JSON object"),
) -> None:
    """Share of voice, sentiment and category mix, reach, interactions, volume and top terms per watch.

    Counts per watch are mention-and-watch pairs (a mention naming two watches counts for each); the
    header also gives the distinct mentions. Periods are read as ``veille search`` and ``/api/compare`` read them.
    """
    from elasticsearch import ApiError, NotFoundError, TransportError

    from pipeline.compare import UnknownWatch, fetch_comparison, format_comparison
    from pipeline.redact import mask_credentials
    from pipeline.settings import get_settings
    from pipeline.sinks.elasticsearch import make_client

    competitors = [name.strip() for name in against.split(",") if name.strip()]
    if not competitors:
        raise typer.BadParameter("name at least one competitor", param_hint="--against")
    try:
        period = parse_period(since, until, datetime.now(UTC))
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        compiled = compile_query(query) if query else None
    except QuerySyntaxError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None

    settings = get_settings()
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)

    async def run():
        async with make_client(settings) as client:
            return await fetch_comparison(client, settings.mentions_index, brand, competitors, period.since,
                                          period.until, compiled, period.label)

    try:
        comparison = asyncio.run(run())
    except UnknownWatch as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except NotFoundError:
        typer.echo(f"index {settings.mentions_index} does not exist yet (nothing indexed?)", err=True)
        raise typer.Exit(1) from None
    except ApiError as exc:
        typer.echo(mask_credentials(f"Elasticsearch refused the comparison ({exc.meta.status}): {exc.message}"),
                   err=True)
        raise typer.Exit(1) from None
    except TransportError as exc:
        typer.echo(mask_credentials(f"cannot reach Elasticsearch at {settings.elasticsearch.url}: {exc.message}"),
                   err=True)
        raise typer.Exit(1) from None
    typer.echo(orjson.dumps(comparison.to_json()).decode() if as_json else format_comparison(comparison))
