"""alerting.yaml: per-severity routes, per-watch overrides, secrets from the environment only."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.alerts.model import Severity
from pipeline.alerts.routing import (
    AlertingConfigError,
    channels_for,
    load_alerting_config,
    missing_secrets,
    parse_alerting_config,
    resolve_channels,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "alerting.example.yaml"

CONFIG = {
    "channels": {
        "slack": {"type": "slack", "url_env": "T_SLACK_URL"},
        "hook": {"type": "webhook", "url_env": "T_HOOK_URL", "secret_env": "T_HOOK_SECRET"},
        "mail": {"type": "email", "host": "localhost", "sender": "veille@example.org", "to": ["cm@example.org"],
                 "username": "veille", "password_env": "T_SMTP_PASSWORD"},
        "topic": {"type": "kafka"},
    },
    "routes": {
        "default": {"critical": ["slack", "mail", "hook"], "warning": ["slack"]},
        "watches": {"globex": {"critical": ["topic"]}},
    },
}
ENV = {"T_SLACK_URL": "https://hooks.example/T000/B000/XXXX", "T_HOOK_URL": "http://127.0.0.1:9/hook",
       "T_HOOK_SECRET": "s3cret-value", "T_SMTP_PASSWORD": "smtp-pass-value"}


@pytest.mark.parametrize("watch, severity, expected", [
    ("acme", Severity.critical, ["slack", "mail", "hook"]),
    ("acme", Severity.warning, ["slack"]),
    ("acme", Severity.info, []),
    ("globex", Severity.critical, ["topic"]),
    ("globex", Severity.warning, ["slack"]),
])
def test_alerts_routing_by_severity_with_watch_overrides(watch, severity, expected):
    assert channels_for(parse_alerting_config(CONFIG), watch, severity) == expected


def test_alerts_routing_rejects_route_to_unknown_channel():
    broken = {**CONFIG, "routes": {"default": {"critical": ["slack", "pager"]}}}
    with pytest.raises(AlertingConfigError, match="unknown channel.*pager"):
        parse_alerting_config(broken)


def test_alerts_routing_rejects_unknown_severity_and_channel_type():
    with pytest.raises(AlertingConfigError, match="urgent"):
        parse_alerting_config({**CONFIG, "routes": {"default": {"urgent": ["slack"]}}})
    with pytest.raises(AlertingConfigError):
        parse_alerting_config({"channels": {"x": {"type": "pager", "url_env": "X"}}})


def test_alerts_routing_secrets_come_from_environment_and_stay_hidden():
    resolved = resolve_channels(parse_alerting_config(CONFIG), ENV)
    assert resolved["hook"].secret.get_secret_value() == "s3cret-value"
    assert resolved["slack"].url.get_secret_value() == ENV["T_SLACK_URL"]
    shown = repr(resolved) + str(resolved)
    for value in ENV.values():
        assert value not in shown


def test_alerts_routing_missing_secret_names_the_variable_not_a_value():
    environ = {k: v for k, v in ENV.items() if k != "T_HOOK_SECRET"}
    config = parse_alerting_config(CONFIG)
    assert missing_secrets(config, environ) == {"hook": ["T_HOOK_SECRET"]}
    with pytest.raises(AlertingConfigError, match="channel hook needs T_HOOK_SECRET") as caught:
        resolve_channels(config, environ)
    assert ENV["T_HOOK_URL"] not in str(caught.value)


def test_alerts_routing_example_file_is_valid():
    config = load_alerting_config(EXAMPLE)
    assert set(channels_for(config, "acme", Severity.critical)) == {"cm-slack", "oncall-email", "ops-webhook", "alerts-topic"}
    assert "oncall-email" not in channels_for(config, "acme-competitor", Severity.critical)
    assert config.retry.attempts >= 1


def test_alerts_routing_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "alerting.yaml"
    path.write_text("channels: [unclosed\n")
    with pytest.raises(AlertingConfigError, match="alerting.yaml: not valid YAML: line 2, column 1"):
        load_alerting_config(path)
