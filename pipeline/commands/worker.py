"""``veille worker``, ``veille init`` and ``veille agents start|stop``: run the Faust agents."""

from __future__ import annotations

import asyncio
import sys

import typer

from pipeline.cli import app
from pipeline.alerts.store import setup_alert_indices
from pipeline.settings import Settings, get_settings
from pipeline.sinks.elasticsearch import make_client, setup_indices
from pipeline.stack import agents_process, tail
from pipeline.topics import apply_topics

agents_app = typer.Typer(help="Run the agents' worker in the background.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")


def initialise(settings: Settings) -> None:
    """Create topics and Elasticsearch index templates (idempotent)."""
    plan = apply_topics(settings)
    for line in plan.drift:
        typer.secho(f"drift: {line}", fg="yellow", err=True)

    async def indices() -> None:
        client = make_client(settings)
        try:
            await setup_indices(client, settings)
            await setup_alert_indices(client, settings)
        finally:
            await client.close()

    asyncio.run(indices())


@app.command("init")
def init_command() -> None:
    """Create the topics and the Elasticsearch index templates (idempotent; run by docker-compose's init)."""
    initialise(get_settings())
    typer.echo("topics and index templates are in place")


@app.command("worker")
def worker_command(loglevel: str = typer.Option("info", help="debug, info, warning, error")) -> None:
    """Run the agents (tag, index) in the foreground. Scale out by starting more workers."""
    from agents.worker import run

    settings = get_settings()
    sys.argv = [sys.argv[0]]  # Faust's worker parses sys.argv
    run(loglevel, prepare=lambda: initialise(settings))


@agents_app.command("start")
def agents_start() -> None:
    """Start a worker in the background (log in the data dir)."""
    settings = get_settings()
    process = agents_process(settings)
    pid = process.start([sys.executable, "-m", "pipeline", "worker"])
    typer.echo(f"agents running (pid {pid}); log: {process.log_file}")


@agents_app.command("stop")
def agents_stop() -> None:
    """Stop the background worker."""
    process = agents_process(get_settings())
    typer.echo("stopped" if process.stop() else "not running")


@agents_app.command("log")
def agents_log(lines: int = 40) -> None:
    typer.echo(tail(agents_process(get_settings()).log_file, lines))
