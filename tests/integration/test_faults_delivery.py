"""Delivery guarantees under faults, on a stack of this module's own (real broker, real agents' worker,
real Elasticsearch API behind a fault-injecting proxy): poison records, Elasticsearch answering 429 and
500, the worker killed mid-stream, the broker restarted mid-stream. After each, the mention ids in
Elasticsearch are exactly the ids sent minus the dead-lettered ones (each with a reason), once each."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from pipeline.stack import EmbeddedStack, ManagedProcess, isolated_stack_env, settings_for, tail
from pipeline.topics import RAW
from pipeline.worker_health import STUCK_AFTER_SECONDS as STUCK_SECONDS
from faults import (
    as_records,
    dead_letters,
    indexed_copies,
    produce,
    sample_mentions,
    trace_lost,
    wait_until_settled,
)
from tools.faults import FaultyElasticsearch, kill_worker, start_worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RESUME_WITHIN_SECONDS = 30.0  # a worker restarted after SIGKILL indexes again within this


class FaultRig:
    def __init__(self, env: dict[str, str], proxy: FaultyElasticsearch):
        self.direct_env = env
        self.worker_env = {**env, "VEILLE_ELASTICSEARCH_URL": proxy.url}
        self.settings = settings_for(env)  # the test reads Elasticsearch directly, not through the proxy
        self.stack = EmbeddedStack(self.settings)
        self.proxy = proxy
        self.worker = ManagedProcess(self.settings.data_dir, "agents")
        self.indexed: set[str] = set()  # every id this module expects in the index so far

    def start_worker(self, timeout: float = 120) -> float:
        """Start the worker; the seconds until it said Ready."""
        return start_worker(self.worker, self.worker_env, timeout)

    def kill_worker(self) -> None:
        kill_worker(self.worker)
        assert self.worker.pid() is None


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> FaultRig:
    env = {
        **isolated_stack_env(tmp_path_factory.mktemp("veille-faults")),
        "VEILLE_INDEX_REFRESH_INTERVAL": "200ms",
        "VEILLE_TAG_BATCH_WITHIN": "0.1",
        "VEILLE_INDEX_BATCH_WITHIN": "0.1",
        "VEILLE_TAG_BATCH_SIZE": "100",
        "VEILLE_INDEX_BATCH_SIZE": "100",
        "VEILLE_APP_ID": "veille-faults",
    }
    settings = settings_for(env)
    stack = EmbeddedStack(settings)
    stack.up(timeout=60)
    proxy = FaultyElasticsearch(settings.elasticsearch.url).start()
    rig = FaultRig(env, proxy)
    try:
        subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **env}, check=True,
                       capture_output=True, cwd=ROOT)
        rig.start_worker()
        yield rig
    finally:
        rig.worker.stop()
        proxy.stop()
        stack.down()


async def _assert_exactly_delivered(rig: FaultRig, sent: list[dict], expected_dead: set[str] = frozenset()) -> None:
    ids = [m["id"] for m in sent]
    copies = await wait_until_settled(rig.settings, ids, set(expected_dead))
    letters = [letter for letter in await dead_letters(rig.settings) if letter.get("mention_id") in set(ids)]
    dead = {letter["mention_id"] for letter in letters}
    assert all(letter["reason"] for letter in letters), "a dead letter without a reason"
    assert dead == set(expected_dead), f"unexpected dead letters: {sorted(dead ^ set(expected_dead))[:5]}"
    missing = set(ids) - dead - set(copies)
    if missing:
        trace = await trace_lost(rig.settings, missing, rig.proxy)
        pytest.fail(f"{len(missing)} mentions lost, e.g. {sorted(missing)[:5]}\n{trace}\n{tail(rig.worker.log_file, 30)}")
    assert set(copies) == set(ids) - dead
    assert {i: n for i, n in copies.items() if n != 1} == {}
    rig.indexed |= set(copies)
    from pipeline.sinks.elasticsearch import make_client

    async with make_client(rig.settings) as client:
        await client.indices.refresh(index=rig.settings.mentions_index)
        total = (await client.count(index=rig.settings.mentions_index))["count"]
    assert total == len(rig.indexed), "documents other than the mentions sent are in the index"


async def _wait_for_some_indexed(rig: FaultRig, ids: list[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = len(await indexed_copies(rig.settings, ids))
        if count:
            return count
        await asyncio.sleep(0.2)
    pytest.fail(f"nothing indexed in {timeout}s:\n{tail(rig.worker.log_file, 30)}")


async def _kill_and_restart_mid_stream(rig: FaultRig, ids: list[str]) -> float:
    """SIGKILL the worker while ``ids`` are being indexed and start it again; the seconds until it indexed more.
    No broker restart: noida-db never evicts the dead member, the restarted worker must take its place."""
    rig.kill_worker()
    indexed_at_kill = len(await indexed_copies(rig.settings, ids))
    assert indexed_at_kill < len(ids), "the stream finished before the kill; nothing was tested"
    restarted = time.monotonic()
    rig.start_worker(timeout=RESUME_WITHIN_SECONDS)
    await _wait_for_more_indexed(rig, ids, indexed_at_kill, restarted + RESUME_WITHIN_SECONDS)
    return time.monotonic() - restarted


async def _wait_for_more_indexed(rig: FaultRig, ids: list[str], than: int, deadline: float) -> None:
    indexed = 0
    while time.monotonic() < deadline:
        if (indexed := len(await indexed_copies(rig.settings, ids))) > than:
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"indexing did not resume within {RESUME_WITHIN_SECONDS}s ({indexed} of {len(ids)} indexed, "
                f"{than} before):\n{tail(rig.worker.log_file, 30)}")


async def test_faults_poison_records_are_dead_lettered_with_a_reason_and_the_rest_indexed(rig):
    mentions = sample_mentions("poison", 200)
    refused = {m["id"] for m in mentions[10:15]}  # documents Elasticsearch rejects (mapping error)
    rig.proxy.refuse_ids(refused)
    huge = dict(sample_mentions("poison-huge", 1)[0], text="plainte " * 30_000)  # 240,000 characters
    bad_records = [
        (None, b"not json at all {"),
        (None, b"\xff\xfe\x00garbage\x80"),
        (None, b"[1, 2, 3]"),
        (None, b""),
        (b"null-value", None),
        (b"twitter:poison-x", orjson.dumps({"id": "twitter:poison-x", "platform": "twitter", "native_id": "poison-x"})),
        (b"twitter:poison-y", orjson.dumps(dict(sample_mentions("poison-y", 1)[0], url="javascript:alert(1)"))),
        (b"twitter:poison-z", orjson.dumps(dict(sample_mentions("poison-z", 1)[0], id="twitter:someone-else"))),
    ]
    letters_before = len(await dead_letters(rig.settings))
    records = as_records(mentions) + bad_records + as_records([huge])
    await produce(rig.settings, records)
    try:
        await _assert_exactly_delivered(rig, mentions + [huge], expected_dead=refused)
    finally:
        rig.proxy.heal()
    new_letters = (await dead_letters(rig.settings))[letters_before:]
    index_letters = [l for l in new_letters if l["stage"] == "index"]
    assert {l["mention_id"] for l in index_letters} == refused
    assert all("mapper_parsing_exception" in l["reason"] for l in index_letters)
    validate_letters = [l for l in new_letters if l["stage"] == "validate"]
    assert len(validate_letters) == len(bad_records), [l["reason"] for l in validate_letters]
    assert all(l["reason"] and l["source_topic"] == rig.settings.topic(RAW) and l["offset"] is not None
               for l in validate_letters)
    from pipeline.sinks.elasticsearch import make_client

    async with make_client(rig.settings) as client:
        document = (await client.get(index=rig.settings.mentions_index, id=huge["id"]))["_source"]
    assert document["truncated"] is True and 0 < len(document["text"]) < len(huge["text"])


async def test_faults_elasticsearch_answering_429_then_500_then_failing_items_loses_nothing(rig):
    mentions = sample_mentions("es-down", 400, start=200)
    rig.proxy.fail_requests(429, seconds=6)
    failed_before = rig.proxy.stats.failed_requests
    await produce(rig.settings, as_records(mentions[:150]))
    await asyncio.sleep(6)
    rig.proxy.fail_requests(500, seconds=6)
    await produce(rig.settings, as_records(mentions[150:300]))
    await asyncio.sleep(6)
    rig.proxy.fail_items(429, seconds=6, every=3)
    items_before = rig.proxy.stats.failed_items
    await produce(rig.settings, as_records(mentions[300:]))
    await _assert_exactly_delivered(rig, mentions)
    assert rig.proxy.stats.failed_requests > failed_before, "the 429/500 faults never hit a bulk request"
    assert rig.proxy.stats.failed_items > items_before, "the per-item faults never hit"


async def test_faults_worker_killed_mid_stream_and_restarted_loses_and_duplicates_nothing(rig):
    mentions = sample_mentions("killed", 1500, start=600)
    ids = [m["id"] for m in mentions]
    rig.proxy.delay_bulk(0.4)  # a slow cluster, so the kill lands mid-stream
    try:
        await produce(rig.settings, as_records(mentions))
        await _wait_for_some_indexed(rig, ids)
        await _kill_and_restart_mid_stream(rig, ids)
    finally:
        rig.proxy.heal()
    await _assert_exactly_delivered(rig, mentions)


async def test_faults_worker_killed_twice_resumes_each_time_within_30s_without_a_broker_restart(rig):
    """Two SIGKILLs in a row: each restarted worker takes the dead one's place in the consumer group (same
    group.instance.id) and indexes again within 30 s, on a broker that never evicts a dead member."""
    mentions = sample_mentions("killed-twice", 1200, start=5200)
    ids = [m["id"] for m in mentions]
    rig.proxy.delay_bulk(0.5)
    resumed = []
    try:
        await produce(rig.settings, as_records(mentions))
        await _wait_for_some_indexed(rig, ids)
        for _ in range(2):
            resumed.append(await _kill_and_restart_mid_stream(rig, ids))
    finally:
        rig.proxy.heal()
    await _assert_exactly_delivered(rig, mentions)
    print(f"resumed after each SIGKILL in {', '.join(f'{s:.1f}s' for s in resumed)}")


async def test_faults_worker_stopped_mid_batch_and_restarted_loses_and_duplicates_nothing(rig):
    """A graceful stop (a deploy) cancels the batches in hand; Faust acknowledges a batch whose handling was
    cancelled and commits it on the way out, unless the agents hold its acknowledgement."""
    mentions = sample_mentions("stopped", 1200, start=4000)
    ids = [m["id"] for m in mentions]
    rig.proxy.delay_bulk(1.0)  # every bulk request is in flight for a second: the stop lands inside one
    try:
        await produce(rig.settings, as_records(mentions))
        indexed_at_stop = await _wait_for_some_indexed(rig, ids)
        mark = len(rig.worker.log_file.read_text(errors="replace"))
        started = time.monotonic()
        rig.worker.stop(timeout=60)
        assert time.monotonic() - started < 60, "the worker had to be killed; this test is about a graceful stop"
        assert indexed_at_stop < len(ids), "the stream finished before the stop; nothing was tested"
        assert "stopped while handling" in rig.worker.log_file.read_text(errors="replace")[mark:], \
            "no batch was in hand at the stop; nothing was tested"
        rig.start_worker()
    finally:
        rig.proxy.heal()
    await _assert_exactly_delivered(rig, mentions)


async def test_faults_broker_restarted_mid_stream_loses_and_duplicates_nothing(rig):
    first = sample_mentions("broker-a", 800, start=2100)
    second = sample_mentions("broker-b", 300, start=2900)
    rig.proxy.delay_bulk(0.3)
    try:
        await produce(rig.settings, as_records(first))
        indexed_at_restart = await _wait_for_some_indexed(rig, [m["id"] for m in first])
        mark = len(rig.worker.log_file.read_text(errors="replace"))
        rig.stack.restart_kafka(timeout=60)  # noida-db's broker, from its log on disk
    finally:
        rig.proxy.heal()
    assert indexed_at_restart < len(first), "the stream finished before the restart; nothing was tested"
    await produce(rig.settings, as_records(second))
    await _assert_exactly_delivered(rig, first + second)
    assert rig.worker.pid() is not None, "the worker died with the broker"
    # a refused reconnection, or the restarted broker no longer knowing the group generation the worker had
    assert re.search(r"Connect call failed|IllegalGenerationError|UnknownMemberIdError",
                     rig.worker.log_file.read_text(errors="replace")[mark:]), \
        "the worker never saw the broker restart; nothing was tested"


async def test_faults_status_says_a_worker_is_stuck_behind_a_dead_member_until_that_worker_is_back(rig):
    """A second worker with an id of its own, started while a killed worker's member still holds the group
    (the embedded broker never evicts it), cannot join: ``veille status`` names it stuck and the killed one
    down. Starting the killed worker again (same slot, same instance id) frees the group for both."""
    mentions = sample_mentions("stuck", 300, start=6400)
    rig.kill_worker()
    other = ManagedProcess(rig.settings.data_dir, "agents-other")
    other.start([sys.executable, "-m", "pipeline", "worker"],
                env={**rig.worker_env, "VEILLE_WORKER_INSTANCE_ID": "other-worker"})
    try:
        await produce(rig.settings, as_records(mentions))
        time.sleep(STUCK_SECONDS + 5)
        status = _status(rig)
        print(status.stdout)
        assert status.returncode == 1, status.stdout
        worker_lines = [line for line in status.stdout.splitlines() if line.startswith("worker ")]
        assert any("other-worker" in line and " stuck " in line and "joining consumer group" in line
                   for line in worker_lines), status.stdout
        assert any(" down " in line and "is gone" in line for line in worker_lines), status.stdout
        assert not await indexed_copies(rig.settings, [m["id"] for m in mentions]), "indexed while stuck?"

        restarted = time.monotonic()
        rig.start_worker(timeout=RESUME_WITHIN_SECONDS)
        await _wait_for_more_indexed(rig, [m["id"] for m in mentions], 0, restarted + RESUME_WITHIN_SECONDS)
        deadline = time.monotonic() + 60
        while " stuck " in (status := _status(rig)).stdout and time.monotonic() < deadline:
            time.sleep(1)
        worker_lines = [line for line in status.stdout.splitlines() if line.startswith("worker ")]
        assert any("other-worker" in line and " ok " in line for line in worker_lines), status.stdout
        # the restarted one may read crash-looping: this module kills it four times in a few minutes
        assert not any(" stuck " in line or " down " in line for line in worker_lines), status.stdout
    finally:
        other.stop(timeout=60)
    await _assert_exactly_delivered(rig, mentions)


async def test_faults_a_worker_stopped_cleanly_hands_its_partitions_to_the_other(rig):
    """Two workers side by side (slots 0 and 1 of one data directory: two instance ids); the first stops
    cleanly. A static member sends no LeaveGroup of its own (aiokafka), and the embedded broker would keep
    its partitions for ever: the worker leaves by member id, so the second takes them all."""
    mentions = sample_mentions("handover", 300, start=6800)
    second = ManagedProcess(rig.settings.data_dir, "agents-second")
    mark = len(second.log_file.read_text(errors="replace")) if second.log_file.exists() else 0
    second.start([sys.executable, "-m", "pipeline", "worker"], env=rig.worker_env)
    try:
        deadline = time.monotonic() + 120
        while "Worker]: Ready" not in second.log_file.read_text(errors="replace")[mark:]:
            assert second.pid() is not None and time.monotonic() < deadline, tail(second.log_file, 40)
            time.sleep(0.3)
        rig.worker.stop(timeout=60)
        await produce(rig.settings, as_records(mentions))
        await _wait_for_more_indexed(rig, [m["id"] for m in mentions], len(mentions) - 1,
                                     time.monotonic() + RESUME_WITHIN_SECONDS)
    finally:
        second.stop(timeout=60)
        rig.start_worker()
    await _assert_exactly_delivered(rig, mentions)


def _status(rig: FaultRig) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", "status"], env={**os.environ, **rig.direct_env},
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
