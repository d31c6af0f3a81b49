"""``veille normalize``: one recorded API response or event file in, normalised mentions out.

Mentions go to stdout as JSON lines (``Mention.model_dump(mode="json")``); every rejected item goes to
stderr as one JSON line ``{"source", "reason", "raw", "item_ref", "deleted"}``. The exit status is 0
whatever the content; only a file that cannot be read gives a non-zero status.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import orjson
import typer

from pipeline.cli import app
from pipeline.sources.registry import normalizers
from pipeline.sources.results import Reject

Source = StrEnum("Source", {name: name for name in normalizers()})


def reject_as_dict(source: str, reject: Reject) -> dict:
    return {
        "source": source,
        "reason": reject.reason,
        "raw": reject.raw.decode("utf-8", "replace"),
        "item_ref": reject.item_ref,
        "deleted": reject.deleted,
    }


@app.command("normalize")
def normalize_command(
    source: Source = typer.Option(..., "--source", "-s", help="platform the file was recorded from"),
    file: Path = typer.Argument(
        ..., help="recorded API response or event file (JSON, JSON lines, XML, cassette); - for stdin"
    ),
    origin: str | None = typer.Option(
        None, "--origin", help="feed URL, instance, subreddit or page the file came from, if it does not say"
    ),
) -> None:
    """Normalise a recorded payload of SOURCE into mentions (stdout) and rejects (stderr), as JSON lines.

    Items that carry no date take the file's modification time (also their ``fetched_at``).
    """
    try:
        if str(file) == "-":
            payload = sys.stdin.buffer.read()
            fetched_at = datetime.now(UTC)
        else:
            payload = file.read_bytes()
            fetched_at = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    except OSError as exc:
        typer.echo(f"veille normalize: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    result = normalizers()[source.value](payload, source_hint=origin, fetched_at=fetched_at)
    out = sys.stdout.buffer
    for mention in result.mentions:
        out.write(orjson.dumps(mention.model_dump(mode="json")) + b"\n")
    out.flush()
    err = sys.stderr.buffer
    for reject in result.rejects:
        err.write(orjson.dumps(reject_as_dict(source.value, reject)) + b"\n")
    err.flush()
