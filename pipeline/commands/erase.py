"""``veille erase --author ID`` and ``veille retention``: forget an author; keep mentions no longer than allowed."""

from __future__ import annotations

import asyncio
import time

import typer

from pipeline.cli import app
from pipeline.settings import get_settings


@app.command("erase")
def erase_command(
    author: str = typer.Option(..., "--author", help="the author's id as in the mentions' author.id"),
    platform: str | None = typer.Option(None, help="only this platform's author with that id (default: every platform)"),
    reason: str | None = typer.Option(None, help="recorded with the erasure, e.g. a ticket number"),
    settle: float | None = typer.Option(None, help="seconds before the second deletion pass (default VEILLE_ERASE_SETTLE_SECONDS)"),
) -> None:
    """Erase an author: record the erasure in the `erasures` topic (so agents, replays and `veille
    reprocess` drop their mentions from now on), then delete their mentions from Elasticsearch.

    Exit status 1 when some of the author's mentions are still indexed afterwards."""
    from pipeline.privacy import erase_author, new_erasure
    from pipeline.topics import ERASURES

    settings = get_settings()
    try:
        erasure = new_erasure(author, platform, reason)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    report = asyncio.run(erase_author(settings, erasure, settings.erase_settle_seconds if settle is None else settle))
    who = f"{erasure.platform}:{erasure.author_id}" if erasure.platform else f"{erasure.author_id} (every platform)"
    typer.echo(f"erased author {who}: erasure recorded in {settings.topic(ERASURES)}, "
               f"{report.deleted} mentions deleted from {settings.mentions_index}, "
               f"{report.evidence_rewritten} alerts/trends no longer cite them, "
               f"{report.feedback_removed} tag corrections removed")
    if report.remaining:
        typer.secho(f"error: {report.remaining} mentions of this author are still indexed; run the command again",
                    fg="red", err=True)
        raise typer.Exit(1)
    typer.echo("raw records stay in the Kafka log until its retention expires (topics.yaml); every reader "
               "of the log drops them")


@app.command("retention")
def retention_command(
    every: float | None = typer.Option(None, help="keep running, applying retention every this many seconds"),
) -> None:
    """Delete indexed mentions created more than VEILLE_MENTIONS_RETENTION_DAYS ago (0 keeps them forever).
    Kafka topics expire their records themselves (retention_ms in topics.yaml)."""
    from pipeline.privacy import apply_retention

    settings = get_settings()
    if settings.mentions_retention_days <= 0:
        typer.echo("VEILLE_MENTIONS_RETENTION_DAYS is 0: mentions are kept forever")
        return
    while True:
        deleted = asyncio.run(apply_retention(settings))
        typer.echo(f"retention {settings.mentions_retention_days} days: {deleted} mentions deleted "
                   f"from {settings.mentions_index}")
        if every is None:
            return
        time.sleep(every)
