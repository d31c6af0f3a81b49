"""``veille normalize``: mentions on stdout, rejects on stderr, exit status only for unreadable files."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
from typer.testing import CliRunner

from pipeline.cli import app, load_commands
from pipeline.mention import Mention

FIXTURES = Path(__file__).parent / "fixtures" / "payloads"

load_commands()


def _invoke(*args: str):
    return CliRunner().invoke(app, ["normalize", *args])


def _lines(text: str) -> list[dict]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def test_command_normalize_prints_mentions_and_rejects():
    result = _invoke("--source", "hackernews", str(FIXTURES / "hackernews" / "items.jsonl"))
    assert result.exit_code == 0
    mentions = [Mention.model_validate(line) for line in _lines(result.stdout)]
    assert [m.id for m in mentions] == ["hackernews:46000001", "hackernews:46000002"]
    rejects = _lines(result.stderr)
    assert [r["item_ref"] for r in rejects] == ["hackernews:46000003", "hackernews:46000004", "hackernews:46000005"]
    assert all(r["source"] == "hackernews" and r["reason"] and r["raw"] for r in rejects)
    assert [r["deleted"] for r in rejects] == [True, True, False]


def test_command_normalize_origin_sets_source_and_undated_items_take_file_time(tmp_path):
    path = tmp_path / "feed.json"
    path.write_bytes((FIXTURES / "rss" / "json_feed.json").read_bytes())
    recorded = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    os.utime(path, (recorded.timestamp(), recorded.timestamp()))
    result = _invoke("-s", "rss", "--origin", "https://watch.example.org/", str(path))
    assert result.exit_code == 0
    by_id = {m["id"]: m for m in _lines(result.stdout)}
    assert {m["source"] for m in by_id.values()} == {"https://watch.example.org/"}
    undated = Mention.model_validate(by_id["rss:jf-2"])
    assert undated.created_at == undated.fetched_at == recorded


def test_command_normalize_garbage_content_still_exits_zero():
    result = _invoke("-s", "youtube", str(FIXTURES / "rss" / "brand_news.xml"))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert _lines(result.stderr)[0]["reason"].startswith("not valid JSON")


def test_command_normalize_unreadable_file_fails_clearly(tmp_path):
    result = _invoke("-s", "reddit", str(tmp_path / "missing.json"))
    assert result.exit_code != 0
    assert "cannot read" in result.stderr and "missing.json" in result.stderr


def test_command_normalize_rejects_unknown_source():
    result = _invoke("-s", "myspace", str(FIXTURES / "hackernews" / "items.jsonl"))
    assert result.exit_code != 0
