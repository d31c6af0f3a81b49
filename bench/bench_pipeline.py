"""Pipeline throughput and latency on the embedded stack, with a naive baseline in the same run.

- Per stage, one process: normalise (the shared recorded payloads, when present), validate + tag (the
  whole tag stage: tag_and_route), index (bulk).
- End to end (mentions in Kafka → tagged → searchable) with 1 and 2 workers on the 6-partition raw topic.
- Latency at fixed rates, one worker, each rate on a fresh stack: ingest → indexed (the index agent's stamp)
  and ingest → searchable, the moment a read that sees only refreshed documents first finds the mention,
  without ever forcing a refresh (the index's refresh interval applies, as for a dashboard):
  ``SearchableWatcher``.
- "Searchable" counts use ``_cat/count`` and never force a refresh either. The embedded Elasticsearch API
  refreshes, counts and searches by going over the whole index (about 16 µs a document per refresh here),
  so a benchmark that forced refreshes or searched by time range every 0.1 s would load it far more than
  the pipeline does.
- Before each clock starts, one warm-up mention goes through the whole pipeline (tagger loaded, index
  created, consumer group settled).
- Naive baseline: bench/naive_worker.py (one Faust message at a time, full spaCy pipeline, one index call
  per mention), on the same stack; the speedup is the ratio of the end-to-end rates.

Each end-to-end part starts an embedded stack of its own on free ports in a temporary directory.
Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from pipeline.gc_tuning import collect_less_often
from pipeline.processing import RawRecord, process_raw_batch, tag_and_route
from pipeline.settings import Settings, get_settings
from pipeline.sinks.elasticsearch import ElasticsearchMentionSink, document_for, make_client
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


SHARED_PAYLOADS = ROOT.parent / "shared" / "payloads"


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(), "platform": platform.platform()}


def bench_normalise_stage(rounds: int = 5) -> dict:
    from pipeline.sources.registry import normalizers

    NORMALIZERS = normalizers()

    if not SHARED_PAYLOADS.is_dir():
        return {"skipped": f"{SHARED_PAYLOADS} not present"}
    payloads = [(source, path.read_bytes()) for source in NORMALIZERS if (SHARED_PAYLOADS / source).is_dir()
                for path in sorted((SHARED_PAYLOADS / source).rglob("*")) if path.is_file()]
    started = time.perf_counter()
    mentions = 0
    for _ in range(rounds):
        for source, payload in payloads:
            mentions += len(NORMALIZERS[source](payload, source_hint=source).mentions)
    seconds = time.perf_counter() - started
    return {"payload_files": len(payloads), "mentions": mentions, "seconds": round(seconds, 3),
            "per_second": round(mentions / seconds)}


def bench_tagging_stage(lines: list[bytes], batch: int = 500) -> dict:
    tagger = get_tagger()
    records = [RawRecord(value=line, topic=RAW, partition=0, offset=i) for i, line in enumerate(lines)]
    tag_and_route(records[:batch], tagger)  # warm-up
    thresholds = gc.get_threshold()
    collect_less_often(get_settings().gc_young_threshold)  # as in the worker's tag processes
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        tag_and_route(records[start:start + batch], tagger)
    seconds = time.perf_counter() - started
    gc.set_threshold(*thresholds)
    return {"mentions": len(records), "seconds": round(seconds, 3), "per_second": round(len(records) / seconds),
            "tagger": tagger.name, "batch": batch, "what": "parse + validate + tag + signals + serialise"}


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


async def _count(client, index: str) -> int:
    """Documents of ``index`` that a search sees now. ``_cat/count`` without forcing a refresh: the refresh
    interval applies, and the embedded Elasticsearch API answers it without scanning the index (its
    refreshes and searches scan every document, so polling them would load it like no real cluster)."""
    try:
        return int((await client.cat.count(index=index, format="json"))[0]["count"])
    except Exception:  # the index does not exist yet
        return 0


async def _latencies(settings: Settings, index: str, last: int | None = None) -> list[float]:
    """Ingest → indexed seconds of the mentions in ``index``, sorted; only the ``last`` ingested if given."""
    from elasticsearch.helpers import async_scan

    client = make_client(settings)
    try:
        pairs = []
        async for hit in async_scan(client, index=index, query={"query": {"match_all": {}}},
                                    _source=["ingested_at", "indexed_at"], size=2000):
            source = hit["_source"]
            if source.get("ingested_at") and source.get("indexed_at"):
                ingested = datetime.fromisoformat(source["ingested_at"].replace("Z", "+00:00"))
                indexed = datetime.fromisoformat(source["indexed_at"])
                pairs.append((ingested, (indexed - ingested).total_seconds()))
        pairs.sort()
        return sorted(latency for _, latency in (pairs[-last:] if last else pairs))
    finally:
        await client.close()


def _quantiles(latencies: list[float]) -> dict:
    def quantile(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3) if latencies else None

    return {"p50_s": quantile(0.5), "p99_s": quantile(0.99), "max_s": round(latencies[-1], 3) if latencies else None}


class Stack:
    """An embedded stack of its own (free ports, temporary directory) with ``veille init`` done."""

    def __init__(self, name: str):
        self.workdir = Path(tempfile.mkdtemp(prefix=f"veille-bench-{name}-"))
        self.env = {**isolated_stack_env(self.workdir), "VEILLE_INDEX_PREFIX": f"bench-{name}"}
        self.settings = settings_for(self.env)
        self.stack = EmbeddedStack(self.settings)
        self.workers: list[ManagedProcess] = []

    def __enter__(self) -> Stack:
        self.stack.up(timeout=60)
        subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **self.env}, check=True,
                       capture_output=True)
        return self

    def __exit__(self, *exc) -> None:
        for worker in self.workers:
            worker.stop()
        self.stack.down()

    def start_workers(self, count: int, argv: list[str] | None = None, name: str = "worker",
                      extra_env: dict[str, str] | None = None) -> None:
        started = []
        for number in range(count):
            worker = ManagedProcess(self.settings.data_dir, f"bench-{name}-{number}")
            worker.start(argv or [sys.executable, "-m", "pipeline", "worker", "--loglevel", "warning"],
                         env={**self.env, **(extra_env or {})})
            self.workers.append(worker)
            started.append(worker)
        deadline = time.monotonic() + 180
        for worker in started:
            while "Ready" not in tail(worker.log_file, 300):
                if worker.pid() is None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready:\n{tail(worker.log_file, 40)}")
                time.sleep(0.5)

    async def produce(self, lines: list[bytes], rate: float | None = None, on_sent=None) -> float:
        """Send ``lines`` to the raw topic (at ``rate`` per second, or as fast as possible); the seconds taken.
        ``on_sent(ids)`` is called with the mention ids of each chunk as it is handed to the producer."""
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka.bootstrap, linger_ms=5, acks=-1,
                                    compression_type=self.settings.kafka.compression_type)  # as the connectors
        await producer.start()
        try:
            topic = self.settings.topic(RAW)
            started = time.perf_counter()
            chunk = max(1, int(rate / 50)) if rate else 1000
            pending = []
            for index in range(0, len(lines), chunk):
                if rate:
                    await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
                ids = [orjson.loads(line)["id"] for line in lines[index:index + chunk]]
                if on_sent:
                    on_sent(ids)
                for line, mention_id in zip(lines[index:index + chunk], ids):
                    pending.append(await producer.send(topic, value=line, key=mention_id.encode()))
            for delivery in pending:
                await delivery
            return time.perf_counter() - started
        finally:
            await producer.stop()

    async def wait_searchable(self, index: str, expected: int, started: float, timeout: float = 900) -> tuple[int, float]:
        count = 0
        last_report = 0.0
        client = make_client(self.settings)
        try:
            while time.perf_counter() - started < timeout:
                count = await _count(client, index)
                if count >= expected:
                    break
                if time.perf_counter() - last_report >= 5:
                    print(f"   searchable {count}/{expected} after {time.perf_counter() - started:.0f}s", flush=True)
                    last_report = time.perf_counter()
                await asyncio.sleep(0.25)
        finally:
            await client.close()
        return count, time.perf_counter() - started

    async def warm_up(self, index: str, timeout: float = 180) -> None:
        """One mention through the whole pipeline, then 3 s for the consumer group to settle: the clock starts
        with the tagger loaded (its process loads the models after the worker says Ready), the index created
        and every worker assigned."""
        mention = orjson.loads(sample_lines(1)[0])
        mention.update(native_id="bench-warm-up", id=f"{mention['platform']}:bench-warm-up")
        await self.produce([orjson.dumps(mention)])
        count, _ = await self.wait_searchable(index, 1, time.perf_counter(), timeout)
        if count < 1:
            raise RuntimeError(f"the warm-up mention never became searchable in {index}")
        await asyncio.sleep(3)


def bench_end_to_end(lines: list[bytes], workers: int) -> dict:
    with Stack(f"e2e{workers}") as stack:
        stack.start_workers(workers)

        async def run() -> dict:
            await stack.warm_up(stack.settings.mentions_index)
            started = time.perf_counter()
            produced = await stack.produce(lines)
            count, seconds = await stack.wait_searchable(stack.settings.mentions_index, len(lines) + 1, started)
            count -= 1  # the warm-up mention
            latencies = await _latencies(stack.settings, stack.settings.mentions_index, last=len(lines))
            return {"workers": workers, "mentions": len(lines), "searchable": count,
                    "produce_per_second": round(len(lines) / produced), "seconds": round(seconds, 3),
                    "per_second": round(count / seconds), "ingest_to_indexed": _quantiles(latencies)}

        return asyncio.run(run())


class SearchableWatcher:
    """Notes when each sent mention first becomes visible to search, polling every ``interval`` seconds as
    a dashboard would, without ever forcing a refresh (the index's refresh interval applies):

    - a count (``_cat/count``): a search keeps the index search-active. Elasticsearch skips the scheduled
      refreshes of an index nobody searches (``index.search.idle.after``), and the embedded one refreshes
      only when searched;
    - a multi-get with ``realtime=false`` of the ids sent and not yet seen: it reads only what the last
      refresh made searchable, and costs the server per id asked (a search by id or time range would make
      the embedded Elasticsearch API scan the whole index on every poll, loading it far more than the
      pipeline does).

    Ingest → searchable is the moment the answer arrived minus the mention's ingest time (its Kafka record
    timestamp, the document's ``ingested_at``), so each latency is over by at most the polling interval plus
    one request."""

    def __init__(self, settings: Settings, index: str, interval: float = 0.1, chunk: int = 5000):
        self.settings, self.index, self.interval, self.chunk = settings, index, interval, chunk
        self.pending: dict[str, None] = {}  # ids sent and not yet seen, in sending order
        self.seen: dict[str, tuple[float, float]] = {}  # id -> (first returned, ingested), epoch seconds
        self.polls = 0
        self.ids_asked = 0

    def sent(self, ids: list[str]) -> None:
        self.pending.update(dict.fromkeys(ids))

    async def run(self, expected: int, timeout: float) -> None:
        client = make_client(self.settings)
        deadline = time.monotonic() + timeout
        try:
            while len(self.seen) < expected and time.monotonic() < deadline:
                await client.cat.count(index=self.index)  # a search, as a dashboard's: see the class docstring
                asked = list(self.pending)
                for start in range(0, len(asked), self.chunk):
                    response = await client.mget(index=self.index, ids=asked[start:start + self.chunk],
                                                 realtime=False, source=["ingested_at"])
                    answered = time.time()
                    for doc in response["docs"]:
                        if doc.get("found") and doc.get("_source", {}).get("ingested_at"):
                            ingested = datetime.fromisoformat(doc["_source"]["ingested_at"].replace("Z", "+00:00"))
                            self.seen[doc["_id"]] = (answered, ingested.timestamp())
                            self.pending.pop(doc["_id"], None)
                self.polls += 1
                self.ids_asked += len(asked)
                await asyncio.sleep(self.interval)
        finally:
            await client.close()

    def latencies(self) -> list[float]:
        return sorted(answered - ingested for answered, ingested in self.seen.values())


def bench_latency(lines: list[bytes], rates: list[int], seconds_per_rate: float, workers: int = 1) -> list[dict]:
    """Each rate on a stack of its own: the embedded Elasticsearch API's refresh takes time in proportion to
    the whole index (about 16 µs a document here; Elasticsearch's grows with the new documents only), so
    the mentions of earlier rates would slow the later ones down."""
    results = []
    offset = 0
    for rate in rates:
        count = int(rate * seconds_per_rate)
        batch = lines[offset:offset + count]
        offset += count
        with Stack(f"latency{rate}") as stack:
            stack.start_workers(workers)

            async def run() -> dict:
                await stack.warm_up(stack.settings.mentions_index)
                watcher = SearchableWatcher(stack.settings, stack.settings.mentions_index)
                watching = asyncio.create_task(watcher.run(len(batch), timeout=seconds_per_rate + 120))
                started = time.perf_counter()
                produced = await stack.produce(batch, rate=rate, on_sent=watcher.sent)
                await watching
                seconds = time.perf_counter() - started
                return {"workers": workers, "rate_per_second": rate, "achieved_send_rate": round(len(batch) / produced),
                        "mentions": len(batch), "searchable": len(watcher.seen),
                        "drained_seconds_after_send": round(seconds - produced, 3),
                        "ingest_to_indexed": _quantiles(await _latencies(
                            stack.settings, stack.settings.mentions_index, last=len(batch))),
                        "ingest_to_searchable": _quantiles(watcher.latencies()),
                        "searchable_polling": {"interval_s": watcher.interval, "polls": watcher.polls,
                                               "ids_asked": watcher.ids_asked,
                                               "how": "a count, then mget realtime=false of the ids sent and not "
                                                      "yet seen"}}

            result = asyncio.run(run())
            result["refresh_interval"] = stack.settings.index.refresh_interval
            print(f"   rate {rate}/s: {result}", flush=True)
            results.append(result)
    return results


def bench_naive(lines: list[bytes]) -> dict:
    with Stack("naive") as stack:
        index = "bench-naive-mentions"
        stack.start_workers(1, [sys.executable, "-m", "bench.naive_worker"], name="naive",
                            extra_env={"NAIVE_INDEX": index})

        async def run() -> dict:
            await stack.warm_up(index)
            started = time.perf_counter()
            await stack.produce(lines)
            count, seconds = await stack.wait_searchable(index, len(lines) + 1, started)
            count -= 1  # the warm-up mention
            latencies = await _latencies(stack.settings, index, last=len(lines))
            return {"workers": 1, "mentions": len(lines), "searchable": count, "seconds": round(seconds, 3),
                    "per_second": round(count / seconds), "ingest_to_indexed": _quantiles(latencies),
                    "what": "bench/naive_worker.py: one message at a time, spaCy fr_core_news_sm full pipeline, "
                            "one index call per mention"}

        return asyncio.run(run())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=30000, help="end-to-end mentions per worker count")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure end to end")
    parser.add_argument("--rates", default="250,500,1000", help="fixed rates (mentions/s) for the latency part")
    parser.add_argument("--seconds-per-rate", type=float, default=20.0)
    parser.add_argument("--latency-workers", default="1", help="worker counts for the latency part")
    parser.add_argument("--naive-mentions", type=int, default=2000)
    args = parser.parse_args(argv)
    lines = sample_lines(max(args.mentions, 20000))
    results: dict = {"benchmark": "pipeline", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                     "machine": machine(), "stack": "embedded: noida-db (Kafka protocol + Elasticsearch API), "
                     "on the same cores as the workers"}
    print("-- stage: normalise", flush=True)
    results["stages"] = {"normalise": bench_normalise_stage()}
    print(f"   {results['stages']['normalise']}", flush=True)
    print("-- stage: validate + tag (one process)", flush=True)
    results["stages"]["validate_and_tag"] = bench_tagging_stage(lines[:20000])
    print(f"   {results['stages']['validate_and_tag']}", flush=True)
    print("-- stage: index", flush=True)
    with Stack("index") as stack:
        results["stages"]["index"] = asyncio.run(bench_index_stage(stack.settings, lines[:10000]))
    print(f"   {results['stages']['index']}", flush=True)
    print("-- naive baseline", flush=True)
    results["naive_baseline"] = bench_naive(lines[:args.naive_mentions])
    print(f"   {results['naive_baseline']}", flush=True)
    results["end_to_end"] = []
    for workers in [int(w) for w in args.workers.split(",") if w]:
        print(f"-- end to end, {workers} worker(s)", flush=True)
        result = bench_end_to_end(lines[:args.mentions], workers)
        result["speedup_vs_naive"] = round(result["per_second"] / max(1, results["naive_baseline"]["per_second"]), 1)
        print(f"   {result}", flush=True)
        results["end_to_end"].append(result)
    rates = [int(r) for r in args.rates.split(",") if r]
    latency_lines = sample_lines(int(sum(rates) * args.seconds_per_rate) + 1)
    results["latency"] = []
    for workers in [int(w) for w in args.latency_workers.split(",") if w]:
        print(f"-- latency at fixed rates, {workers} worker(s)", flush=True)
        results["latency"] += bench_latency(latency_lines, rates, args.seconds_per_rate, workers)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
