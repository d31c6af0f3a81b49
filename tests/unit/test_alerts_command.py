"""``veille alerts check`` and ``veille alerts outbox``: offline, on a temporary config and outbox."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from typer.testing import CliRunner

import pipeline.commands.alerts  # noqa: F401  (registers the command)
from pipeline.alerts.model import Detection, apply_detection
from pipeline.alerts.outbox import OutboxEntry, OutboxQueue, OutboxStore
from pipeline.cli import app
from pipeline.settings import Settings
from pipeline.stack import free_port
from silent_server import silent_server

CONFIG = {
    "channels": {"slack": {"type": "slack", "url_env": "T_CMD_SLACK_URL"},
                 "hook": {"type": "webhook", "url_env": "T_CMD_HOOK_URL", "secret_env": "T_CMD_HOOK_SECRET"}},
    "routes": {"default": {"critical": ["slack", "hook"], "warning": ["slack"]},
               "watches": {"globex": {"critical": ["hook"]}}},
}


def write_config(tmp_path):
    path = tmp_path / "alerting.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


def test_alerts_command_check_shows_routes_and_passes_with_secrets(tmp_path):
    env = {"T_CMD_SLACK_URL": "https://hooks.example/x", "T_CMD_HOOK_URL": "https://h.example", "T_CMD_HOOK_SECRET": "zz-secret"}
    result = CliRunner().invoke(app, ["alerts", "check", "-c", str(write_config(tmp_path)), "-w", "globex"], env=env)
    assert result.exit_code == 0, result.output
    assert "critical → slack, hook" in result.output and "info     → (nobody)" in result.output
    assert "watch globex:" in result.output and "critical → hook" in result.output
    assert "zz-secret" not in result.output


def test_alerts_command_check_fails_naming_missing_variables(tmp_path):
    env = {"T_CMD_SLACK_URL": "https://hooks.example/x", "T_CMD_HOOK_URL": None, "T_CMD_HOOK_SECRET": None}
    result = CliRunner().invoke(app, ["alerts", "check", "-c", str(write_config(tmp_path))], env=env)
    assert result.exit_code == 1
    assert "channel hook: missing environment variable(s) T_CMD_HOOK_URL, T_CMD_HOOK_SECRET" in result.output


def test_alerts_command_check_reports_invalid_file(tmp_path):
    path = tmp_path / "alerting.yaml"
    path.write_text(yaml.safe_dump({"routes": {"default": {"critical": ["nowhere"]}}}))
    result = CliRunner().invoke(app, ["alerts", "check", "-c", str(path)])
    assert result.exit_code == 1 and "unknown channel(s): nowhere" in result.output


def test_alerts_command_outbox_lists_waiting_deliveries(tmp_path):
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    alert = apply_detection(None, Detection(watch="acme", kind="trend", severity="warning", title="t"), now,
                            timedelta(hours=1))[0]
    OutboxStore(tmp_path).save(OutboxQueue((OutboxEntry(id="d1", channel="slack", alert=alert, attempts=5,
                                                        first_failed_at=now, last_failed_at=now,
                                                        last_error="HTTP 503 Service Unavailable"),)))
    result = CliRunner().invoke(app, ["alerts", "outbox", "--outbox", str(tmp_path)])
    assert result.exit_code == 0
    assert f"slack\t{alert.id}\twarning\tattempts=5" in result.output and "HTTP 503" in result.output


PASSWORD = "s3cr3t-Pa55"


@contextmanager
def hanging_server():
    """An Elasticsearch that times out, its URL with credentials (which must never be printed)."""
    with silent_server() as address:
        yield f"http://elastic:{PASSWORD}@{address}"


def _use_settings(monkeypatch, settings: Settings) -> None:
    import pipeline.settings

    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    monkeypatch.setattr("pipeline.commands.alerts.get_settings", lambda: settings)


def _assert_one_line_error(result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and PASSWORD not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert all(text in lines[0] for text in expected), lines[0]


@pytest.mark.parametrize("action", ["ack", "resolve"])
def test_alerts_command_ack_and_resolve_say_one_line_when_elasticsearch_is_unreachable(monkeypatch, action):
    _use_settings(monkeypatch, Settings(elasticsearch_url=f"http://elastic:{PASSWORD}@127.0.0.1:{free_port()}"))
    result = CliRunner().invoke(app, ["alerts", action, "crisis:acme:1"])
    _assert_one_line_error(result, "crisis:acme:1 not changed", "cannot reach Elasticsearch", "ConnectionError")


@pytest.mark.parametrize("action", ["ack", "resolve"])
def test_alerts_command_ack_and_resolve_say_one_line_on_an_elasticsearch_timeout(monkeypatch, action):
    from pipeline.sinks.elasticsearch import make_client

    with hanging_server() as url:
        _use_settings(monkeypatch, Settings(elasticsearch_url=url))
        # the real client and its real timeout, only shorter than the 30 s the command waits
        monkeypatch.setattr("pipeline.alerts.actions.make_client",
                            lambda settings: make_client(settings, request_timeout=0.5, max_retries=0))
        result = CliRunner().invoke(app, ["alerts", action, "crisis:acme:1"])
    _assert_one_line_error(result, "crisis:acme:1 not changed", "cannot reach Elasticsearch", "ConnectionTimeout")


def test_alerts_command_list_says_one_line_when_elasticsearch_is_unreachable(monkeypatch):
    _use_settings(monkeypatch, Settings(elasticsearch_url=f"http://elastic:{PASSWORD}@127.0.0.1:{free_port()}"))
    result = CliRunner().invoke(app, ["alerts", "list"])
    _assert_one_line_error(result, "cannot reach Elasticsearch")
