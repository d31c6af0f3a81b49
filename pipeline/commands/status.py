"""``veille status``: one line per connector (health, last checkpoint, mentions sent, dead letters,
errors, lag behind its source) and the agents' consumer lag per topic."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer

from pipeline.cli import app
from pipeline.connectors.checkpoint import load_checkpoints
from pipeline.connectors.status import connector_health, consumer_lag, format_health
from pipeline.settings import get_settings
from pipeline.topics import ENRICHED, RAW
from pipeline.watches import Watches, WatchesError


@app.command("status")
def status_command(
    lag: bool = typer.Option(True, help="also show the agents' consumer lag per topic"),
) -> None:
    """Health of every connector (from its checkpoint in connector.state) and of the agents' consumption.
    Exit status 1 when a connector is failing."""
    settings = get_settings()
    try:
        declared = {s.name: s.type for s in Watches.load(settings.watches_file).spec.sources if s.enabled}
    except WatchesError as exc:
        typer.echo(f"warning: {exc}", err=True)
        declared = {}

    async def gather() -> tuple[dict, dict | str]:
        states = await load_checkpoints(settings, timeout=20)
        lags: dict | str = {}
        if lag:
            try:
                lags = await consumer_lag(settings, settings.app_id, [settings.topic(RAW), settings.topic(ENRICHED)])
            except Exception as exc:  # noqa: BLE001 - status must still print the connectors
                lags = f"unavailable ({type(exc).__name__}: {exc})"
        return states, lags

    states, lags = asyncio.run(gather())
    now = datetime.now(UTC)
    names = list(declared) + sorted(n for n in states if n not in declared)
    if not names:
        typer.echo("no connector has run yet and watches.yaml declares no source")
    failing = False
    for name in names:
        health = connector_health(name, declared.get(name), states.get(name), now)
        failing |= health.health == "failing"
        typer.echo(format_health(health))
    if lag:
        if isinstance(lags, str):
            typer.echo(f"agents ({settings.app_id}) consumer lag: {lags}")
        else:
            for topic, behind in lags.items():
                typer.echo(f"agents ({settings.app_id}) consumer lag on {topic}: {behind} message(s)")
    if failing:
        raise typer.Exit(1)
