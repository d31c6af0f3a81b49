"""``veille web`` as a real subprocess for the integration tests that drive the web app."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from pipeline.settings import Settings
from pipeline.stack import ManagedProcess, tail


@contextmanager
def running_web(settings: Settings, env: dict[str, str]) -> Iterator[str]:
    """Start ``veille web``, wait for ``/healthz`` (60 s at most), yield its base URL; on the way out stop it and
    check that its log holds no traceback."""
    process = ManagedProcess(settings.data_dir, f"web-{settings.index_prefix}")
    process.start([sys.executable, "-m", "pipeline", "web"], env=env)
    base = f"http://127.0.0.1:{settings.web.port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.pid() is None:
            pytest.fail(f"veille web exited:\n{tail(process.log_file, 40)}")
        time.sleep(0.3)
    else:
        pytest.fail(f"veille web did not answer in 60s:\n{tail(process.log_file, 40)}")
    yield base
    process.stop()
    assert "Traceback" not in process.log_file.read_text(), tail(process.log_file, 60)
