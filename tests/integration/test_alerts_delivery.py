"""Alert delivery end to end against local receivers (no Kafka, no Elasticsearch):

an aiohttp server on 127.0.0.1 plays Slack and the signed webhook (and checks the signature on the raw
body it received), aiosmtpd plays the SMTP server (plain, and STARTTLS with login). The receivers
record what arrived; the tests make them throttle (429 + Retry-After) and go down (connection refused).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import ssl
import subprocess
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import httpx
import orjson
import pytest
from aiohttp import web

from pipeline.alerts.channels import build_channels
from pipeline.alerts.delivery import AlertDelivery
from pipeline.alerts.model import Detection, apply_detection
from pipeline.alerts.outbox import OutboxStore
from pipeline.alerts.routing import parse_alerting_config, resolve_channels
from pipeline.stack import free_port

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is needed for the SMTP receiver")
from aiosmtpd.smtp import AuthResult, LoginPassword

SECRET = "integration-hmac-secret"


class HttpReceiver:
    """Slack at /slack, the webhook at /hook. ``script`` holds the (status, headers) to answer before 200s."""

    def __init__(self, port: int):
        self.port = port
        self.received: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if request.path == "/hook":
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, request.headers.get("X-Veille-Signature", "")):
                self.bad_signatures += 1
                return web.Response(status=401, text="bad signature")
        self.received.append({"path": request.path, "body": orjson.loads(raw), "headers": dict(request.headers),
                              "at": time.monotonic()})
        if self.script:
            status, headers = self.script.pop(0)
            return web.Response(status=status, headers=headers, text="slow down")
        return web.Response(text="ok")

    def on(self, path: str) -> list[dict]:
        return [item for item in self.received if item["path"] == path]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/slack", self._handle)
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class MailRecorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@asynccontextmanager
async def http_receiver(port: int | None = None):
    receiver = HttpReceiver(port or free_port())
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def config_for(http_port: int, smtp_port: int, email_extra: dict | None = None, routes: dict | None = None):
    return parse_alerting_config({
        "channels": {
            "slack": {"type": "slack", "url_env": "IT_SLACK_URL", "timeout": 5},
            "hook": {"type": "webhook", "url_env": "IT_HOOK_URL", "secret_env": "IT_HOOK_SECRET", "timeout": 5},
            "mail": {"type": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
                     "sender": "veille@example.org", "to": ["cm@example.org"], "timeout": 5, **(email_extra or {})},
        },
        "routes": routes or {"default": {"critical": ["slack", "mail", "hook"], "warning": ["slack"]}},
        "retry": {"attempts": 3, "initial_backoff": 0.1, "max_backoff": 0.5, "max_retry_after": 10},
    })


def environ(http_port: int) -> dict[str, str]:
    return {"IT_SLACK_URL": f"http://127.0.0.1:{http_port}/slack", "IT_HOOK_URL": f"http://127.0.0.1:{http_port}/hook",
            "IT_HOOK_SECRET": SECRET, "IT_SMTP_PASSWORD": "mail-pass"}


def crisis(severity: str = "critical"):
    detection = Detection(watch="acme", kind="negative_spike", severity=severity,
                          title="Negative mentions of acme surge", explanation="310 negative mentions in an hour (usually 20).",
                          top_terms=["recall", "fire"], sample_ids=["twitter:1", "reddit:t3_x"],
                          baseline=20, observed=310, score=9.4, verdict="organic")
    return apply_detection(None, detection, datetime.now(UTC), timedelta(hours=1))[0]


def delivery_service(config, client, tmp_path, http_port):
    return AlertDelivery(config, build_channels(resolve_channels(config, environ(http_port)), client),
                         OutboxStore(tmp_path / "outbox"))


@pytest.fixture
def smtp_server():
    recorder = MailRecorder()
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, recorder
    controller.stop()


async def test_alerts_delivery_reaches_slack_webhook_and_email(tmp_path, smtp_server):
    controller, mail = smtp_server
    async with http_receiver() as receiver, httpx.AsyncClient() as client:
        config = config_for(receiver.port, controller.port)
        alert = crisis()
        results = await delivery_service(config, client, tmp_path, receiver.port).deliver(alert)

    assert all(result.delivered for result in results), results
    assert receiver.bad_signatures == 0
    [slack] = receiver.on("/slack")
    assert "Negative mentions of acme surge" in slack["body"]["text"] and slack["body"]["blocks"]
    [hook] = receiver.on("/hook")
    assert hook["body"]["alert"]["id"] == alert.id
    assert hook["headers"]["X-Veille-Timestamp"] == str(hook["body"]["sent_at"])
    [(sender, recipients, message)] = mail.messages
    assert (sender, recipients) == ("veille@example.org", ["cm@example.org"])
    assert message["Subject"].startswith("[CRITICAL] New: Negative mentions") and message["X-Veille-Alert"] == alert.id
    assert len(OutboxStore(tmp_path / "outbox").load()) == 0


async def test_alerts_delivery_waits_for_retry_after_then_succeeds(tmp_path, smtp_server):
    controller, _ = smtp_server
    async with http_receiver() as receiver, httpx.AsyncClient() as client:
        receiver.script = [(429, {"Retry-After": "1"}), (429, {"Retry-After": "1"})]
        config = config_for(receiver.port, controller.port)
        started = time.monotonic()
        results = await delivery_service(config, client, tmp_path, receiver.port).deliver(crisis("warning"))
        elapsed = time.monotonic() - started

    [result] = results
    assert result.delivered and result.attempts == 3
    arrivals = [item["at"] for item in receiver.on("/slack")]
    assert len(arrivals) == 3
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(arrivals))
    assert elapsed >= 1.95


async def test_alerts_delivery_down_receiver_goes_to_outbox_then_flush_delivers_once(tmp_path, smtp_server):
    controller, mail = smtp_server
    port = free_port()
    async with httpx.AsyncClient() as client:
        config = config_for(port, controller.port)
        service = delivery_service(config, client, tmp_path, port)
        alert = crisis()
        results = await service.deliver(alert)
        by_channel = {result.channel: result for result in results}
        assert by_channel["mail"].delivered
        assert not by_channel["slack"].delivered and by_channel["slack"].queued and by_channel["slack"].attempts == 3
        assert "cannot connect" in by_channel["hook"].error
        queued = OutboxStore(tmp_path / "outbox").load()
        assert sorted(entry.channel for entry in queued.entries) == ["hook", "slack"]
        assert all(entry.alert.id == alert.id for entry in queued.entries)

        async with http_receiver(port) as receiver:
            flushed = await service.flush_outbox()
            again = await service.flush_outbox()

    assert sorted((r.channel, r.delivered) for r in flushed) == [("hook", True), ("slack", True)]
    assert again == []
    assert len(receiver.on("/slack")) == 1 and len(receiver.on("/hook")) == 1 and len(mail.messages) == 1
    assert receiver.on("/hook")[0]["body"]["alert"]["id"] == alert.id and receiver.bad_signatures == 0
    assert len(OutboxStore(tmp_path / "outbox").load()) == 0


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot make a test certificate with openssl: {exc}")
    return cert, key


async def test_alerts_delivery_email_with_starttls_and_login(tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"veille", b"mail-pass")
        logins.append(ok)
        return AuthResult(success=ok)

    recorder = MailRecorder()
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=free_port(), tls_context=server_context,
                                                require_starttls=True, authenticator=authenticator, auth_required=True)
    controller.start()
    try:
        async with httpx.AsyncClient() as client:
            config = config_for(free_port(), controller.port,
                                {"security": "starttls", "username": "veille", "password_env": "IT_SMTP_PASSWORD",
                                 "ca_file": str(cert)},
                                routes={"default": {"critical": ["mail"]}})
            service = delivery_service(config, client, tmp_path, 1)
            [result] = await asyncio.wait_for(service.deliver(crisis()), timeout=30)
    finally:
        controller.stop()
    assert result.delivered and result.attempts == 1
    assert logins == [True]
    assert len(recorder.messages) == 1
