"""Soak and fault run: a day of mentions replayed at a fixed rate while the pipeline is hurt on purpose.

``python -m bench.bench_soak [--mentions N] [--rate 1000]`` starts an embedded stack of its own (free ports,
temporary directory), the fault-injecting proxy of the delivery tests (``tools/faults.py``) in
front of its Elasticsearch API, and one real agents' worker talking to Elasticsearch through the proxy.
It generates ``N`` mentions with the sample generator (``tools.sample.generate``: its 48 hours of event time
halved, so ``created_at`` spans one day ending now) and replays them into the raw topic at ``--rate``/s.
Faults, each when that share of the mentions has been handed to the producer:

- 20 %: SIGKILL the worker (its whole process group), start it again;
- 40 %: restart the broker (``EmbeddedStack.restart_kafka``: from its log on disk);
- 55 %: the proxy answers every ``_bulk`` with 429 for 30 s, then 500 for 30 s;
- 75 %: SIGKILL the worker again (after the first restart is done), start it again.

Faults do not wait for one another (a broker restart may land while the worker is still starting), except
that a kill waits for the previous restart. Then it waits until every sent id is indexed or dead-lettered
(or ``--settle-timeout``) and counts, reading Elasticsearch directly, not through the proxy:

- sent: distinct ids the broker acknowledged (the producer resends what a broker restart made fail);
- indexed: distinct ``id`` values of the documents in the index; dead-lettered: distinct ``mention_id``
  of the dead-letter topic, with the letters counted by stage and reason;
- lost = sent - indexed - dead-lettered;
- duplicated = ids both indexed and dead-lettered, plus ids dead-lettered more than once, plus documents
  beyond one per id. Two documents with one id cannot exist (the id is the document ``_id``), so this is
  what duplicate delivery can still look like downstream;
- redelivered (reported, not counted as duplicated): ids with more than one record in ``mentions.enriched``
  or ``mentions.raw``. Kafka-to-Kafka hops are at least once: a worker killed after tagging and before its
  commit tags the batch again, and the index write of the second copy overwrites the first;
- worker memory: VmRSS of the worker and its child processes (``/proc``), at start, before each kill,
  after each restart and at the end.

Progress lines go to stderr. Writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from bench.bench_pipeline import machine
from pipeline.stack import EmbeddedStack, ManagedProcess, isolated_stack_env, settings_for, tail
from pipeline.topics import DEADLETTER, ENRICHED, RAW
from tools.faults import FaultyElasticsearch, kill_worker, start_worker

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "bench" / "results" / "soak.json"
ES_FAULT_SECONDS = (("429", 30.0), ("500", 30.0))
SCHEDULE = ((0.20, "kill_worker"), (0.40, "restart_broker"), (0.55, "elasticsearch_errors"), (0.75, "kill_worker"))


# --- pure parts ---------------------------------------------------------------------------------------------

def spread_over_a_day(mentions: list[dict], start: datetime) -> list[dict]:
    """The generator's mentions (48 h of event time from ``start``) with ``created_at`` halved onto the
    24 h from ``start``; the order and the daily shape are kept, the hours are compressed."""
    spread = []
    for mention in mentions:
        created = datetime.fromisoformat(mention["created_at"].replace("Z", "+00:00"))
        moved = start + (created - start) / 2
        spread.append({**mention, "created_at": moved.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return spread


def reason_kind(letter: dict) -> str:
    """A dead letter's stage and the start of its reason (up to the first colon), to count them by kind."""
    reason = str(letter.get("reason") or "no reason")
    return f"{letter.get('stage', '?')}: {reason.split(':', 1)[0][:80]}"


