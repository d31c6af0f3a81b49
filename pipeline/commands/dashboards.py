"""``veille dashboards check|import``: validate the Kibana saved objects in ``dashboards/`` offline, and
import them into Kibana (data views first, then each dashboard file with its visualisations)."""

from __future__ import annotations

from pathlib import Path

import httpx
import typer

from pipeline.settings import Settings
from pipeline.cli import app
from pipeline.redact import mask_credentials
from pipeline.kibana import (
    DASHBOARDS_DIR,
    SavedObject,
    SavedObjectFileError,
    check_saved_objects,
    import_file,
    import_order,
    kibana_client,
    load_ndjson,
    ndjson_files,
)

dashboards_app = typer.Typer(help="Kibana data views, Lens visualisations and dashboards.", no_args_is_help=True)
app.add_typer(dashboards_app, name="dashboards")

DIRECTORY_OPTION = typer.Option(DASHBOARDS_DIR, "--dir", file_okay=False, help="folder of *.ndjson saved objects")


def _load_files(directory: Path) -> dict[Path, list[SavedObject]]:
    """:func:`load_directory`, with a file that is not UTF-8 or nests too deeply named in the error."""
    files = {}
    for path in ndjson_files(directory):
        try:
            files[path] = load_ndjson(path)
        except UnicodeDecodeError as exc:
            line = exc.object.count(b"\n", 0, exc.start) + 1
            raise SavedObjectFileError(f"{path.name}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})") from None
        except RecursionError:
            raise SavedObjectFileError(f"{path.name}: JSON nested too deeply") from None
    return files


def _cut(text: str, limit: int = 300) -> str:
    """One problem per line, and a line a terminal can show: a huge value in a damaged file is cut."""
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _load_checked(directory: Path) -> dict[Path, list[SavedObject]]:
    """The files of ``directory``, or exit 1 with every problem the offline checks find."""
    try:
        files = _load_files(directory)
    except (OSError, SavedObjectFileError) as exc:
        typer.secho(f"error: {_cut(str(exc))}", fg="red", err=True)
        raise typer.Exit(1) from None
    if not files:
        typer.secho(f"error: no *.ndjson file in {directory}", fg="red", err=True)
        raise typer.Exit(1)
    problems = check_saved_objects([obj for objects in files.values() for obj in objects])
    for problem in problems:
        typer.secho(f"problem: {_cut(problem)}", fg="red", err=True)
    if problems:
        raise typer.Exit(1)
    return files


@dashboards_app.command("check")
def check_command(directory: Path = DIRECTORY_OPTION) -> None:
    """Check the saved objects offline: JSON shape, unique ids, references, fields against the index mappings."""
    files = _load_checked(directory)
    count = sum(len(objects) for objects in files.values())
    typer.echo(f"{count} saved objects in {len(files)} files: references and fields check out")


@dashboards_app.command("import")
def import_command(
    kibana: str | None = typer.Option(None, "--kibana", help="Kibana URL (default: VEILLE_KIBANA_URL, else http://127.0.0.1:5601)"),
    space: str | None = typer.Option(None, "--space", help="Kibana space id (default: the default space)"),
    directory: Path = DIRECTORY_OPTION,
) -> None:
    """Import (overwrite) every saved object file into Kibana; exit 1 if any object fails."""
    settings = Settings()  # read now: the environment may name another Kibana than at start-up
    url = kibana or settings.kibana.url
    files = _load_checked(directory)
    failed = False
    with kibana_client(url, settings) as client:
        for path in import_order(files):
            try:
                result = import_file(client, path, space)
            except httpx.TransportError as exc:
                typer.secho(mask_credentials(f"error: cannot reach Kibana at {url} ({exc}); start it or pass --kibana URL"),
                            fg="red", err=True)
                raise typer.Exit(1) from None
            expected = len(files[path])
            if result.success:
                typer.echo(f"{path.name}: {result.success_count}/{expected} objects imported")
            else:
                failed = True
                typer.secho(f"{path.name}: FAILED, {result.success_count}/{expected} objects imported", fg="red", err=True)
            for line in result.errors:
                typer.secho(f"    error: {line}", fg="red", err=True)
            for line in result.warnings:
                typer.secho(f"    warning: {line}", fg="yellow", err=True)
    if failed:
        raise typer.Exit(1)
