"""``veille replay FILE --rate N``: send recorded mentions (JSON lines) into the raw mentions topic."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from pipeline.cli import app
from pipeline.sources.replay.paced import ReplayConnector, ReplayStats
from pipeline.settings import get_settings
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.topics import RAW


async def replay(path: Path, rate: float | None, rebase: bool, limit: int | None, quiet: bool = False,
                 keep_time_of_day: bool = False) -> ReplayStats:
    settings = get_settings()

    def progress(sent: int, total: int) -> None:
        if not quiet:
            typer.echo(f"replayed {sent}/{total}", err=True)

    connector = ReplayConnector(path, settings.topic(RAW), rate=rate, rebase=rebase, limit=limit, progress=progress,
                                keep_time_of_day=keep_time_of_day)
    async with KafkaRecordSink(settings) as sink:
        return await connector.run(sink)


@app.command("replay")
def replay_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="JSON lines, one mention a line"),
    rate: float = typer.Option(0, min=0, help="mentions per second (0: as fast as possible)"),
    rebase: bool = typer.Option(False, help="move created_at so the newest mention is now"),
    keep_time_of_day: bool = typer.Option(
        False, help="with --rebase, move created_at by whole days only (the newest mention lands in the last 24 h at "
                    "its recorded time of day), so spike detection sees the same stream on every run"),
    limit: int = typer.Option(0, min=0, help="stop after this many lines (0: all)"),
) -> None:
    """Replay a JSON-lines file of mentions into Kafka (malformed lines go to the dead-letter topic via the agents)."""
    try:
        file.open("rb").close()  # before connecting to Kafka: an unreadable file is the user's to fix
    except OSError as exc:
        typer.echo(f"veille replay: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    stats = asyncio.run(replay(file, rate or None, rebase, limit or None, keep_time_of_day=keep_time_of_day))
    typer.echo(f"sent {stats.sent} records in {stats.seconds:.1f}s ({stats.rate:.0f}/s)")
