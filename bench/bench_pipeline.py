"""Pipeline throughput on the embedded stack: per stage (validate+tag, index) and end to end
(mentions in Kafka → tagged → searchable), with ingest → indexed latency percentiles.

Starts its own embedded stack on free ports in a temporary directory and one Faust worker process.
Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from pipeline.connectors.replay import ReplayConnector
from pipeline.processing import RawRecord, process_raw_batch
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import ElasticsearchMentionSink, document_for, make_client
from pipeline.sinks.kafka import KafkaRecordSink
from pipeline.stack import EmbeddedStack, ManagedProcess, isolated_stack_env, settings_for, tail
from pipeline.tagging import get_tagger
from pipeline.topics import RAW

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "mentions.jsonl"
RESULTS = ROOT / "bench" / "results" / "pipeline.json"


def sample_lines(count: int) -> list[bytes]:
    """``count`` distinct mentions: the sample stream repeated with fresh native ids."""
    base = [orjson.loads(line) for line in SAMPLE.read_bytes().splitlines()]
    lines = []
    for index in range(count):
        mention = dict(base[index % len(base)])
        round_ = index // len(base)
        if round_:
            mention["native_id"] = f"{mention['native_id']}-r{round_}"
            mention["id"] = f"{mention['platform']}:{mention['native_id']}"
        lines.append(orjson.dumps(mention))
    return lines


def bench_tagging_stage(lines: list[bytes], batch: int = 500) -> dict:
    tagger = get_tagger()
    records = [RawRecord(value=line, topic=RAW, partition=0, offset=i) for i, line in enumerate(lines)]
    process_raw_batch(records[:batch], tagger)  # warm-up
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        process_raw_batch(records[start:start + batch], tagger)
    seconds = time.perf_counter() - started
    return {"mentions": len(records), "seconds": round(seconds, 3), "per_second": round(len(records) / seconds),
            "tagger": tagger.name, "batch": batch}


async def bench_index_stage(settings: Settings, lines: list[bytes], batch: int = 1000) -> dict:
    tagger = get_tagger()
    records = [RawRecord(value=line, topic=RAW, partition=0, offset=i) for i, line in enumerate(lines)]
    documents = []
    for start in range(0, len(records), 500):
        documents.extend(document_for(d) for d in process_raw_batch(records[start:start + 500], tagger).enriched)
    sink = ElasticsearchMentionSink(make_client(settings), settings)
    await sink.setup()
    started = time.perf_counter()
    for start in range(0, len(documents), batch):
        await sink.write(documents[start:start + batch])
    seconds = time.perf_counter() - started
    await sink.close()
    return {"documents": len(documents), "seconds": round(seconds, 3), "per_second": round(len(documents) / seconds),
            "batch": batch}


async def _count(settings: Settings) -> int:
    client = make_client(settings)
    try:
        await client.indices.refresh(index=settings.mentions_index)
        return (await client.count(index=settings.mentions_index))["count"]
    finally:
        await client.close()


async def _latencies(settings: Settings) -> list[float]:
    client = make_client(settings)
    try:
        seconds = []
        async for hit in _scan(client, settings.mentions_index):
            source = hit["_source"]
            if source.get("ingested_at") and source.get("indexed_at"):
                ingested = datetime.fromisoformat(source["ingested_at"].replace("Z", "+00:00"))
                indexed = datetime.fromisoformat(source["indexed_at"])
                seconds.append((indexed - ingested).total_seconds())
        return seconds
    finally:
        await client.close()


async def _scan(client, index: str):
    from elasticsearch.helpers import async_scan

    async for hit in async_scan(client, index=index, query={"query": {"match_all": {}}},
                                _source=["ingested_at", "indexed_at"], size=2000):
        yield hit


async def bench_end_to_end(settings: Settings, env: dict[str, str], lines: list[bytes], path: Path) -> dict:
    path.write_bytes(b"\n".join(lines) + b"\n")
    worker = ManagedProcess(settings.data_dir, f"bench-worker-{settings.index_prefix}")
    worker.start([sys.executable, "-m", "pipeline", "worker", "--loglevel", "warning"], env=env)
    try:
        deadline = time.monotonic() + 120
        while "Ready" not in tail(worker.log_file, 200) and time.monotonic() < deadline:
            if worker.pid() is None:
                raise RuntimeError(tail(worker.log_file, 40))
            await asyncio.sleep(0.5)
        started = time.perf_counter()
        async with KafkaRecordSink(settings) as sink:
            stats = await ReplayConnector(path, settings.topic(RAW)).run(sink)
        produced = time.perf_counter() - started
        count = 0
        while time.perf_counter() - started < 600:
            count = await _count(settings)
            print(f"   searchable {count}/{len(lines)}", flush=True)
            if count >= len(lines):
                break
            await asyncio.sleep(1)
        seconds = time.perf_counter() - started
    finally:
        worker.stop()
    latencies = sorted(await _latencies(settings))
    quantile = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3) if latencies else None  # noqa: E731
    return {
        "mentions": len(lines), "searchable": count, "produce_seconds": round(produced, 3),
        "produce_per_second": round(stats.sent / produced), "seconds": round(seconds, 3),
        "per_second": round(count / seconds), "ingest_to_indexed_p50_s": quantile(0.5),
        "ingest_to_indexed_p99_s": quantile(0.99), "ingest_to_indexed_mean_s": round(statistics.fmean(latencies), 3)
        if latencies else None,
        "note": "one worker; latency measured from Kafka record timestamp to the index agent's bulk "
                "(refresh interval adds up to VEILLE_INDEX_REFRESH_INTERVAL before a mention is searchable)",
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=20000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="veille-bench-"))
    env = {**isolated_stack_env(workdir), "VEILLE_INDEX_PREFIX": "bench-e2e"}
    settings = settings_for(env)
    stack = EmbeddedStack(settings)
    stack.up(timeout=60)
    try:
        subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **env}, check=True,
                       capture_output=True)
        lines = sample_lines(args.mentions)
        print("-- stage: validate + tag", flush=True)
        tagging = bench_tagging_stage(lines)
        print(f"   {tagging}", flush=True)
        print("-- stage: index", flush=True)
        index_settings = Settings(**{**settings.model_dump(), "index_prefix": "bench-index"})
        indexing = asyncio.run(bench_index_stage(index_settings, lines[:10000]))
        print(f"   {indexing}", flush=True)
        print("-- end to end", flush=True)
        end_to_end = asyncio.run(bench_end_to_end(settings, env, lines, workdir / "replay.jsonl"))
        print(f"   {end_to_end}", flush=True)
    finally:
        stack.down()
    result = {
        "benchmark": "pipeline",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "stack": "embedded: noida-db (Kafka protocol + Elasticsearch API)",
        "stages": {"validate_and_tag": tagging, "index": indexing},
        "end_to_end": end_to_end,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
