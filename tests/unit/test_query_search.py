"""``veille search`` without a server: time bounds, the request it sends, the lines it prints, its exit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from typer.testing import CliRunner

import pipeline.commands.search  # noqa: F401  (registers the command)
from pipeline.cli import app
from pipeline.query import compile_query
from pipeline.query.search import TEXT_PREVIEW_CHARS, build_search_request, format_mention_line, parse_time_bound

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("15m", timedelta(minutes=15)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(days=14)),
        ("30s", timedelta(seconds=30)),
        ("now", timedelta(0)),
    ],
)
def test_query_search_durations_are_counted_back_from_now(text, ago):
    assert parse_time_bound(text, NOW) == NOW - ago


def test_query_search_dates_are_utc_and_zones_are_converted():
    assert parse_time_bound("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_time_bound("2026-11-01T10:00:00+02:00", NOW) == datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_query_search_all_means_no_bound():
    assert parse_time_bound("all", NOW) is None


@pytest.mark.parametrize("text", ["yesterday", "24", "h", "-3d", "2026-13-01"])
def test_query_search_bad_time_names_the_accepted_forms(text):
    with pytest.raises(ValueError, match="24h"):
        parse_time_bound(text, NOW)


def test_query_search_request_is_newest_first_within_the_window():
    compiled = compile_query("livraison")
    since = NOW - timedelta(hours=24)
    request = build_search_request(compiled, since, NOW, 20)
    assert request["size"] == 20
    assert request["sort"][0] == {"created_at": {"order": "desc"}}
    assert request["query"]["bool"]["must"] == [compiled]
    assert request["query"]["bool"]["filter"] == [
        {"range": {"created_at": {"gte": since.isoformat(), "lte": NOW.isoformat()}}}
    ]


def test_query_search_request_without_window_is_the_query_itself():
    compiled = compile_query("lang:fr")
    assert build_search_request(compiled, None, None, 5)["query"] == compiled


MENTION = {
    "created_at": "2026-11-20T10:05:00+01:00",
    "platform": "mastodon",
    "author": {"id": "109", "handle": "@alice"},
    "sentiment": "negative",
    "categories": ["complaint", "troll"],
    "text": "Encore un retard\nde livraison " + "x" * 300,
}


def test_query_search_line_shows_time_platform_author_sentiment_categories_and_text_start():
    line = format_mention_line(MENTION)
    assert line.startswith("2026-11-20 09:05")
    for part in ("mastodon", "@alice", "negative", "complaint,troll", "Encore un retard de livraison"):
        assert part in line
    text_part = line[line.index("Encore") :]
    assert len(text_part) == TEXT_PREVIEW_CHARS
    assert text_part.endswith("…")


def test_query_search_line_falls_back_to_author_id_and_tolerates_missing_fields():
    line = format_mention_line({"author": {"id": "u42"}, "text": "ok"})
    assert "u42" in line
    assert line.endswith("ok")


runner = CliRunner()


def test_query_search_command_syntax_error_exits_2_with_caret():
    result = runner.invoke(app, ["search", "livraison OR (retard"])
    assert result.exit_code == 2
    assert "never closed" in result.output
    lines = result.output.splitlines()
    caret_line = next(line for line in lines if line.strip() == "^")
    query_line = lines[lines.index(caret_line) - 1]
    assert query_line[caret_line.index("^")] == "("


def test_query_search_command_bad_since_exits_2():
    result = runner.invoke(app, ["search", "livraison", "--since", "yesterday"])
    assert result.exit_code == 2


def test_query_search_command_dsl_prints_the_request_without_a_server():
    result = runner.invoke(app, ["search", "lang:fr livraison", "--since", "all", "--limit", "7", "--dsl"])
    assert result.exit_code == 0
    request = orjson.loads(result.output)
    assert request["size"] == 7
    assert request["query"] == compile_query("lang:fr livraison")


def test_query_search_command_oversized_query_is_one_line_naming_the_limit_exit_2():
    from pipeline.query.parser import MAX_QUERY_CHARS

    result = runner.invoke(app, ["search", " ".join(["retard"] * 20_000)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert f"at most {MAX_QUERY_CHARS} characters" in result.output
