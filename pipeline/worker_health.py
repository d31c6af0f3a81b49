"""What the agents' worker says about itself, and what ``veille status`` makes of it.

Each worker keeps one small record, ``<VEILLE_DATA_DIR>/health/<instance id>.json``, rewritten every few
seconds and at once when something changes (an agent fails or recovers, the worker joins or leaves its
consumer group, it exits and why). A file rather than a compacted topic: the reasons that matter most are
the ones a worker cannot send to Kafka (the broker unreachable, a worker stuck outside its group, a worker
that exits at start), and ``veille status`` can read a file while the broker is down. The record is
per worker instance (its consumer-group ``group.instance.id``), so a restarted worker takes over the record
of the one it replaces, with its recent exits: that is how a crash loop shows. Workers on other machines
write to their own data directory; a shared volume shows them all.
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from pipeline.redact import mask_credentials

HEARTBEAT_SECONDS = 5.0
#: no heartbeat for this long: the process is gone, or its event loop is blocked
STALE_AFTER_SECONDS = 20.0
#: a running worker with no partitions for this long is stuck outside its consumer group
STUCK_AFTER_SECONDS = 30.0
#: a record not rewritten for this long is a worker that has gone for good (shown, not failing)
GONE_AFTER_SECONDS = 86400.0
CRASH_LOOP_COUNT = 3  # failures (agent) or exits (worker) ...
CRASH_LOOP_WINDOW_SECONDS = 600.0  # ... within this long: crash-looping
KEPT_TIMES = 20  # recent failure / exit times kept in a record
ERROR_CHARACTERS = 500


class AgentRecord(BaseModel):
    name: str
    topics: list[str] = Field(default_factory=list)
    batches: int = 0
    last_batch_at: float | None = None
    failures: int = 0
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    recent_failures: list[float] = Field(default_factory=list)


class WorkerRecord(BaseModel):
    instance_id: str
    host: str
    pid: int
    started_at: float
    updated_at: float
    state: str = "starting"  # starting, running, stopped (cleanly), exited (on an error)
    group: str = ""
    partitions: int = 0
    assigned_at: float | None = None
    unassigned_since: float | None = None  # joining or rebalancing since; None while it holds partitions
    exit_reason: str | None = None
    recent_exits: list[float] = Field(default_factory=list)  # exits on an error, this instance's earlier runs too
    last_exit_reason: str | None = None  # why the run before this one ended, if not cleanly
    agents: dict[str, AgentRecord] = Field(default_factory=dict)


def describe_error(exc: BaseException) -> str:
    """``Type: message`` on one line (some errors already start their message with their type)."""
    message, name = str(exc), type(exc).__name__
    text = message if message.startswith(name) else f"{name}: {message}"
    return " ".join(text.split())[:ERROR_CHARACTERS]


def _recent(times: list[float], now: float) -> list[float]:
    return [t for t in times if now - t <= CRASH_LOOP_WINDOW_SECONDS][-KEPT_TIMES:]


# -- the worker's side: transitions of its record ------------------------------------------------------------

def new_record(instance_id: str, group: str, now: float, previous: WorkerRecord | None = None) -> WorkerRecord:
    """The record of a worker starting now, keeping the recent exits of the run it replaces."""
    exits, reason = (list(previous.recent_exits), previous.exit_reason) if previous else ([], None)
    if previous is not None and previous.state in ("starting", "running"):  # ended without a word
        exits.append(previous.updated_at)
        reason = "ended without a clean stop (killed: SIGKILL, out of memory?)"
    return WorkerRecord(instance_id=instance_id, host=socket.gethostname(), pid=os.getpid(), started_at=now,
                        updated_at=now, group=group, unassigned_since=now, recent_exits=_recent(exits, now),
                        last_exit_reason=reason)


def agent_started(record: WorkerRecord, name: str, topics: list[str]) -> None:
    record.agents.setdefault(name, AgentRecord(name=name)).topics = sorted(topics)


def batch_done(record: WorkerRecord, name: str, now: float) -> None:
    agent = record.agents.setdefault(name, AgentRecord(name=name))
    agent.batches += 1
    agent.last_batch_at = now


def agent_failed(record: WorkerRecord, name: str, error: str, now: float) -> None:
    agent = record.agents.setdefault(name, AgentRecord(name=name))
    agent.failures += 1
    agent.last_error, agent.last_error_at = mask_credentials(error)[:ERROR_CHARACTERS], now
    agent.recent_failures = _recent([*agent.recent_failures, now], now)


def agent_restarted(record: WorkerRecord, name: str) -> None:
    record.agents.setdefault(name, AgentRecord(name=name)).restarts += 1


def partitions_assigned(record: WorkerRecord, count: int, now: float) -> None:
    """An assignment received (none at all is fine: more workers than partitions)."""
    record.partitions, record.assigned_at, record.unassigned_since = count, now, None
    record.state = "running"


def partitions_revoked(record: WorkerRecord, now: float) -> None:
    record.unassigned_since = record.unassigned_since or now


def worker_exited(record: WorkerRecord, reason: str | None, now: float) -> None:
    """A clean stop (``reason`` None) or an exit on an error."""
    record.updated_at = now
    if reason is None:
        record.state, record.exit_reason = "stopped", None
        return
    record.state, record.exit_reason = "exited", mask_credentials(reason)[:ERROR_CHARACTERS]
    record.recent_exits = _recent([*record.recent_exits, now], now)


# -- files -----------------------------------------------------------------------------------------------------

def health_dir(data_dir: Path) -> Path:
    return data_dir / "health"


def record_path(data_dir: Path, instance_id: str) -> Path:
    return health_dir(data_dir) / f"{re.sub(r'[^A-Za-z0-9._-]', '_', instance_id)}.json"


def write_record(path: Path, record: WorkerRecord) -> None:
    """Atomically: a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(record.model_dump_json())
    os.replace(temporary, path)


