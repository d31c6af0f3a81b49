"""Replay mentions (valid and malformed) through the real broker, the real agents and the real
Elasticsearch API; every valid one must be searchable exactly once with its tags, every malformed one
must be in the dead-letter topic with its reason."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import orjson
import pytest

from pipeline.sources.replay.paced import ReplayConnector
from pipeline.kafka_tools import read_topic
from pipeline.mention import CATEGORIES
from pipeline.sinks.elasticsearch import make_client
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.topics import DEADLETTER, RAW

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
VALID_COUNT = 600


@pytest.fixture(scope="module")
def replay_files(tmp_path_factory) -> tuple[Path, list[dict], list[bytes]]:
    valid_lines = (SAMPLE / "mentions.jsonl").read_bytes().splitlines()[:VALID_COUNT]
    malformed = [line for line in (SAMPLE / "malformed.jsonl").read_bytes().splitlines() if line.strip()]
    mixed = []
    for index, line in enumerate(valid_lines):
        mixed.append(line)
        if index % 25 == 0 and malformed[index // 25 : index // 25 + 1]:
            mixed.append(malformed[index // 25])
    mixed.extend(malformed[len(valid_lines) // 25 + 1 :])
    path = tmp_path_factory.mktemp("replay") / "mixed.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    return path, [orjson.loads(line) for line in valid_lines], malformed


async def _replay(settings, path: Path) -> int:
    async with KafkaRecordSink(settings) as sink:
        stats = await ReplayConnector(path, settings.topic(RAW)).run(sink)
    return stats.sent


async def _fetch_all(settings, ids: list[str]) -> dict[str, list[dict]]:
    client = make_client(settings)
    try:
        await client.indices.refresh(index=settings.mentions_index)
        found: dict[str, list[dict]] = {}
        for start in range(0, len(ids), 500):
            response = await client.search(index=settings.mentions_index, size=1000,
                                           query={"terms": {"id": ids[start:start + 500]}})
            for hit in response["hits"]["hits"]:
                found.setdefault(hit["_source"]["id"], []).append(hit["_source"])
        return found
    finally:
        await client.close()


async def _wait_for(settings, ids: list[str], timeout: float = 120) -> dict[str, list[dict]]:
    deadline = time.monotonic() + timeout
    found: dict[str, list[dict]] = {}
    while time.monotonic() < deadline:
        found = await _fetch_all(settings, ids)
        if len(found) >= len(ids):
            return found
        await asyncio.sleep(1)
    return found


async def test_pipeline_every_valid_mention_is_indexed_once_and_every_malformed_one_dead_lettered(
    settings, worker, replay_files
):
    path, valid, malformed = replay_files
    ids = [m["id"] for m in valid]
    assert await _replay(settings, path) == len(valid) + len(malformed)

    found = await _wait_for(settings, ids)
    missing = sorted(set(ids) - set(found))
    assert not missing, f"{len(missing)} mentions never became searchable, e.g. {missing[:5]}"
    for mention in valid:
        copies = found[mention["id"]]
        assert len(copies) == 1, f"{mention['id']} indexed {len(copies)} times"
        document = copies[0]
        assert document["text"] == mention["text"]
        assert document["sentiment"] in {"negative", "neutral", "positive"}
        assert -1.0 <= document["sentiment_score"] <= 1.0
        assert document["categories"] and set(document["categories"]) <= set(CATEGORIES)
        assert document["lang"]
        assert document["tagger"]

    letters = [orjson.loads(r.value) for r in await read_topic(settings, settings.topic(DEADLETTER))]
    dead_raw = {base64.b64decode(letter["raw_base64"]): letter for letter in letters}
    for line in malformed:
        assert line in dead_raw, f"malformed record not dead-lettered: {line[:80]!r}"
        letter = dead_raw[line]
        assert letter["reason"], "a dead letter without a reason"
        assert letter["source_topic"] == settings.topic(RAW)
        assert letter["offset"] is not None and letter["partition"] is not None


async def test_pipeline_replaying_again_does_not_duplicate(settings, worker, replay_files):
    path, valid, malformed = replay_files
    ids = [m["id"] for m in valid]
    await _wait_for(settings, ids)
    letters_before = len(await read_topic(settings, settings.topic(DEADLETTER)))
    await _replay(settings, path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the second copy of the malformed lines arriving = replay processed
        if len(await read_topic(settings, settings.topic(DEADLETTER))) >= letters_before + len(malformed):
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)
    found = await _fetch_all(settings, ids)
    assert {i: len(c) for i, c in found.items() if len(c) != 1} == {}
    client = make_client(settings)
    try:
        await client.indices.refresh(index=settings.mentions_index)
        watches = sorted({w for m in valid for w in m.get("watch") or []})
        total = (await client.count(index=settings.mentions_index, query={"terms": {"watch": watches}}))["count"]
    finally:
        await client.close()
    assert total == len(set(ids))  # no copy under another document id (other tests use other watches)