def account(sent: set[str], indexed: Counter, letters: list[dict], enriched_keys: Counter,
            raw_keys: Counter) -> dict:
    """Sent / indexed / dead-lettered / lost / duplicated for the ids in ``sent``; see the module docstring.
    ``indexed`` counts documents per mention id, ``*_keys`` records per key in those topics."""
    indexed_ids = set(indexed) & sent
    lettered = Counter(l["mention_id"] for l in letters if l.get("mention_id") in sent)
    dead_ids = set(lettered)
    lost = sent - indexed_ids - dead_ids
    indexed_and_dead = indexed_ids & dead_ids
    dead_twice = {i for i, n in lettered.items() if n > 1}
    extra_documents = sum(n - 1 for i, n in indexed.items() if i in sent and n > 1)
    return {
        "sent": len(sent),
        "indexed": len(indexed_ids),
        "dead_lettered": len(dead_ids),
        "dead_letter_reasons": dict(Counter(reason_kind(l) for l in letters if l.get("mention_id") in sent)
                                    .most_common()),
        "lost": len(lost),
        "lost_examples": sorted(lost)[:10],
        "duplicated": len(indexed_and_dead) + len(dead_twice) + extra_documents,
        "duplicated_detail": {"indexed_and_dead_lettered": len(indexed_and_dead),
                              "dead_lettered_more_than_once": len(dead_twice),
                              "documents_beyond_one_per_id": extra_documents},
        "documents_not_sent": sum(n for i, n in indexed.items() if i not in sent),
        "redelivered": {
            "enriched_ids_more_than_once": sum(1 for i, n in enriched_keys.items() if i in sent and n > 1),
            "enriched_extra_records": sum(n - 1 for i, n in enriched_keys.items() if i in sent and n > 1),
            "raw_ids_more_than_once": sum(1 for i, n in raw_keys.items() if i in sent and n > 1),
        },
    }


def vmrss_kib(status_text: str) -> int:
    """The VmRSS line of a /proc/<pid>/status, in KiB (0 for a process without one, e.g. a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(parents: dict[int, int], root: int) -> list[int]:
    """``root`` and every process below it, given each pid's parent pid."""
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


# --- measuring ----------------------------------------------------------------------------------------------