def read_record(path: Path) -> WorkerRecord | None:
    try:
        return WorkerRecord.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def read_records(data_dir: Path) -> list[WorkerRecord]:
    directory = health_dir(data_dir)
    records = [read_record(path) for path in sorted(directory.glob("*.json"))] if directory.is_dir() else []
    return [record for record in records if record is not None]


# -- what veille status says ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    name: str
    health: str  # ok, failing, crash-looping, stuck, down, stopped, gone
    detail: str

    @property
    def failing(self) -> bool:
        return self.health not in ("ok", "stopped", "gone")


def _ago(seconds: float) -> str:
    from pipeline.sources.status import human_seconds

    return human_seconds(seconds)


def assess_worker(record: WorkerRecord, now: float, process_alive: bool | None = None) -> Verdict:
    """``process_alive``: whether the record's pid still runs (None when it is on another host)."""
    silent = now - record.updated_at
    exits = _recent(record.recent_exits, now)
    if record.state == "exited":
        health = "crash-looping" if len(exits) >= CRASH_LOOP_COUNT else "down"
        loop = f"{len(exits)} exits in {_ago(CRASH_LOOP_WINDOW_SECONDS)}, " if health == "crash-looping" else ""
        return Verdict(record.instance_id, health, f"{loop}exited {_ago(silent)} ago: {record.exit_reason}")
    if record.state == "stopped":
        return Verdict(record.instance_id, "stopped", f"stopped cleanly {_ago(silent)} ago")
    if silent > GONE_AFTER_SECONDS:
        return Verdict(record.instance_id, "gone", f"last heard of {_ago(silent)} ago")
    if process_alive is False:
        return Verdict(record.instance_id, "down",
                       f"process {record.pid} is gone (killed?), last heartbeat {_ago(silent)} ago; on the embedded "
                       "broker its partitions wait until a worker is started again")
    if silent > STALE_AFTER_SECONDS:
        return Verdict(record.instance_id, "down",
                       f"no heartbeat for {_ago(silent)} (process gone, or its event loop blocked)")
    if record.unassigned_since is not None and now - record.unassigned_since > STUCK_AFTER_SECONDS:
        what = "joining" if record.assigned_at is None else "rebalancing in"
        return Verdict(record.instance_id, "stuck",
                       f"{what} consumer group {record.group!r} for {_ago(now - record.unassigned_since)}, no "
                       "partitions: a member that died without leaving may hold the group (the embedded broker "
                       "never evicts one: start the worker it was, or restart the broker)")
    if len(exits) >= CRASH_LOOP_COUNT:
        return Verdict(record.instance_id, "crash-looping",
                       f"up {_ago(now - record.started_at)} after {len(exits)} exits in "
                       f"{_ago(CRASH_LOOP_WINDOW_SECONDS)}; last: {record.last_exit_reason}")
    if record.state == "starting":
        return Verdict(record.instance_id, "ok", f"starting, up {_ago(now - record.started_at)}")
    return Verdict(record.instance_id, "ok",
                   f"pid {record.pid}, up {_ago(now - record.started_at)}, {record.partitions} partition(s)")


def assess_agent(agent: AgentRecord, now: float) -> Verdict:
    failures = _recent(agent.recent_failures, now)
    failed_last = agent.last_error_at is not None and (agent.last_batch_at is None
                                                       or agent.last_error_at > agent.last_batch_at)
    batches = f"{agent.batches} batch(es)" + (f", last {_ago(now - agent.last_batch_at)} ago" if agent.last_batch_at
                                               else "")
    if failed_last:
        health = "crash-looping" if len(failures) >= CRASH_LOOP_COUNT else "failing"
        return Verdict(agent.name, health,
                       f"{batches}; {agent.failures} failure(s), {agent.restarts} restart(s); last error "
                       f"{_ago(now - agent.last_error_at)} ago: {agent.last_error}")
    recovered = f"; recovered from {agent.failures} failure(s)" if agent.failures else ""
    return Verdict(agent.name, "ok", batches + recovered)


def process_alive(record: WorkerRecord) -> bool | None:
    if record.host != socket.gethostname():
        return None
    from pipeline.stack import _pid_alive

    return _pid_alive(record.pid)


def status_lines(records: list[WorkerRecord], lags: dict[str, int] | str, now: float | None = None,
                 alive=process_alive) -> tuple[list[str], bool]:
    """``veille status``'s lines for the workers and their agents, and whether anything is failing.
    ``lags``: messages behind per topic for the agents' consumer group (or why it is unknown)."""
    now = time.time() if now is None else now
    lines, failing = [], False
    for record in records:
        worker = assess_worker(record, now, alive(record))
        failing |= worker.failing
        lines.append(f"worker {worker.name:<28} {worker.health:<13} {worker.detail}")
        if worker.health in ("stopped", "gone"):
            continue
        for agent in sorted(record.agents.values(), key=lambda a: a.name):
            verdict = assess_agent(agent, now)
            failing |= verdict.failing and worker.health == "ok"
            if isinstance(lags, dict) and agent.topics:
                lag = ", ".join(f"{lags[t]} behind on {t}" for t in agent.topics if t in lags) or "lag unknown"
            else:
                lag = "lag unknown"
            lines.append(f"  agent {verdict.name:<26} {verdict.health:<13} {lag}; {verdict.detail}")
    return lines, failing
