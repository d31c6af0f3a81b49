"""The real Mastodon status objects of the recorded cassettes in ../shared/payloads/mastodon, as the backfill
tests serve them (none when the folder is absent)."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml

from pipeline.sources.mastodon.connector import id_key

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "payloads" / "mastodon"


def recorded_statuses() -> list[dict]:
    """Every status object the cassettes' responses hold (those inside notifications too), once each, newest
    first (boosts and replies too)."""
    found: dict[str, dict] = {}
    for path in sorted(SHARED.glob("*.yaml")) if SHARED.is_dir() else ():
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            try:
                data = orjson.loads(interaction["response"]["body"]["string"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue
            for item in data if isinstance(data, list) else [data]:
                item = item.get("status") if isinstance(item, dict) and isinstance(item.get("status"), dict) else item
                if isinstance(item, dict) and {"id", "content", "created_at"} <= set(item):
                    found.setdefault(str(item["id"]), item)
    return sorted(found.values(), key=lambda s: id_key(str(s["id"])), reverse=True)