def process_tree_rss(pid: int | None) -> dict:
    if pid is None:
        return {"pid": None, "rss_mib": None, "processes": 0}
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    total, count, main = 0, 0, 0
    for member in descendants(parents, pid):
        try:
            kib = vmrss_kib(Path(f"/proc/{member}/status").read_text())
        except OSError:
            continue
        total, count = total + kib, count + 1
        main = kib if member == pid else main
    return {"pid": pid, "rss_mib": round(total / 1024, 1), "main_rss_mib": round(main / 1024, 1),
            "processes": count}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Soak:
    def __init__(self, mentions: list[dict], rate: float):
        self.workdir = Path(tempfile.mkdtemp(prefix="veille-soak-"))
        self.env = {**isolated_stack_env(self.workdir), "VEILLE_INDEX_PREFIX": "soak", "VEILLE_APP_ID": "veille-soak"}
        self.settings = settings_for(self.env)  # reads Elasticsearch directly, the worker goes through the proxy
        self.stack = EmbeddedStack(self.settings)
        self.proxy: FaultyElasticsearch | None = None
        self.worker = ManagedProcess(self.settings.data_dir, "soak-worker")
        self.lines = [(m["id"], orjson.dumps(m)) for m in mentions]
        self.rate = rate
        self.handed = 0
        self.acked: set[str] = set()
        self.resends = 0
        self.faults: list[dict] = []
        self.memory: list[dict] = []
        self.clock0 = time.monotonic()
        self.restarting: asyncio.Task | None = None
        self.samples: list[dict] = []

    def t(self) -> float:
        return round(time.monotonic() - self.clock0, 1)

    def note_memory(self, moment: str) -> None:
        self.memory.append({"at": moment, "t_s": self.t(), **process_tree_rss(self.worker.pid())})

    # -- worker ------------------------------------------------------------------------------------------
    def start_worker(self, timeout: float = 180) -> float:
        return start_worker(self.worker, {**self.env, "VEILLE_ELASTICSEARCH_URL": self.proxy.url}, timeout)

    def kill_worker(self) -> None:
        kill_worker(self.worker)

    # -- replay ------------------------------------------------------------------------------------------
    async def replay(self, lines: list[tuple[str, bytes]], rate: float | None) -> None:
        """Send at ``rate``/s (from the start time: a stall is caught up after); resend whatever the broker
        did not acknowledge until every line is acknowledged."""
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka.bootstrap, linger_ms=5, acks=-1,
                                    request_timeout_ms=20000, retry_backoff_ms=500,
                                    compression_type=self.settings.kafka.compression_type)
        await producer.start()
        topic = self.settings.topic(RAW)
        pending: list[tuple[asyncio.Future, str, bytes]] = []
        retry: list[tuple[str, bytes]] = []

        async def send(mention_id: str, line: bytes) -> None:
            try:
                pending.append((await producer.send(topic, value=line, key=mention_id.encode()), mention_id, line))
            except Exception:  # the broker is restarting: try again later
                retry.append((mention_id, line))

        def collect() -> None:
            still = []
            for future, mention_id, line in pending:
                if not future.done():
                    still.append((future, mention_id, line))
                elif future.exception() is None:
                    self.acked.add(mention_id)
                else:
                    retry.append((mention_id, line))
            pending[:] = still

        try:
            started = time.perf_counter()
            chunk = max(1, int(rate / 50)) if rate else 1000
            for index in range(0, len(lines), chunk):
                if rate:
                    await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
                for mention_id, line in lines[index:index + chunk]:
                    await send(mention_id, line)
                self.handed = min(len(lines), index + chunk) if lines is self.lines else self.handed
                collect()
                if retry and rate:
                    again, retry[:] = list(retry), []
                    self.resends += len(again)
                    for mention_id, line in again:
                        await send(mention_id, line)
            deadline = time.monotonic() + 300
            while (pending or retry) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                collect()
                if retry:
                    again, retry[:] = list(retry), []
                    self.resends += len(again)
                    await asyncio.sleep(1)
                    for mention_id, line in again:
                        await send(mention_id, line)
            self.send_seconds = time.perf_counter() - started
        finally:
            await producer.stop()

    # -- faults ------------------------------------------------------------------------------------------
    async def run_faults(self) -> None:
        running = []
        for fraction, name in SCHEDULE:
            while self.handed < fraction * len(self.lines):
                await asyncio.sleep(0.05)
            if name == "kill_worker" and self.restarting:
                await self.restarting
            fault = {"fault": name, "planned_share": fraction, "t_s": self.t(),
                     "share_handed": round(self.handed / len(self.lines), 3)}
            self.faults.append(fault)
            say(f"[{self.t():6.1f}s] fault: {name} at {fault['share_handed']:.0%} handed")
            if name == "kill_worker":
                self.note_memory(f"before kill {sum(f['fault'] == 'kill_worker' for f in self.faults)}")
                self.kill_worker()
                self.restarting = asyncio.create_task(self._restart(fault))
            elif name == "restart_broker":
                running.append(asyncio.create_task(self._restart_broker(fault)))
            elif name == "elasticsearch_errors":
                running.append(asyncio.create_task(self._elasticsearch_errors(fault)))
        await asyncio.gather(*running, *([self.restarting] if self.restarting else []))

    async def _restart(self, fault: dict) -> None:
        fault["ready_after_s"] = round(await asyncio.to_thread(self.start_worker), 1)
        say(f"[{self.t():6.1f}s] worker ready again after {fault['ready_after_s']}s")
        self.note_memory(f"after restart {sum(f['fault'] == 'kill_worker' for f in self.faults)}")

    async def _restart_broker(self, fault: dict) -> None:
        started = time.monotonic()
        log = self.worker.log_file
        mark = len(log.read_bytes()) if log.exists() else 0
        await asyncio.to_thread(self.stack.restart_kafka, 90)
        fault["broker_back_after_s"] = round(time.monotonic() - started, 1)
        await asyncio.sleep(5)
        # as the delivery test: a refused reconnection, or the group generation the restarted broker forgot
        fault["worker_saw_it"] = any(sign in log.read_bytes()[mark:] for sign in (
            b"Connect call failed", b"IllegalGenerationError", b"UnknownMemberIdError"))
        say(f"[{self.t():6.1f}s] broker back after {fault['broker_back_after_s']}s")

    async def _elasticsearch_errors(self, fault: dict) -> None:
        failed_before = self.proxy.stats.failed_requests
        fault["phases"] = []
        for status, seconds in ES_FAULT_SECONDS:
            before = self.proxy.stats.failed_requests
            self.proxy.fail_requests(int(status), seconds)
            phase = {"status": int(status), "from_t_s": self.t(), "seconds": seconds}
            fault["phases"].append(phase)
            await asyncio.sleep(seconds)
            phase["bulk_requests_refused"] = self.proxy.stats.failed_requests - before
        self.proxy.heal()
        fault["bulk_requests_refused"] = self.proxy.stats.failed_requests - failed_before
        say(f"[{self.t():6.1f}s] Elasticsearch healed; {fault['bulk_requests_refused']} bulk requests refused")

    # -- watching ----------------------------------------------------------------------------------------
    async def counts(self, client) -> tuple[int, int]:
        from pipeline.kafka_tools import end_offsets

        try:
            indexed = int((await client.cat.count(index=self.settings.mentions_index, format="json"))[0]["count"])
        except Exception:
            indexed = 0
        try:
            letters = sum((await end_offsets(self.settings, self.settings.topic(DEADLETTER))).values())
        except Exception:
            letters = -1
        return indexed, letters

    async def progress(self, stop: asyncio.Event) -> None:
        from pipeline.sinks.elasticsearch import make_client

        async with make_client(self.settings) as client:
            while not stop.is_set():
                indexed, letters = await self.counts(client)
                rss = process_tree_rss(self.worker.pid())["rss_mib"]
                self.samples.append({"t_s": self.t(), "handed": self.handed, "acked": len(self.acked),
                                     "indexed": max(0, indexed - 1), "dead_letters": letters, "worker_rss_mib": rss})
                say(f"[{self.t():6.1f}s] handed {self.handed}/{len(self.lines)} acked {len(self.acked)} "
                    f"resent {self.resends} indexed {indexed} dead-letters {letters} worker rss {rss} MiB")
                try:
                    await asyncio.wait_for(stop.wait(), 5)
                except TimeoutError:
                    pass

    async def settle(self, timeout: float) -> float:
        """Wait until every sent id is indexed or dead-lettered, or the timeout; the seconds waited. Cheap
        counts first, then the exact check (a scan of the index ids and the dead letters)."""
        from pipeline.sinks.elasticsearch import make_client

        started = time.monotonic()
        async with make_client(self.settings) as client:
            while time.monotonic() - started < timeout:
                indexed, letters = await self.counts(client)
                if indexed - 1 + max(letters, 0) >= len(self.acked):  # - 1: the warm-up mention
                    documents, dead = await self.index_ids(), await self.dead_letters()
                    if account(self.acked, documents, dead, Counter(), Counter())["lost"] == 0:
                        break
                await asyncio.sleep(2)
        return time.monotonic() - started

    async def index_ids(self) -> Counter:
        from elasticsearch.helpers import async_scan

        from pipeline.sinks.elasticsearch import make_client

        indexed: Counter = Counter()
        async with make_client(self.settings) as client:
            await client.indices.refresh(index=self.settings.mentions_index)
            async for hit in async_scan(client, index=self.settings.mentions_index, query={"query": {"match_all": {}}},
                                        _source=["id"], size=5000):
                indexed[hit["_source"].get("id", hit["_id"])] += 1
        return indexed

    async def dead_letters(self) -> list[dict]:
        from pipeline.kafka_tools import read_topic

        return [orjson.loads(r.value) for r in await read_topic(self.settings, self.settings.topic(DEADLETTER), 120)]

    async def final_counts(self) -> tuple[Counter, list[dict], Counter, Counter]:
        from pipeline.kafka_tools import read_topic

        enriched = Counter((r.key or b"").decode() for r in await read_topic(self.settings, self.settings.topic(ENRICHED), 180))
        raw = Counter((r.key or b"").decode() for r in await read_topic(self.settings, self.settings.topic(RAW), 180))
        return await self.index_ids(), await self.dead_letters(), enriched, raw

    async def warm_up(self, timeout: float = 180) -> None:
        """One mention through the whole pipeline before the clock starts (tagger loaded, index created)."""
        from pipeline.sinks.elasticsearch import make_client

        first = orjson.loads(self.lines[0][1])
        first.update(native_id="soak-warm-up", id=f"{first['platform']}:soak-warm-up")
        await self.replay([(first["id"], orjson.dumps(first))], None)
        started = time.monotonic()
        async with make_client(self.settings) as client:
            while (await self.counts(client))[0] < 1:
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"the warm-up mention was never indexed:\n{tail(self.worker.log_file, 30)}")
                await asyncio.sleep(0.5)
        self.acked.clear()

    async def run(self, settle_timeout: float) -> dict:
        await self.warm_up()
        await asyncio.sleep(3)
        load_at_start = os.getloadavg()
        self.clock0 = time.monotonic()
        self.note_memory("start")
        stop = asyncio.Event()
        watching = asyncio.create_task(self.progress(stop))
        faults = asyncio.create_task(self.run_faults())
        await self.replay(self.lines, self.rate)
        replay_done = self.t()
        say(f"[{self.t():6.1f}s] replay done: {len(self.acked)} acknowledged, {self.resends} resent")
        await faults
        faults_done = self.t()
        settled_after = await self.settle(settle_timeout)
        stop.set()
        await watching
        self.note_memory("end")
        say(f"[{self.t():6.1f}s] counting")
        indexed, letters, enriched, raw = await self.final_counts()
        return {
            "replay": {"mentions": len(self.lines), "rate_per_second": self.rate,
                       "achieved_send_rate": round(len(self.lines) / self.send_seconds),
                       "seconds": round(self.send_seconds, 1), "resent_after_errors": self.resends,
                       "not_acknowledged": len(self.lines) - len(self.acked)},
            "timeline_s": {"replay_done": replay_done, "faults_done": faults_done,
                           "settled": round(faults_done + settled_after, 1), "settle_timeout": settle_timeout,
                           "settled_in_time": settled_after < settle_timeout},
            "faults": self.faults,
            "accounting": account(self.acked, indexed, letters, enriched, raw),
            "worker_memory": self.memory,
            "load_average_1_5_15": {"at_start": [round(x, 2) for x in load_at_start],
                                    "at_end": [round(x, 2) for x in os.getloadavg()],
                                    "cores": os.cpu_count(), "note": "the host's, other jobs included"},
            "progress": self.samples,
            "proxy": {"bulk_requests": self.proxy.stats.bulk_requests,
                      "refused_requests": self.proxy.stats.failed_requests},
        }

    def __enter__(self) -> Soak:
        self.stack.up(timeout=60)
        self.proxy = FaultyElasticsearch(self.settings.elasticsearch.url).start()
        subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **self.env}, check=True,
                       capture_output=True, cwd=ROOT)
        return self

    def __exit__(self, *exc) -> None:
        self.worker.stop()
        if self.proxy:
            self.proxy.stop()
        self.stack.down()
        if exc[0] is None:
            shutil.rmtree(self.workdir, ignore_errors=True)  # about 260 MB of broker log and index at 60,000
        else:
            say(f"kept {self.workdir} (logs under data/logs)")


