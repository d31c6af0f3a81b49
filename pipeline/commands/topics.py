"""``veille topics apply|list``: topics.yaml is the single list of topics."""

from __future__ import annotations

import typer

from pipeline.cli import topics_app
from pipeline.settings import get_settings
from pipeline.topics import TopicsFileError, apply_topics, load_topics


def _topics(settings) -> list:
    try:
        return load_topics(settings.topics_file)
    except TopicsFileError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


@topics_app.command("apply")
def topics_apply(strict: bool = typer.Option(False, help="exit 1 when the broker drifted from topics.yaml")) -> None:
    """Create the topics missing on the broker (idempotent) and report any drift."""
    settings = get_settings()
    plan = apply_topics(settings)
    for spec in plan.to_create:
        typer.echo(f"created  {settings.topic(spec.name)} ({spec.partitions} partitions, {spec.cleanup_policy})")
    for name in plan.in_sync:
        typer.echo(f"ok       {name}")
    for line in plan.drift:
        typer.secho(f"drift    {line}", fg="yellow")
    if plan.drift and strict:
        raise typer.Exit(1)


@topics_app.command("list")
def topics_list() -> None:
    """Print the topics declared in topics.yaml."""
    settings = get_settings()
    for spec in _topics(settings):
        typer.echo(f"{settings.topic(spec.name):<24} {spec.partitions:>3}  {spec.cleanup_policy:<14} {spec.description}")
