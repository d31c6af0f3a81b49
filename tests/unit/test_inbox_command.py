"""``veille inbox``: refuses bad input before any request, says one line when Elasticsearch is unreachable,
and prints the figures as a table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

import pipeline.commands.inbox  # noqa: F401  (registers the command)
from pipeline.cli import app
from pipeline.commands.inbox import format_times
from pipeline.inbox.kpis import response_times
from pipeline.settings import Settings
from pipeline.stack import free_port

PASSWORD = "s3cret-inbox"


@pytest.fixture
def unreachable(monkeypatch):
    import pipeline.settings

    settings = Settings(elasticsearch_url=f"http://elastic:{PASSWORD}@127.0.0.1:{free_port()}")
    monkeypatch.setattr(pipeline.settings, "get_settings", lambda: settings)
    return settings


@pytest.mark.parametrize("args", [
    ["list", "--since", "yesterday"],
    ["times", "--since", "1d", "--until", "2d"],
    ["answer", "twitter:1", "--who", "Ana", "--at", "after lunch"],
    ["assign", "twitter:1", "--to", " ", "--who", "Ana"],
    ["note", "twitter:1", "--text", "", "--who", "Ana"],
])
def test_inbox_command_refuses_bad_input_with_exit_2(unreachable, args):
    result = CliRunner().invoke(app, ["inbox", *args])
    assert result.exit_code == 2, result.output
    assert "cannot reach" not in result.output  # refused before any request


@pytest.mark.parametrize("args", [["list"], ["times"], ["answer", "twitter:1", "--who", "Ana"]])
def test_inbox_command_says_one_line_when_elasticsearch_is_unreachable(unreachable, args):
    result = CliRunner().invoke(app, ["inbox", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Elasticsearch" in lines[0]
    assert PASSWORD not in result.output and "Traceback" not in result.output


def test_inbox_command_times_table_has_every_group_and_the_published_figures():
    answered = [{"created_at": "2026-12-01T09:00:00Z", "answered_at": "2026-12-01T09:30:00Z",
                 "reply_by": "2026-12-01T09:40:00Z", "network": "microblog", "categories": ["complaint"],
                 "answered_by": "Ana"}]
    text = format_times(response_times(answered, [], datetime.now(UTC)).to_json())
    lines = text.splitlines()
    assert any(line.startswith("all") and "100%" in line and "30" in line for line in lines)
    assert any(line.strip().startswith("microblog") for line in lines)
    assert any(line.strip().startswith("Ana") for line in lines)
    assert "22 minutes" in text
