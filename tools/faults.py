"""Faults for the delivery tests (tests/integration/test_faults_delivery.py) and the soak benchmark
(bench/bench_soak.py): :func:`start_worker` and :func:`kill_worker` start a real agents' worker and SIGKILL it;
:class:`FaultyElasticsearch` is a fault-injecting reverse proxy in front of the real Elasticsearch API.

It forwards every request unchanged, except while a fault is switched on:

- ``fail_requests(status, seconds)``: answer ``_bulk`` requests with that status without forwarding them
  (a cluster answering 429 "rejected execution" or 500 for a while);
- ``fail_items(status, seconds, every)``: forward ``_bulk``, then report every n-th item as failed with
  that status although it was written (what a retry after a partial bulk failure looks like);
- ``refuse_ids(ids)``: drop those documents from ``_bulk`` and report them as 400 mapping errors (poison
  documents that Elasticsearch will never accept);
- ``delay_bulk(seconds)``: hold each ``_bulk`` request that long (a slow cluster; widens race windows);
- ``unsupported``: path endings answered 404 "no handler", as a server without that API does.

It runs on its own event loop in a thread, so a worker subprocess and the test both go through it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from aiohttp import ClientSession, web

from pipeline.stack import ManagedProcess, free_port, tail

_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


def start_worker(worker: ManagedProcess, env: dict[str, str], timeout: float) -> float:
    """Start ``python -m pipeline worker`` as ``worker``; the seconds until it said Ready. RuntimeError, with
    the end of its log, when it exits first or is not ready within ``timeout`` seconds."""
    log: Path = worker.log_file
    mark = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    worker.start([sys.executable, "-m", "pipeline", "worker"], env=env)
    while time.monotonic() - started < timeout:
        if log.exists() and b"Worker]: Ready" in log.read_bytes()[mark:]:
            return time.monotonic() - started
        if worker.pid() is None:
            raise RuntimeError(f"worker exited:\n{tail(log, 40)}")
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready in {timeout:.0f}s:\n{tail(log, 40)}")


def kill_worker(worker: ManagedProcess) -> None:
    """SIGKILL the worker's process group: no shutdown, no final commit, whatever was in flight is in flight.
    Returns once it is gone (10 s at most)."""
    pid = worker.pid()
    if pid is None:
        raise RuntimeError("worker not running at a kill")
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while worker.pid() is not None and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)


@dataclass
class ProxyStats:
    bulk_requests: int = 0
    failed_requests: int = 0
    failed_items: int = 0
    refused_items: int = 0
    seen_ids: list[str] = field(default_factory=list)


class FaultyElasticsearch:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stats = ProxyStats()
        self._fail_status = 0
        self._fail_until = 0.0
        self._item_status = 0
        self._item_every = 1
        self._item_until = 0.0
        self._refused: set[str] = set()
        self._delay = 0.0
        self.unsupported: set[str] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faulty-es", daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    # -- control ---------------------------------------------------------------------------------
    def fail_requests(self, status: int, seconds: float) -> None:
        self._fail_status, self._fail_until = status, time.monotonic() + seconds

    def fail_items(self, status: int, seconds: float, every: int = 2) -> None:
        self._item_status, self._item_every, self._item_until = status, every, time.monotonic() + seconds

    def refuse_ids(self, ids: set[str]) -> None:
        self._refused = set(ids)

    def delay_bulk(self, seconds: float) -> None:
        self._delay = seconds

    def heal(self) -> None:
        self._fail_until = self._item_until = 0.0
        self._refused = set()
        self._delay = 0.0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FaultyElasticsearch:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        self._session = ClientSession(auto_decompress=True)
        app = web.Application(client_max_size=512 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._session:
            await self._session.close()

    # -- proxying --------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if any(request.path.rstrip("/").endswith(ending) for ending in self.unsupported):
            return _error(404, "no_handler_found")
        is_bulk = request.path.rstrip("/").endswith("/_bulk")
        if is_bulk:
            self.stats.bulk_requests += 1
            if self._delay:
                await asyncio.sleep(self._delay)
            if time.monotonic() < self._fail_until:
                self.stats.failed_requests += 1
                return _error(self._fail_status, "es_rejected_execution_exception" if self._fail_status == 429
                              else "injected_server_error")
            return await self._bulk(request, body)
        status, headers, payload = await self._forward(request, body)
        return web.Response(status=status, headers=headers, body=payload)

    async def _forward(self, request: web.Request, body: bytes) -> tuple[int, dict, bytes]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self._session.request(request.method, self.upstream + request.path_qs, data=body or None,
                                         headers=headers) as response:
            payload = await response.read()
            out = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
            return response.status, out, payload

    async def _bulk(self, request: web.Request, body: bytes) -> web.Response:
        lines = [line for line in body.split(b"\n") if line.strip()]
        operations: list[tuple[dict, bytes | None]] = []
        index = 0
        while index < len(lines):
            action = orjson.loads(lines[index])
            op = next(iter(action))
            source = lines[index + 1] if op in ("index", "create", "update") else None
            operations.append((action, source))
            index += 2 if source is not None else 1
        kept, refused_at = [], {}
        for position, (action, source) in enumerate(operations):
            meta = next(iter(action.values()))
            self.stats.seen_ids.append(meta.get("_id", ""))
            if meta.get("_id") in self._refused:
                refused_at[position] = (next(iter(action)), meta)
            else:
                kept.append((action, source))
        items: list[dict] = []
        headers = {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
        if kept:
            forwarded = b"".join(orjson.dumps(a) + b"\n" + (s + b"\n" if s is not None else b"") for a, s in kept)
            request_headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
            async with self._session.post(self.upstream + request.path_qs, data=forwarded,
                                          headers=request_headers) as response:
                payload = await response.read()
                if response.status != 200:
                    return web.Response(status=response.status, body=payload, headers=headers)
                items = orjson.loads(payload)["items"]
        merged, upstream_items = [], iter(items)
        for position in range(len(operations)):
            if position in refused_at:
                op, meta = refused_at[position]
                self.stats.refused_items += 1
                merged.append({op: {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": 400, "error": {
                    "type": "mapper_parsing_exception", "reason": "injected: failed to parse field [text]"}}})
            else:
                merged.append(next(upstream_items))
        if time.monotonic() < self._item_until:
            for position, item in enumerate(merged):
                result = next(iter(item.values()))
                if position % self._item_every == 0 and result.get("status", 500) < 300:
                    self.stats.failed_items += 1
                    result.update(status=self._item_status, error={
                        "type": "es_rejected_execution_exception", "reason": "injected item failure"})
        errors = any(next(iter(i.values())).get("status", 200) >= 300 for i in merged)
        return web.Response(status=200, headers=headers,
                            body=orjson.dumps({"took": 1, "errors": errors, "items": merged}))


def _error(status: int, kind: str) -> web.Response:
    return web.Response(status=status, headers={"content-type": "application/json", "x-elastic-product": "Elasticsearch"},
                        body=orjson.dumps({"error": {"type": kind, "reason": "injected by the fault proxy"},
                                           "status": status}))
