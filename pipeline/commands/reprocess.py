"""``veille reprocess --since T``: re-tag and re-index history from the Kafka log with the current models."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

import typer

from pipeline.cli import app
from pipeline.settings import get_settings


@app.command("reprocess")
def reprocess_command(
    since: str = typer.Option(..., help="records that entered Kafka since: 24h, 7d, 2026-11-01, 2026-11-01T08:00:00Z, or 'all'"),
) -> None:
    """Re-tag every raw mention in the Kafka log since T with today's models, rules and lexicons, and
    re-index it under the same id (overwrites, never duplicates). Erased authors are skipped; bad records
    go to the dead-letter topic. The live agents keep running meanwhile. Progress goes to stderr."""
    from pipeline.query.search import parse_time_bound
    from pipeline.reprocess import ReprocessProgress, reprocess
    from pipeline.tagging import get_tagger

    try:
        start = parse_time_bound(since, datetime.now(UTC))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = get_settings()
    tagger = get_tagger()
    last_shown = [0.0]

    def show(progress: ReprocessProgress) -> None:
        now = time.monotonic()
        if now - last_shown[0] >= 1.0 or progress.read >= progress.total:
            last_shown[0] = now
            print(f"reprocess: {progress.line()}", file=sys.stderr, flush=True)

    done = asyncio.run(reprocess(settings, start, tagger, on_progress=show))
    typer.echo(f"reprocessed with {tagger.name} since {start.isoformat() if start else 'the beginning of the log'}: "
               f"{done.line()}")
