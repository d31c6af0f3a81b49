"""``veille status``: one line per connector (health, last checkpoint, mentions sent, dead letters,
errors, lag behind its source); per agents' worker (from its health record: ok, stuck outside its consumer
group, down, crash-looping, with the reason) and per agent (failing or crash-looping with its last error,
its consumer lag on each topic it reads); and the agents' consumer lag per topic."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer

from pipeline.cli import app
from pipeline.sources.checkpoint import load_checkpoints
from pipeline.sources.status import connector_health, consumer_lag, format_health
from pipeline.redact import mask_credentials
from pipeline.settings import get_settings
from pipeline.topics import ENRICHED, RAW
from pipeline.watches import Watches, WatchesError
from pipeline.worker_health import health_dir, read_records, status_lines


@app.command("status")
def status_command(
    lag: bool = typer.Option(True, help="also show the agents' consumer lag per topic"),
) -> None:
    """Health of every connector (from its checkpoint in connector.state), of the agents' workers and of
    each agent, and the agents' consumption. Exit status 1 when a connector, a worker or an agent is failing
    (down, stuck, crash-looping)."""
    settings = get_settings()
    try:
        declared = {s.name: s.type for s in Watches.load(settings.watches_file).spec.sources if s.enabled}
    except WatchesError as exc:
        typer.echo(f"warning: {exc}", err=True)
        declared = {}

    workers = read_records(settings.data_dir)
    lag_topics = [settings.topic(RAW), settings.topic(ENRICHED)]
    lag_topics += sorted({t for w in workers for a in w.agents.values() for t in a.topics} - set(lag_topics))

    async def gather() -> tuple[dict | str, dict | str]:
        try:
            states: dict | str = await load_checkpoints(settings, timeout=20)
        except Exception as exc:  # noqa: BLE001 - the workers' health is read from files: still print it
            states = f"{type(exc).__name__}: {mask_credentials(exc)}"
        lags: dict | str = {}
        if lag:
            try:
                lags = await consumer_lag(settings, settings.app_id, lag_topics)
            except Exception as exc:  # noqa: BLE001 - status must still print the connectors
                lags = f"unavailable ({type(exc).__name__}: {' '.join(mask_credentials(exc).split())})"
        return states, lags

    states, lags = asyncio.run(gather())
    now = datetime.now(UTC)
    failing = isinstance(states, str)
    if failing:
        typer.echo(f"connectors: cannot read their checkpoints from Kafka ({' '.join(mask_credentials(states).split())})")
        states = {}
    names = list(declared) + sorted(n for n in states if n not in declared)
    if not names:
        typer.echo("no connector has run yet and watches.yaml declares no source")
    for name in names:
        health = connector_health(name, declared.get(name), states.get(name), now)
        failing |= health.health == "failing"
        typer.echo(format_health(health))
    if workers:
        lines, workers_failing = status_lines(workers, lags if lag else "not asked")
        failing |= workers_failing
        for line in lines:
            typer.echo(line)
    else:
        typer.echo(f"agents: no worker has written a health record in {health_dir(settings.data_dir)} yet")
    if lag:
        if isinstance(lags, str):
            typer.echo(f"agents ({settings.app_id}) consumer lag: {lags}")
        else:
            for topic, behind in lags.items():
                if topic not in (settings.topic(RAW), settings.topic(ENRICHED)):
                    continue  # shown per agent above
                typer.echo(f"agents ({settings.app_id}) consumer lag on {topic}: {behind} message(s)")
    if failing:
        raise typer.Exit(1)
