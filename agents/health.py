"""The worker's health record as it runs (``pipeline/worker_health.py`` says what is in it), and the
supervisor that keeps one failing agent from stopping the others.

mode's supervisors (Faust's default restarts a crashed agent) give up after 100 restarts in one second
and raise SystemExit, which ends the whole worker: an agent that fails at once on every start (a model
that cannot load, a service refused) took every other agent down with it. ``RestartWithBackoff`` never
gives up and records each crash. An agent that failed on a batch (its records stay uncommitted, see
``agents.runtime.acknowledged_when_done``) is restarted at once, so it keeps draining its topic: a paused
agent's buffer fills (4,096 records) and Faust then pauses the topic's partitions, which would stop the
other agents reading the same topic (trends and crisis share ``watch.signals``). An agent that crashed
outside a batch (at its start) is restarted after a pause doubling from 0.5 s to 30 s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from faust.agents import current_agent
from mode import OneForOneSupervisor

from pipeline import worker_health as wh

log = logging.getLogger(__name__)

RESTART_FIRST_DELAY = 0.5
RESTART_MAX_DELAY = 30.0
#: an agent that ran this long before crashing starts its backoff again from the first delay
RESTART_RESET_AFTER_SECONDS = 60.0


def agent_name(agent) -> str:
    return agent.name.rsplit(".", 1)[-1] if agent is not None else "?"


def agent_topics(agent) -> list[str]:
    return sorted(getattr(agent.channel, "topics", ()) or ())


class WorkerHealth:
    """This worker's record: in memory from the start, written to its file once ``start`` named it."""

    def __init__(self) -> None:
        self.record: wh.WorkerRecord | None = None
        self.path: Path | None = None
        self._beating: asyncio.Task | None = None
        self._batch_failures: dict[str, int] = {}  # agent -> id() of the exception its last batch raised

    def start(self, data_dir: Path, instance_id: str, group: str, agents) -> None:
        self.path = wh.record_path(data_dir, instance_id)
        self.record = wh.new_record(instance_id, group, time.time(), wh.read_record(self.path))
        for agent in agents:
            wh.agent_started(self.record, agent_name(agent), agent_topics(agent))
        self.write()

    def write(self) -> None:
        if self.record is None or self.path is None:
            return
        self.record.updated_at = time.time()
        try:
            wh.write_record(self.path, self.record)
        except OSError as exc:
            log.warning("could not write the worker's health record %s: %s", self.path, exc)

    def start_beating(self) -> None:
        async def beat() -> None:
            while True:
                self.write()
                await asyncio.sleep(wh.HEARTBEAT_SECONDS)

        self._beating = asyncio.ensure_future(beat())

    def batch_done(self, agent: str | None = None) -> None:
        if self.record is not None:
            wh.batch_done(self.record, agent or agent_name(current_agent()), time.time())

    def agent_failed(self, error: BaseException | str, agent: str | None = None) -> None:
        if self.record is None:
            return
        text = error if isinstance(error, str) else wh.describe_error(error)
        wh.agent_failed(self.record, agent or agent_name(current_agent()), text, time.time())
        self.write()

    def batch_failed(self, error: BaseException) -> None:
        name = agent_name(current_agent())
        self._batch_failures[name] = id(error)
        self.agent_failed(error, agent=name)

    def failed_on_a_batch(self, agent: str, error: BaseException | None) -> bool:
        return error is not None and self._batch_failures.get(agent) == id(error)

    def agent_restarted(self, agent: str) -> None:
        if self.record is not None:
            wh.agent_restarted(self.record, agent)

    def partitions_assigned(self, count: int) -> None:
        if self.record is not None:
            wh.partitions_assigned(self.record, count, time.time())
            self.write()

    def partitions_revoked(self) -> None:
        if self.record is not None:
            wh.partitions_revoked(self.record, time.time())
            self.write()

    def exited(self, reason: BaseException | str | None) -> None:
        if self.record is None:
            return
        if self._beating is not None:
            self._beating.cancel()
        text = reason if reason is None or isinstance(reason, str) else wh.describe_error(reason)
        wh.worker_exited(self.record, text, time.time())
        self.write()


health = WorkerHealth()


async def _close_abandoned_batches(stream) -> None:
    """Close the ``take_events`` generators a crashed actor left open on its stream, which the restarted actor
    reuses. Left open, each keeps its buffering processor on the stream: once its buffer is full (one batch)
    it waits for a consumer that is gone, and the stream stops for the new actor too (seen: an agent failing
    on every batch failed twice, then received nothing). Faust closes them only when the stream stops.
    ``_active_agens`` is Faust's private set of them (agents/internals.py)."""
    for generator in list(getattr(stream, "_active_agens", ())):
        try:
            await generator.aclose()
        except (RuntimeError, ValueError):  # still running in another task: its owner closes it
            pass


class RestartWithBackoff(OneForOneSupervisor):
    """Restart a crashed agent, at once after a failed batch, else after a growing pause; never give up
    (see the module's docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._crashes: dict[int, tuple[int, float]] = {}  # service index -> (crashes in a row, started at)

    async def restart_service(self, service) -> None:
        index = self._index[service]
        name = agent_name(getattr(service, "agent", None))
        reason = service.crash_reason
        if not health.failed_on_a_batch(name, reason):  # a failed batch was recorded and logged already
            crashes, started = self._crashes.get(index, (0, 0.0))
            if time.monotonic() - started >= RESTART_RESET_AFTER_SECONDS:
                crashes = 0
            delay = min(RESTART_FIRST_DELAY * 2 ** crashes, RESTART_MAX_DELAY)
            self._crashes[index] = (crashes + 1, time.monotonic())
            health.agent_failed(reason if reason is not None else "crashed", agent=name)
            log.error("agent %s crashed (%s); restarting it in %.1fs", name,
                      wh.describe_error(reason) if reason is not None else "no reason", delay)
            await asyncio.sleep(delay)
        await _close_abandoned_batches(getattr(service, "stream", None))
        health.agent_restarted(name)
        if self.replacement:
            replacement = await self.replacement(service, index)
            replacement.supervisor = self
            self.insert(index, replacement)
            # started now, as Faust starts an agent's first actor: a replacement left for the supervisor's
            # next round to start is not restarted when it crashes before that round (up to 5 s later)
            await replacement.maybe_start()
        else:
            await service.restart()
