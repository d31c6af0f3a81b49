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
