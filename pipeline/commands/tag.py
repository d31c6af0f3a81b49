"""``veille tag``: JSON lines in on stdin, one tagged JSON line out per input line."""

from __future__ import annotations

import sys
from datetime import datetime

import orjson
import typer

from pipeline.cli import app
from pipeline.mention import cut_text
from pipeline.tagging import TagInput, get_tagger


def _parse_line(line: str) -> tuple[dict, TagInput]:
    data = orjson.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    text = data.get("text")
    if not isinstance(text, str):
        raise ValueError("missing or non-string 'text'")
    text, _ = cut_text(text)
    watch = data.get("watch")
    watch = (watch,) if isinstance(watch, str) else tuple(w for w in watch if isinstance(w, str)) if isinstance(watch, list) else ()
    created = data.get("created_at")
    created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if isinstance(created, str) else None
    return data, TagInput(
        text=text,
        lang=data.get("lang") if isinstance(data.get("lang"), str) else None,
        platform=data.get("platform") if isinstance(data.get("platform"), str) else None,
        created_at=created_at,
        watch=watch,
    )


def tags_as_dict(tags) -> dict:
    out = {
        "lang": tags.lang,
        "sentiment": tags.sentiment,
        "sentiment_score": tags.sentiment_score,
        "categories": tags.categories,
        "scores": tags.scores,
        "action": tags.action,
        "priority": tags.priority,
        "reply_by": tags.reply_by.isoformat() if tags.reply_by else None,
    }
    return out


def _id_of(raw: bytes) -> object:
    """The mention id of a line that is not UTF-8, if the rest of it is JSON, so its error line can name it."""
    try:
        data = orjson.loads(raw.decode("utf-8", "replace"))
    except orjson.JSONDecodeError:
        return None
    return data.get("id") if isinstance(data, dict) else None


@app.command("tag")
def tag_command(batch_size: int = typer.Option(512, help="lines tagged together")) -> None:
    """Tag JSON lines from stdin ({"id"?, "text", "lang"?, "platform"?, "created_at"?, "watch"?}); write one JSON
    line per input with lang, sentiment, categories, per-category scores, action, priority and reply_by.

    A line that cannot be read or tagged gives {"id": …, "error": "…"} so output lines stay aligned with input
    lines, and the same error on one line of stderr; the other lines of its batch are still tagged. Texts
    are cut to their first 20,000 characters, as the tag agent cuts them.
    """
    tagger = get_tagger()
    out = sys.stdout.buffer
    pending: list[tuple[int, dict, TagInput]] = []
    results: dict[int, dict] = {}

    def fail(n: int, mention_id: object, reason: str) -> None:
        error = f"line {n + 1}: {reason}"
        results[n] = {"id": mention_id if isinstance(mention_id, str) else None, "error": error}
        typer.echo(f"veille tag: {error}", err=True)

    def flush() -> None:
        try:
            tagged = tagger.tag_batch([item for _, _, item in pending])
        except Exception:  # noqa: BLE001 - one bad line (a date at year 9999) must not cost the batch
            tagged = None
        for index, (n, data, item) in enumerate(pending):
            try:
                tags = tagged[index] if tagged is not None else tagger.tag_batch([item])[0]
                results[n] = {"id": data.get("id"), **tags_as_dict(tags)}
            except Exception as exc:  # noqa: BLE001 - as the tag agent does: this line fails, the rest go on
                fail(n, data.get("id"), f"cannot be tagged: {type(exc).__name__}: {exc}")
        pending.clear()

    def emit_all() -> None:
        for n in sorted(results):
            out.write(orjson.dumps(results[n]) + b"\n")
        results.clear()

    for n, raw in enumerate(sys.stdin.buffer):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            fail(n, _id_of(raw), f"not UTF-8 (byte {exc.start + 1}): {exc.reason}")
            continue
        if not line:
            fail(n, None, "empty line")
            continue
        try:
            data, item = _parse_line(line)
        except (orjson.JSONDecodeError, ValueError, TypeError, OverflowError) as exc:
            fail(n, None, str(exc))
            continue
        pending.append((n, data, item))
        if len(pending) >= batch_size:
            flush()
            emit_all()
    if pending:
        flush()
    emit_all()
    out.flush()
