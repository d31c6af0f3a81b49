"""``veille webhook serve``: the webhook receiver alone; ``veille webhook sign``: the signature header
a provider would send for a body (to test an endpoint with curl)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from pipeline.cli import app
from pipeline.commands.connect import connect, load_watches
from pipeline.settings import get_settings
from pipeline.sources.registry import webhook_providers

webhook_app = typer.Typer(help="Receive pushed events (Meta, X, signed generic webhooks).", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")


@webhook_app.command("serve")
def serve_command(names: list[str] = typer.Argument(None, help="webhook sources of watches.yaml (default: all)")) -> None:
    """Serve the webhook sources of watches.yaml on VEILLE_WEBHOOK_HOST:VEILLE_WEBHOOK_PORT until stopped."""
    settings = get_settings()
    watches = load_watches(settings)
    asyncio.run(connect(settings, watches, names or None, ["webhook"], once=False))


@webhook_app.command("sign")
def sign_command(
    provider: str = typer.Argument(..., help="meta, x or generic"),
    body: Path = typer.Argument(..., exists=True, dir_okay=False, help="the exact body to send"),
) -> None:
    """Print the signature header for BODY with the configured secret, e.g.
    curl -H "$(veille webhook sign meta event.json)" --data-binary @event.json URL"""
    settings = get_settings()
    providers = webhook_providers()
    if provider not in providers:
        raise typer.BadParameter(f"provider must be {', '.join(providers)}")
    secret = providers[provider].secret(settings)
    if secret is None:
        typer.echo(f"error: no secret configured for {provider} (see `veille webhook --help`)", err=True)
        raise typer.Exit(2)
    data = body.read_bytes()
    header, sign = providers[provider].signature_header, providers[provider].sign
    typer.echo(f"{header}: {sign(secret.get_secret_value(), data)}")
