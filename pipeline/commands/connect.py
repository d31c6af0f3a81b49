"""``veille connect [NAME...]``: run the sources of watches.yaml (all enabled ones, or those named)
until stopped with Ctrl-C or SIGTERM, each resuming from its checkpoint."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from pipeline.cli import app
from pipeline.settings import Settings, get_settings
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.sources.runner import UnknownSource, run_sources, select_sources
from pipeline.watches import Watches, WatchesError

log = logging.getLogger(__name__)


def load_watches(settings: Settings) -> Watches:
    try:
        return Watches.load(settings.watches_file)
    except WatchesError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


async def connect(settings: Settings, watches: Watches, names: list[str] | None, types: list[str] | None,
                  once: bool) -> dict:
    specs = select_sources(watches, names, types)
    if not specs:
        typer.echo("no source to run (watches.yaml declares none enabled, or none of that type)", err=True)
        return {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("running %s", ", ".join(f"{s.name} ({s.type})" for s in specs))
    async with KafkaRecordSink(settings) as sink:
        report = await run_sources(settings, watches, specs, sink, stop, once=once)
    return report.stats


@app.command("connect")
def connect_command(
    names: list[str] = typer.Argument(None, help="sources of watches.yaml to run (default: every enabled one)"),
    source_type: list[str] = typer.Option(None, "--type", help="only sources of this type (rss, mastodon, …)"),
    once: bool = typer.Option(False, "--once", help="poll each source once and exit (webhook sources are not served)"),
) -> None:
    """Run the live connectors: mentions to mentions.raw, bad payloads to the dead-letter topic,
    checkpoints to connector.state. Progress is logged; `veille status` shows each connector's health."""
    settings = get_settings()
    watches = load_watches(settings)
    try:
        stats = asyncio.run(connect(settings, watches, names or None, source_type or None, once))
    except UnknownSource as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for name, s in stats.items():
        typer.echo(f"{name}: {s.sent} mention(s) sent, {s.duplicates} duplicate(s), {s.unmatched} without watch, "
                   f"{s.dead_letters} dead letter(s), {s.errors} error(s)"
                   + (f"; last error: {s.last_error}" if s.last_error else ""))
