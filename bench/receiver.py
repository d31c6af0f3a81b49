"""A local webhook receiver that records the alerts it got (for the tests and the latency benchmark).

It plays the part of the customer's endpoint: checks Veille's ``X-Veille-Signature`` (HMAC-SHA256 of the
raw body) and records each alert with the monotonic and wall-clock time it arrived.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class WebhookReceiver:
    def __init__(self, secret: str, port: int = 0):
        self.secret = secret.encode()
        self.received: list[dict] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = "sha256=" + hmac.new(receiver.secret, raw, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get("X-Veille-Signature", "")):
                    with receiver._lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append({"body": json.loads(raw), "monotonic": time.monotonic(), "time": time.time()})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def alerts(self, watch: str | None = None) -> list[dict]:
        with self._lock:
            bodies = [item for item in self.received]
        return [item for item in bodies if watch is None or _alert_of(item["body"]).get("watch") == watch]

    def wait_for(self, watch: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.alerts(watch)
            if found:
                return found[0]
            time.sleep(0.05)
        return None

    def routing_file(self, path: Path, url_env: str, secret_env: str) -> Path:
        """An alerting.yaml sending every severity to this receiver."""
        path.write_text(
            "channels:\n"
            f"  hook:\n    type: webhook\n    url_env: {url_env}\n    secret_env: {secret_env}\n    timeout: 5\n"
            "routes:\n  default:\n    critical: [hook]\n    warning: [hook]\n    info: [hook]\n"
            "retry:\n  attempts: 3\n  initial_backoff: 0.2\n  max_backoff: 1\n"
        )
        return path


def _alert_of(body: dict) -> dict:
    return body.get("alert", body) if isinstance(body, dict) else {}
