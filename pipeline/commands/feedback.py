"""``veille feedback``: a community manager corrects a mention's tags; the correction trains the next model."""

from __future__ import annotations

import typer

from pipeline.cli import app
from pipeline.mention import CATEGORIES


@app.command("feedback")
def feedback_command(
    text: str = typer.Option(..., "--text", help="the mention's text"),
    mention_id: str | None = typer.Option(None, "--id", help="the mention's id (platform:native_id)"),
    add: list[str] = typer.Option([], "--add", help=f"category that applies: {', '.join(CATEGORIES)}"),
    remove: list[str] = typer.Option([], "--remove", help="category that was wrongly given"),
    sentiment: str | None = typer.Option(None, "--sentiment", help="negative, neutral or positive"),
    lang: str | None = typer.Option(None, "--lang", help="language (default: detected by the current tagger)"),
) -> None:
    """Record one correction as a JSON line under <data_dir>/feedback/; `veille train` adds it to training."""
    from pydantic import ValidationError

    from pipeline.mention import describe_validation_error
    from pipeline.settings import get_settings
    from pipeline.tagging import TagInput, get_tagger
    from pipeline.tagging.feedback import FeedbackRecord, append_feedback, feedback_path

    for option, value in (("--text", text), ("--id", mention_id), ("--lang", lang)):
        if value is not None and not _is_utf8(value):
            raise typer.BadParameter(f"{option} is not UTF-8 text (the terminal passed bytes that are not UTF-8)")
    if not (add or remove or sentiment):
        raise typer.BadParameter("give at least one of --add, --remove, --sentiment")
    overlap = set(add) & set(remove)
    if overlap:
        raise typer.BadParameter(f"{sorted(overlap)} both added and removed")
    if lang is None:
        lang = get_tagger().tag_batch([TagInput(text=text)])[0].lang
    try:
        record = FeedbackRecord(id=mention_id, text=text, lang=lang, add=add, remove=remove, sentiment=sentiment)
    except ValidationError as exc:
        raise typer.BadParameter(describe_validation_error(exc)) from None
    path = feedback_path(get_settings().data_dir)
    try:
        append_feedback(path, record)
    except OSError as exc:
        typer.echo(f"veille feedback: cannot write {exc.filename or path}: {exc.strerror or exc} (check VEILLE_DATA_DIR)",
                   err=True)
        raise typer.Exit(1) from None
    typer.echo(f"recorded in {path}")


def _is_utf8(text: str) -> bool:
    """False for a string holding lone surrogates, which is how Python passes on argument bytes that are not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
