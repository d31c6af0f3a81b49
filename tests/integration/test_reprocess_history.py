"""`veille reprocess --since T` on the session stack: history re-tagged with the current rules (an
organisation lexicon added after the fact) and re-indexed under the same ids, with no duplicate, bad
records dead-lettered, erased authors left out, progress shown."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faults import as_records, dead_letters, forget, indexed_copies, produce, sample_mentions

from pipeline.privacy import new_erasure, publish_erasure
from pipeline.sinks.elasticsearch import make_client

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


async def _documents(settings, ids: list[str]) -> dict[str, dict]:
    async with make_client(settings) as client:
        await client.indices.refresh(index=settings.mentions_index)
        response = await client.search(index=settings.mentions_index, size=len(ids) + 10,
                                       query={"terms": {"id": ids}})
    return {hit["_source"]["id"]: hit["_source"] for hit in response["hits"]["hits"]}


async def test_reprocess_retags_history_with_current_rules_without_duplicates(settings, stack_env, worker, tmp_path):
    run = uuid.uuid4().hex[:8]
    try:
        await _reprocess_and_check(settings, stack_env, tmp_path, run)
    finally:
        await forget(settings, [m["id"] for m in sample_mentions(f"reprocess-{run}", 60, start=1200)
                                + sample_mentions(f"reprocess-{run}-erased", 1, start=1300)])


async def _reprocess_and_check(settings, stack_env, tmp_path, run: str) -> None:
    word = f"zorglub{run}"
    mentions = sample_mentions(f"reprocess-{run}", 60, start=1200)
    for mention in mentions[:10]:
        mention["text"] = f"{mention['text']} {word}"
    erased = dict(sample_mentions(f"reprocess-{run}-erased", 1, start=1300)[0],
                  author={"id": f"reprocess-erased-{run}"})
    since = datetime.now(UTC) - timedelta(seconds=1)
    await produce(settings, as_records(mentions + [erased]) + [(None, b"{not json " + run.encode())])
    ids = [m["id"] for m in mentions]
    deadline = time.monotonic() + 120
    while len(await indexed_copies(settings, ids + [erased["id"]])) < len(ids) + 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    before = await _documents(settings, ids)
    assert len(before) == len(ids)
    assert not any("counterfeit" in before[m["id"]]["categories"] for m in mentions[:10])
    await publish_erasure(settings, new_erasure(erased["author"]["id"]))  # erased later; still indexed
    async with make_client(settings) as client:
        await client.indices.refresh(index=settings.mentions_index)
        total_before = (await client.count(index=settings.mentions_index))["count"]

    lexicon = tmp_path / "lexicons.yaml"
    lexicon.write_text(f'categories:\n  counterfeit:\n    any: ["{word}"]\n')
    env = {**os.environ, **stack_env, "VEILLE_LEXICONS_FILE": str(lexicon), "VEILLE_REPROCESS_BATCH_SIZE": "25"}
    done = subprocess.run([sys.executable, "-m", "pipeline", "reprocess", "--since", since.isoformat()], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reprocess: " in done.stderr and "records (" in done.stderr
    assert "62/62 records (100%)" in done.stdout and "1 of erased authors dropped" in done.stdout, done.stdout

    after = await _documents(settings, ids)
    assert set(after) == set(ids)
    for mention in mentions:
        document = after[mention["id"]]
        assert document["tagged_at"] > before[mention["id"]]["tagged_at"]
        assert document["ingested_at"] == before[mention["id"]]["ingested_at"]
        if word in mention["text"]:
            assert "counterfeit" in document["categories"], document["text"]
        else:
            assert document["categories"] == before[mention["id"]]["categories"]
    async with make_client(settings) as client:
        await client.indices.refresh(index=settings.mentions_index)
        assert (await client.count(index=settings.mentions_index))["count"] == total_before
    replayed = [l for l in await dead_letters(settings) if l.get("replayed_by") == "reprocess"
                and run in l["raw_preview"]]
    assert len(replayed) == 1 and replayed[0]["reason"] and replayed[0]["offset"] is not None
