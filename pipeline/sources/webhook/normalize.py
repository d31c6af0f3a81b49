"""Mentions that arrive already normalised (a generic webhook's body, a replay file's lines)."""

from __future__ import annotations

import orjson

from pipeline.mention import InvalidMention, parse_mention
from pipeline.sources.results import NormalizeResult, Reject, excerpt


def normalize_mentions(payload: bytes, *, source_hint: str | None = None, fetched_at=None) -> NormalizeResult:
    """Already normalised mentions: one JSON object, a JSON array of them, or JSON lines."""
    result = NormalizeResult()
    try:
        data = orjson.loads(payload)
        items = data if isinstance(data, list) else [data]
    except orjson.JSONDecodeError:
        items = [line for line in payload.splitlines() if line.strip()]
    for n, item in enumerate(items):
        try:
            result.mentions.append(parse_mention(item))
        except InvalidMention as exc:
            result.rejects.append(Reject(exc.reason, excerpt(item), exc.mention_id or f"items[{n}]"))
    if not items:
        result.rejects.append(Reject("empty body", payload[:600], "payload"))
    return result
