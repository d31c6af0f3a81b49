import socket

import pytest

from pipeline.settings import Settings
from pipeline.stack import EmbeddedStack, ManagedProcess, StackError


def test_stack_refuses_a_port_taken_by_another_program(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        settings = Settings(data_dir=tmp_path, stack_kafka_port=port, stack_elasticsearch_port=port + 1)
        with pytest.raises(StackError) as error:
            EmbeddedStack(settings).up(timeout=5)
    assert f"port {port} is already taken" in str(error.value)
    assert "VEILLE_STACK_KAFKA_PORT" in str(error.value)


def test_stack_managed_process_starts_and_stops(tmp_path):
    process = ManagedProcess(tmp_path, "sleeper")
    pid = process.start(["sleep", "30"])
    assert process.pid() == pid
    assert process.start(["sleep", "30"]) == pid  # already running: not started twice
    assert process.stop() is True
    assert process.pid() is None
    assert process.stop() is False


class _SlowNoida:
    """``noida-db`` whose ``down`` returns at once while the server (here a ``sleep``) lives on for
    ``exits_after`` seconds, or forever (None): what a server frozen by a huge query did."""

    def __init__(self, exits_after):
        import subprocess
        import threading

        self.server = subprocess.Popen(["sleep", "120"])
        self.exits_after = exits_after
        self.threading = threading

    def __call__(self, *args, check=True):
        import subprocess

        if args[0] == "status":
            alive = self.server.poll() is None
            out = f"● noida-db is running (pid {self.server.pid})" if alive else "○ noida-db isn't running"
            return subprocess.CompletedProcess(args, 0, out, "")
        if args[0] == "down" and self.exits_after is not None:
            self.threading.Timer(self.exits_after, self.server.terminate).start()
        return subprocess.CompletedProcess(args, 0, "stopping", "")


@pytest.mark.parametrize("exits_after", [1.0, None])
def test_stack_down_waits_until_the_server_is_gone(tmp_path, monkeypatch, exits_after):
    import time

    (tmp_path / "noida").mkdir()
    stack = EmbeddedStack(Settings(data_dir=tmp_path))
    noida = _SlowNoida(exits_after)
    monkeypatch.setattr(stack, "_noida", noida)
    started = time.monotonic()
    try:
        stopped = stack.down([], timeout=3)
        assert noida.server.poll() is not None or noida.server.wait(timeout=1) is not None  # really gone
        assert time.monotonic() - started >= (exits_after or 3) - 0.2
        assert stopped == ["noida-db (kafka, elasticsearch)"]
        assert not stack.noida_running()
    finally:
        if noida.server.poll() is None:
            noida.server.kill()