def summary(result: dict) -> str:
    a = result["accounting"]
    lines = [f"soak: {result['replay']['mentions']} mentions over one day of event time, replayed at "
             f"{result['replay']['rate_per_second']:.0f}/s (achieved {result['replay']['achieved_send_rate']}/s)",
             "faults:"]
    for fault in result["faults"]:
        extra = {k: v for k, v in fault.items() if k not in ("fault", "planned_share", "t_s", "share_handed", "phases")}
        lines.append(f"  {fault['t_s']:7.1f}s  {fault['fault']:<22} at {fault['share_handed']:.0%} "
                     f"(planned {fault['planned_share']:.0%}) {extra or ''}")
    lines += [f"sent {a['sent']}  indexed {a['indexed']}  dead-lettered {a['dead_lettered']}  "
              f"lost {a['lost']}  duplicated {a['duplicated']}",
              f"dead-letter reasons: {a['dead_letter_reasons'] or 'none'}",
              f"redelivered (at least once between topics, not duplicates in the index): {a['redelivered']}",
              f"settled {result['timeline_s']['settled']}s after the replay started "
              f"(replay done at {result['timeline_s']['replay_done']}s, last fault over at "
              f"{result['timeline_s']['faults_done']}s); load average at start/end "
              f"{result['load_average_1_5_15']['at_start'][0]}/{result['load_average_1_5_15']['at_end'][0]} "
              f"on {result['load_average_1_5_15']['cores']} cores",
              "worker memory (VmRSS, worker + children):"]
    lines += [f"  {m['at']:<18} {m['t_s']:7.1f}s  {m['rss_mib']} MiB ({m['processes']} processes)"
              for m in result["worker_memory"]]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=60000, help="mentions in the day (default 60,000)")
    parser.add_argument("--rate", type=float, default=1000.0, help="replay rate, mentions/s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--settle-timeout", type=float, default=360.0,
                        help="seconds after the last fault to wait for every id to be indexed or dead-lettered")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from tools.sample.generate import generate

    started = time.monotonic()
    day_start = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    say(f"generating {args.mentions} mentions from {day_start:%Y-%m-%d %H:%M} UTC")
    mentions = spread_over_a_day(generate(seed=args.seed, count=args.mentions, start=day_start).mentions, day_start)
    say(f"generated in {time.monotonic() - started:.0f}s; starting the stack")
    with Soak(mentions, args.rate) as soak:
        soak.start_worker()
        result = asyncio.run(soak.run(args.settle_timeout))
    result = {"benchmark": "soak", "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "stack": "embedded: noida-db (Kafka protocol + Elasticsearch API) behind tools/faults.py, "
                       "on the same cores as the worker",
              "event_time": {"from": mentions[0]["created_at"], "to": mentions[-1]["created_at"]},
              **result, "wall_seconds": round(time.monotonic() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(summary(result))
    print(f"written {args.out}")
    a = result["accounting"]
    return 0 if a["lost"] == 0 and a["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
