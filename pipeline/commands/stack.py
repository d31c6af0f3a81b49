"""``veille stack up|down|status``: the embedded broker and Elasticsearch (for machines without Docker)."""

from __future__ import annotations

import typer

from pipeline.cli import stack_app
from pipeline.settings import get_settings
from pipeline.stack import EmbeddedStack, StackError, agents_process, web_process


@stack_app.command("up")
def stack_up() -> None:
    """Start the embedded Kafka broker and Elasticsearch, and wait until both answer."""
    settings = get_settings()
    stack = EmbeddedStack(settings)
    try:
        stack.up()
    except StackError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Kafka broker:   {stack.kafka_address}")
    typer.echo(f"Elasticsearch:  {stack.es_url}")
    typer.echo(f"Data and logs:  {settings.data_dir}")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the agents, the web app, the broker and Elasticsearch (Elasticsearch keeps its data)."""
    settings = get_settings()
    try:
        stopped = EmbeddedStack(settings).down([web_process(settings), agents_process(settings)])
    except StackError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@stack_app.command("status")
def stack_status() -> None:
    """Show whether each embedded service runs and answers."""
    settings = get_settings()
    all_healthy = True
    for service in EmbeddedStack(settings).status():
        mark = "up" if service.healthy else ("running, not answering" if service.running else "down")
        all_healthy &= service.healthy
        typer.echo(f"{service.name:<14} {mark:<24} {service.address:<26} {service.detail}")
    for process in (agents_process(settings), web_process(settings)):
        pid = process.pid()
        typer.echo(f"{process.name:<14} {'up' if pid else 'down':<24} {'pid ' + str(pid) if pid else '':<26} log {process.log_file}")
    if not all_healthy:
        raise typer.Exit(1)
