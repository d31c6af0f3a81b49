"""`veille erase --author ID` on the session stack with the real agents: the author's mentions leave
Elasticsearch, the erasure stays in the compacted `erasures` topic, and the author's mentions that
arrive afterwards (new ones, or the old ones replayed) are dropped on the way in."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
from faults import as_records, forget, indexed_copies, produce, sample_mentions

from pipeline.kafka_tools import read_topic
from pipeline.privacy import erased_authors
from pipeline.topics import ERASURES

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _by(author_id: str, tag: str, count: int, start: int) -> list[dict]:
    mentions = sample_mentions(tag, count, start)
    for mention in mentions:
        mention["author"] = {**mention["author"], "id": author_id}
    return mentions


async def _wait_indexed(settings, ids: list[str], timeout: float = 120) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        copies = await indexed_copies(settings, ids)
        if len(copies) == len(ids):
            return copies
        await asyncio.sleep(0.5)
    pytest.fail(f"only {len(copies)} of {len(ids)} mentions indexed in {timeout}s")


async def test_erase_author_removes_their_mentions_and_keeps_them_out(settings, stack_env, worker):
    run = uuid.uuid4().hex[:8]
    try:
        await _erase_and_check(settings, stack_env, run)
    finally:
        await forget(settings, [m["id"] for m in sample_mentions(f"erase-{run}-o", 20, 300)
                                + sample_mentions(f"erase-{run}-marker", 5, 600)])


async def _erase_and_check(settings, stack_env, run: str) -> None:
    victim, other = f"erase-victim-{run}", f"erase-other-{run}"
    theirs = _by(victim, f"erase-{run}-v", 20, 100)
    others = _by(other, f"erase-{run}-o", 20, 300)
    await produce(settings, as_records(theirs + others))
    await _wait_indexed(settings, [m["id"] for m in theirs + others])

    done = subprocess.run([sys.executable, "-m", "pipeline", "erase", "--author", victim, "--reason", "test",
                           "--settle", "1"], env={**os.environ, **stack_env}, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"erased author {victim} (every platform)" in done.stdout
    assert "20 mentions deleted" in done.stdout

    assert await indexed_copies(settings, [m["id"] for m in theirs]) == {}
    assert len(await indexed_copies(settings, [m["id"] for m in others])) == 20

    records = await read_topic(settings, settings.topic(ERASURES))
    mine = [r for r in records if r.key == f"author:*:{victim}".encode()]
    assert mine and mine[-1].value is not None, "the erasure must not be a null tombstone"
    assert orjson.loads(mine[-1].value)["reason"] == "test"
    assert erased_authors(records).is_erased(theirs[0])

    later = _by(victim, f"erase-{run}-late", 10, 500)
    marker = _by(other, f"erase-{run}-marker", 5, 600)  # processed after the victim's, same partitions or not
    await produce(settings, as_records(theirs + later))
    await produce(settings, as_records(marker))
    await _wait_indexed(settings, [m["id"] for m in marker])
    await asyncio.sleep(2)  # the other partitions' batches
    assert await indexed_copies(settings, [m["id"] for m in theirs + later]) == {}


async def test_erase_author_reaches_alerts_trends_and_tag_corrections(settings, stack, tmp_path):
    """No worker needed: the author's mentions indexed directly, cited by an alert and a trend, and
    corrected by a CM (one record with its author, one older record with only the mention id)."""
    from datetime import UTC, datetime

    from pipeline.alerts.model import Alert
    from pipeline.alerts.store import AlertStore, index_trends, trends_index
    from pipeline.privacy import erase_author, new_erasure
    from pipeline.sinks.elasticsearch import make_client
    from pipeline.tagging.feedback import FeedbackRecord, append_feedback, feedback_path, read_feedback
    from tools.showcase import load_sample

    run = uuid.uuid4().hex[:8]
    mine = settings.model_copy(update={"index_prefix": f"erasetrace{run}", "data_dir": tmp_path})
    victim = f"trace-victim-{run}"
    theirs = _by(victim, f"trace-{run}-v", 3, 100)
    others = _by(f"trace-other-{run}", f"trace-{run}-o", 2, 300)
    now = datetime.now(UTC)
    alert = Alert(id=f"alert-{run}", dedup_key=f"Lumio|complaint_spike|{run}", watch="Lumio", kind="complaint_spike",
                  severity="warning", opened_at=now, updated_at=now, title="Complaints up",
                  sample_ids=[theirs[0]["id"], others[0]["id"], theirs[1]["id"]])
    trend = {"id": f"trend-{run}", "watch": "Lumio", "term": "panne", "window_start": now.isoformat(),
             "sample_ids": [theirs[2]["id"], others[1]["id"]]}
    corrections = feedback_path(tmp_path)
    append_feedback(corrections, FeedbackRecord(id=theirs[0]["id"], text=theirs[0]["text"], author_id=victim,
                                                platform=theirs[0]["platform"], add=["complaint"]))
    append_feedback(corrections, FeedbackRecord(id=theirs[1]["id"], text=theirs[1]["text"], add=["complaint"]))
    append_feedback(corrections, FeedbackRecord(id=others[0]["id"], text=others[0]["text"], add=["complaint"]))

    async with make_client(mine) as client:
        assert await load_sample(client, mine, theirs + others) == 5
        await AlertStore(client, mine).upsert(alert, refresh=True)
        await index_trends(client, mine, [trend])
        await client.indices.refresh(index=trends_index(mine))
    try:
        report = await erase_author(mine, new_erasure(victim, reason="test"), settle_seconds=0)
        async with make_client(mine) as client:
            alerts = await AlertStore(client, mine).list()  # what /api/alerts answers
            trends = (await client.search(index=trends_index(mine), query={"match_all": {}}))["hits"]["hits"]
        assert report.deleted == 3 and report.remaining == 0
        assert report.evidence_rewritten == 2 and report.feedback_removed == 2
        assert [a.sample_ids for a in alerts] == [[others[0]["id"]]]
        assert [t["_source"]["sample_ids"] for t in trends] == [[others[1]["id"]]]
        assert [r.id for r in read_feedback(corrections)] == [others[0]["id"]]
        assert all(m["text"] not in corrections.read_text(encoding="utf-8") for m in theirs)
    finally:
        async with make_client(mine) as client:
            for suffix in ("mentions", "alerts", "trends"):
                await client.options(ignore_status=404).indices.delete(index=f"{mine.index_prefix}-{suffix}")
