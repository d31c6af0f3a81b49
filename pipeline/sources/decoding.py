"""Payload bytes to JSON documents: the text encoding (BOM, UTF-8, cp1252, a guess), JSON or JSON
lines, and a truncated JSON document salvaged up to its last complete item."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from pipeline.sources.results import RAW_EXCERPT_BYTES, Collector, PayloadError, Reject, excerpt

TRUNCATED_MARK = "__veille_truncated__"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(payload: bytes) -> str:
    """Bytes to text: honour a BOM, prefer UTF-8, then cp1252 when it reads as Western text, else the
    encoding charset-normalizer guesses."""
    for bom, encoding in _BOMS:
        if payload.startswith(bom):
            return payload.decode(encoding, errors="replace")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(payload) >= 4 and payload[0] and not payload[1] and not payload[3]:
        return payload.decode("utf-16-le", errors="replace")
    if len(payload) >= 4 and not payload[0] and payload[1] and not payload[2]:
        return payload.decode("utf-16-be", errors="replace")
    western = payload.decode("cp1252", errors="replace")
    if _reads_as_western(western):
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(payload[:200_000]).best()
    if best is not None and best.encoding:
        return payload.decode(best.encoding, errors="replace")
    return western


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")


def _reads_as_western(text: str) -> bool:
    """cp1252 is the usual wrong encoding, and charset detectors misjudge short texts. Accented Latin
    letters come one or two at a time between ASCII ones; a Cyrillic or Greek text read as cp1252 gives
    long runs of accented letters, so little text in such runs means cp1252 is the right reading."""
    non_ascii = sum(1 for c in text if ord(c) > 127)
    if non_ascii == 0:
        return True
    if "\ufffd" in text:
        return False
    in_runs = sum(len(m) for m in _NON_ASCII_RUN.findall(text))
    return in_runs <= 0.2 * non_ascii


@dataclass(frozen=True, slots=True)
class Document:
    """One JSON document from a payload. ``ref`` locates it (``line 3``, ``interaction 2``)."""

    data: Any
    ref: str
    context: dict[str, Any] = field(default_factory=dict)


def _rebuild_partial(events: list[tuple[str, Any]]) -> Any:
    """Rebuild a document from the ijson events of a truncated payload; every container left open
    is marked with :data:`TRUNCATED_MARK` so the item walkers can reject it instead of trusting it."""
    stack: list[Any] = []
    keys: list[str | None] = []
    root: Any = None

    def put(value: Any) -> None:
        nonlocal root
        if not stack:
            root = value
        elif isinstance(stack[-1], list):
            stack[-1].append(value)
        else:
            stack[-1][keys[-1]] = value

    for event, value in events:
        if event == "start_map":
            new: Any = {}
            put(new)
            stack.append(new)
            keys.append(None)
        elif event == "start_array":
            new = []
            put(new)
            stack.append(new)
            keys.append(None)
        elif event in ("end_map", "end_array"):
            stack.pop()
            keys.pop()
        elif event == "map_key":
            keys[-1] = value
        else:
            put(value)
    for container in stack:
        if isinstance(container, dict):
            container[TRUNCATED_MARK] = True
    return root


def _salvage_json(text: str) -> Any:
    import ijson

    events: list[tuple[str, Any]] = []
    try:
        for event in ijson.basic_parse(io.BytesIO(text.encode("utf-8")), use_float=True):
            events.append(event)
    except ijson.JSONError:
        pass
    if not events or events[0][0] not in ("start_map", "start_array"):
        return None
    return _rebuild_partial(events)


def parse_json_documents(payload: bytes) -> tuple[list[Document], list[Reject]]:
    """A JSON document, JSON lines, or a truncated JSON document (complete items kept, the cut item
    marked). Raises :class:`PayloadError` when nothing at all can be read."""
    if not payload or not payload.strip():
        raise PayloadError("empty payload")
    text = decode_text(payload)
    stripped = text.strip()
    try:
        return [Document(orjson.loads(stripped), "document")], []
    except orjson.JSONDecodeError as exc:
        whole_error = str(exc)
    lines = [(n, line.strip()) for n, line in enumerate(stripped.splitlines(), 1) if line.strip()]
    if len(lines) > 1:
        documents: list[Document] = []
        rejects: list[Reject] = []
        for n, line in lines:
            try:
                documents.append(Document(orjson.loads(line), f"line {n}"))
            except orjson.JSONDecodeError as exc:
                rejects.append(Reject(f"line {n}: not valid JSON: {exc}", excerpt(line), f"line {n}"))
        if documents and len(documents) * 2 >= len(lines):
            return documents, rejects
    partial = _salvage_json(stripped)
    if partial is None:
        raise PayloadError(f"not valid JSON: {whole_error}")
    return [Document(partial, "document (truncated)")], [
        Reject(
            f"payload is truncated or malformed JSON ({whole_error}); complete items were kept",
            excerpt(stripped[-RAW_EXCERPT_BYTES:]),
            "document",
        )
    ]


def is_truncated(item: Any) -> bool:
    return isinstance(item, dict) and item.get(TRUNCATED_MARK) is True




def each_object(collector: Collector, data: Any, ref: str, expected: str = "a JSON object") -> Iterator[tuple[dict, str]]:
    """The JSON objects in ``data`` with where each sits: ``data`` itself, or the items of a list (lists
    within lists too). Anything else is rejected as not ``expected``."""
    if isinstance(data, list):
        for n, item in enumerate(data):
            yield from each_object(collector, item, f"{ref}[{n}]", expected)
        return
    if not isinstance(data, dict):
        collector.reject(f"{ref}: expected {expected}, got {type(data).__name__}", data, ref)
        return
    yield data, ref


def whole_object(collector: Collector, item: Any, ref: str, expected: str = "an object") -> bool:
    """Whether ``item`` is a JSON object that a truncated payload did not cut off; if not, it is rejected."""
    if not isinstance(item, dict):
        collector.reject(f"{ref}: expected {expected}", item, ref)
        return False
    if is_truncated(item):
        collector.reject("item cut off by a truncated payload", item, ref)
        return False
    return True
