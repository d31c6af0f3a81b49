"""``veille rhythm WATCH --since 28d``: mentions and interactions by weekday and hour, and the best slots to publish."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import typer

from pipeline.cli import app
from pipeline.periods import PeriodError
from pipeline.query import QuerySyntaxError


@app.command("rhythm")
def rhythm_command(
    watch: str = typer.Argument(..., help="the watch (e.g. Aquarelle); 'all' for every mention"),
    since: str = typer.Option("28d", help="start of the period: 24h, 28d, 2w, a date, or 'all' (the first mention)"),
    until: str = typer.Option("now", help="end of the period: same forms as --since, but not 'all'"),
    query: str | None = typer.Option(None, "--query", "-q", help="only mentions matching this query (search syntax)"),
    zone: str | None = typer.Option(None, "--timezone", help="IANA time zone; default: the watch's in watches.yaml"),
    as_json: bool = typer.Option(False, "--json", help="print the grids and slots as one JSON object"),
) -> None:
    """Mentions and interactions by weekday and hour in the watch's time zone, and the best slots to publish.

    Periods are read as ``veille search`` and ``/api/rhythm`` read them. A slot is ranked when it had enough
    mentions on enough different dates, by its median interactions per mention (see pipeline/rhythm.py).
    Elasticsearch out of reach is said by :func:`pipeline.cli.main`.
    """
    from elasticsearch import ApiError

    from pipeline.compare import UnknownWatch
    from pipeline.redact import mask_credentials
    from pipeline.rhythm import UnknownTimeZone, fetch_rhythm, format_rhythm
    from pipeline.settings import get_settings
    from pipeline.sinks.elasticsearch import make_client
    from pipeline.web.filters import parse_period_and_query

    try:  # read as veille search, veille compare and /api/rhythm read them
        period, compiled = parse_period_and_query({"since": since, "until": until, "q": query or ""},
                                                  datetime.now(UTC))
    except (PeriodError, QuerySyntaxError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None

    settings = get_settings()
    watched = None if watch.casefold() == "all" else watch

    async def read_rhythm():
        async with make_client(settings) as client:
            return await fetch_rhythm(client, settings.mentions_index, settings.watches_file, watched, period.since,
                                      period.until, period.label, compiled, zone)

    try:
        rhythm = asyncio.run(read_rhythm())
    except (UnknownWatch, UnknownTimeZone) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except ApiError as exc:
        message = f"Elasticsearch refused the rhythm request ({exc.meta.status}): {exc.message}"
        typer.echo(mask_credentials(message), err=True)
        raise typer.Exit(1) from None
    typer.echo(orjson.dumps(rhythm.to_json()).decode() if as_json else format_rhythm(rhythm))
