"""A per-watch state saved as table records of bounded size, however large the state.

Kafka refuses a record above its limit (1 MB by default), and a Faust table writes each value as one
changelog record: a state kept as one value crashes the worker the day it outgrows the limit. So the
agents save each watch's state (already bounded by its own configuration) as parts of at most
``MAX_STATE_RECORD_BYTES`` under ``<key>\\x1f<slot>\\x1f<n>``, then a small manifest under ``<key>``.

Two slots take turns: a save writes the slot the manifest does not point to, then the manifest, so a
worker killed in the middle of a save still finds the previous state whole (parts carry their
generation, and parts of another generation are refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

MAX_STATE_RECORD_BYTES = 200 * 1024


def _part_key(key: str, slot: int, number: int) -> bytes:
    return f"{key}\x1f{slot}\x1f{number}".encode()


def state_records(key: str, state: Mapping[str, Any], previous_manifest: bytes | None,
                  max_bytes: int = MAX_STATE_RECORD_BYTES) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """The records that save ``state`` under ``key`` (parts first, the manifest last) and the keys of the
    parts left over from an earlier, longer save of the same slot (to delete)."""
    manifest = _manifest(previous_manifest)
    generation = manifest["generation"] + 1
    slot = generation % 2
    blob = orjson.dumps(state)
    header = f"{generation}\n".encode()
    room = max_bytes - len(header)
    parts = [header + blob[offset:offset + room] for offset in range(0, max(len(blob), 1), room)]
    sizes = list(manifest["sizes"])
    stale = [_part_key(key, slot, number) for number in range(len(parts), sizes[slot])]
    sizes[slot] = len(parts)
    records = [(_part_key(key, slot, number), part) for number, part in enumerate(parts)]
    records.append((key.encode(), orjson.dumps({"generation": generation, "parts": len(parts), "sizes": sizes})))
    return records, stale


def _manifest(raw: bytes | None) -> dict[str, Any]:
    empty = {"generation": 0, "parts": 0, "sizes": [0, 0]}
    if not raw:
        return empty
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return empty
    if not isinstance(manifest, dict) or "generation" not in manifest or "sizes" not in manifest:
        return empty  # a state saved whole, before parts
    return manifest


def read_state(key: str, get: Callable[[bytes], bytes | None]) -> dict[str, Any] | None:
    """The state saved under ``key`` (``get`` reads the table), or None when there is none, or only a
    damaged one. A state saved whole by an older version is returned as it is."""
    raw = get(key.encode())
    if not raw:
        return None
    manifest = _manifest(raw)
    if manifest["generation"] == 0:
        try:
            legacy = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return legacy if isinstance(legacy, dict) else None
    generation = manifest["generation"]
    header = f"{generation}\n".encode()
    chunks = []
    for number in range(manifest["parts"]):
        part = get(_part_key(key, generation % 2, number))
        if not part or not part.startswith(header):
            return None
        chunks.append(part[len(header):])
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        return None
