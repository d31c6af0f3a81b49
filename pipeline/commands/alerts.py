"""``veille alerts``: check ``alerting.yaml``, list the outbox, and flush it (send what failed before)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import typer

from pipeline.alerts.channels import build_channels
from pipeline.alerts.delivery import AlertDelivery
from pipeline.alerts.model import Severity
from pipeline.alerts.outbox import OutboxStore
from pipeline.alerts.routing import AlertingConfigError, channels_for, load_alerting_config, missing_secrets, resolve_channels
from pipeline.cli import app
from pipeline.settings import PROJECT_ROOT, get_settings

alerts_app = typer.Typer(help="Alert delivery: check the routing file, inspect and flush the outbox.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

CONFIG_OPTION = typer.Option(PROJECT_ROOT / "alerting.yaml", "--config", "-c", help="alerting.yaml to use")
OUTBOX_OPTION = typer.Option(None, "--outbox", help="outbox directory (default: <VEILLE_DATA_DIR>/alerts-outbox)")


def _outbox(directory: Path | None) -> OutboxStore:
    return OutboxStore(directory or get_settings().data_dir / "alerts-outbox")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


@alerts_app.command("check")
def check_command(config_file: Path = CONFIG_OPTION, watch: list[str] = typer.Option([], "--watch", "-w",
                  help="also show the routes of this watch (repeatable)")) -> None:
    """Validate the routing file, show the routes, and name the environment variables that are missing."""
    try:
        config = load_alerting_config(config_file)
    except AlertingConfigError as exc:
        _fail(str(exc))
    for label, name in [("default", None), *((f"watch {w}", w) for w in watch)]:
        typer.echo(f"{label}:")
        for severity in Severity:
            typer.echo(f"  {severity.value:8} → {', '.join(channels_for(config, name or '', severity)) or '(nobody)'}")
    missing = missing_secrets(config, os.environ)
    for channel, variables in missing.items():
        typer.secho(f"channel {channel}: missing environment variable(s) {', '.join(variables)}", fg="yellow", err=True)
    if missing:
        raise typer.Exit(1)
    typer.echo(f"{config_file}: {len(config.channels)} channel(s), all secrets present")


@alerts_app.command("outbox")
def outbox_command(outbox: Path | None = OUTBOX_OPTION) -> None:
    """List the deliveries waiting in the outbox."""
    queue = _outbox(outbox).load()
    for entry in queue.entries:
        typer.echo(f"{entry.channel}\t{entry.alert.id}\t{entry.alert.severity.value}\tattempts={entry.attempts}\t"
                   f"last={entry.last_failed_at:%Y-%m-%d %H:%M:%S}Z\t{entry.last_error}")
    typer.echo(f"{len(queue)} delivery(ies) waiting", err=True)


@alerts_app.command("flush")
def flush_command(config_file: Path = CONFIG_OPTION, outbox: Path | None = OUTBOX_OPTION) -> None:
    """Send the deliveries waiting in the outbox once more; the ones that fail again stay."""
    try:
        config = load_alerting_config(config_file)
        resolved = resolve_channels(config, os.environ)
    except AlertingConfigError as exc:
        _fail(str(exc))
    results = asyncio.run(_flush(config, resolved, _outbox(outbox)))
    sent = sum(result.delivered for result in results)
    for result in results:
        if not result.delivered:
            typer.secho(f"{result.channel}: {result.alert_id}: {result.error}", fg="yellow", err=True)
    typer.echo(f"{sent} delivered, {len(results) - sent} still failing")


async def _flush(config, resolved, store: OutboxStore):
    needs_kafka = any(channel.config.type == "kafka" for channel in resolved.values())
    async with httpx.AsyncClient() as client:
        if not needs_kafka:
            return await AlertDelivery(config, build_channels(resolved, client), store).flush_outbox()
        from pipeline.sinks.kafka import KafkaRecordSink

        async with KafkaRecordSink(get_settings()) as sink:
            async def kafka_send(topic: str, key: bytes, value: bytes) -> None:
                await sink.send(get_settings().topic(topic), value, key)

            return await AlertDelivery(config, build_channels(resolved, client, kafka_send), store).flush_outbox()
