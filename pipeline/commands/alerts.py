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
from pipeline.redact import mask_credentials
from pipeline.settings import PROJECT_ROOT, get_settings

alerts_app = typer.Typer(help="Crisis alerts: list, acknowledge, resolve; check the routing file; inspect and flush the outbox.", no_args_is_help=True)
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


def _who() -> str:
    return os.environ.get("USER") or "cli"


@alerts_app.command("list")
def list_command(
    state: str | None = typer.Option(None, help="open | acknowledged | resolved (default: open and acknowledged)"),
    watch: str | None = typer.Option(None, "--watch", "-w", help="only this watch"),
    all_states: bool = typer.Option(False, "--all", help="resolved ones too"),
    as_json: bool = typer.Option(False, "--json", help="one JSON alert per line"),
    size: int = typer.Option(50, help="at most this many, newest first"),
) -> None:
    """List alerts from Elasticsearch, newest first, with their explanation."""
    from pipeline.alerts.model import AlertState
    from pipeline.alerts.store import AlertStore
    from pipeline.sinks.elasticsearch import make_client

    if state is not None and state not in AlertState.__members__:
        _fail(f"unknown state {state!r}: use open, acknowledged or resolved")
    settings = get_settings()

    async def fetch():
        store = AlertStore(make_client(settings), settings)
        try:
            return await store.list(state=state, watch=watch, size=size, active_only=not all_states)
        finally:
            await store.client.close()

    try:
        alerts = asyncio.run(fetch())
    except Exception as exc:
        failure = _unreachable(exc)
        if failure is None:
            raise
        _fail(failure[1])
    for alert in alerts:
        if as_json:
            typer.echo(alert.model_dump_json())
            continue
        colour = {"critical": "red", "warning": "yellow"}.get(alert.severity.value)
        typer.secho(f"{alert.id}  [{alert.severity.value}] {alert.state.value}  {alert.title}", fg=colour, bold=True)
        typer.echo(f"  opened {alert.opened_at:%Y-%m-%d %H:%M}Z, updated {alert.updated_at:%H:%M}Z "
                   f"({alert.update_count} update(s)); verdict: {alert.verdict or 'unknown'}")
        if alert.acknowledged_by:
            typer.echo(f"  acknowledged by {alert.acknowledged_by} at {alert.acknowledged_at:%Y-%m-%d %H:%M}Z")
        typer.echo(f"  {alert.explanation}")
        if alert.sample_ids:
            typer.echo(f"  evidence: {', '.join(alert.sample_ids[:5])}")
    typer.echo(f"{len(alerts)} alert(s)", err=True)


def _unreachable(exc: BaseException) -> tuple[str, str] | None:
    """(service, one line) for a failure to reach Elasticsearch or Kafka, credentials masked; None otherwise."""
    from aiokafka.errors import KafkaError
    from elasticsearch import ApiError, TransportError

    settings = get_settings()
    detail = " ".join(mask_credentials(exc).split())  # one line
    if isinstance(exc, TransportError):  # connection refused, timeout, TLS
        return "Elasticsearch", (f"cannot reach Elasticsearch at {mask_credentials(settings.elasticsearch.url)}: "
                                 f"{type(exc).__name__}: {detail}")
    if isinstance(exc, ApiError):
        return "Elasticsearch", f"Elasticsearch answered {exc.meta.status}: {detail}"
    if isinstance(exc, (KafkaError, asyncio.TimeoutError, OSError)):
        return "Kafka", (f"cannot reach Kafka at {mask_credentials(settings.kafka.brokers)}: "
                         f"{type(exc).__name__}: {detail}")
    return None


def _act(alert_id: str, action: str, who: str | None) -> None:
    from pipeline.alerts.actions import act_on_alert
    from pipeline.alerts.model import InvalidTransition

    try:
        alert = asyncio.run(act_on_alert(get_settings(), alert_id, action, who or _who()))
    except KeyError as exc:
        _fail(str(exc.args[0]))
    except InvalidTransition as exc:
        _fail(str(exc))
    except Exception as exc:
        failure = _unreachable(exc)
        if failure is None:
            raise
        service, message = failure
        if service == "Elasticsearch":  # written first: nothing changed
            _fail(f"{alert_id} not changed: {message}")
        _fail(f"{alert_id} changed in Elasticsearch, but the crisis agent was not told ({message}); until it is, "
              "its next update of this alert may bring the previous state back")
    typer.echo(f"{alert.id}: {alert.state.value}")


@alerts_app.command("ack")
def ack_command(alert_id: str, by: str | None = typer.Option(None, "--by", help="who (default: $USER)")) -> None:
    """Acknowledge an open alert: someone is on it."""
    _act(alert_id, "acknowledge", by)


@alerts_app.command("resolve")
def resolve_command(alert_id: str, by: str | None = typer.Option(None, "--by", help="who (default: $USER)")) -> None:
    """Resolve an alert: the crisis is over."""
    _act(alert_id, "resolve", by)
