"""One period parser for veille search, veille compare, veille inbox and the API; compare says what it counts."""

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from pipeline.cli import app, load_commands
from pipeline.compare import COUNTS, format_comparison, shape_comparison
from pipeline.periods import PeriodError, parse_period

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
runner = CliRunner()
load_commands()


@pytest.mark.parametrize(("since", "expected"), [
    ("8d", NOW - timedelta(days=8)), ("2w", NOW - timedelta(days=14)), ("90m", NOW - timedelta(minutes=90)),
    ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)), ("all", None), (None, NOW - timedelta(days=7)),
])
def test_inbox_periods_accepts_every_form_as_given(since, expected):
    period = parse_period(since, None, NOW)
    assert period.since == expected and period.until == NOW


@pytest.mark.parametrize(("since", "until", "message"), [
    ("yesterday", None, "not a time"), ("1d", "2d", "before"), ("7d", "all", "until"),
    ("99999999999d", None, "calendar"),
])
def test_inbox_periods_refuses_instead_of_replacing(since, until, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(since, until, NOW)


def test_inbox_periods_compare_accepts_all_like_search(monkeypatch):
    """``--since all`` used to be refused by compare and accepted by search; both read it the same now."""
    import pipeline.compare

    seen = {}

    async def fake_fetch(client, index, brand, competitors, since, until, query=None, period=""):
        seen.update(since=since, period=period)
        raise pipeline.compare.UnknownWatch("stop here")

    monkeypatch.setattr(pipeline.compare, "fetch_comparison", fake_fetch)
    result = runner.invoke(app, ["compare", "Acme", "--against", "Other", "--since", "all"])
    assert result.exit_code == 2 and "stop here" in result.output
    assert seen == {"since": None, "period": "all"}
    refused = runner.invoke(app, ["compare", "Acme", "--against", "Other", "--since", "yesterday"])
    assert refused.exit_code == 2
    searched = runner.invoke(app, ["search", "livraison", "--since", "8d", "--dsl"])
    assert searched.exit_code == 0 and "range" in searched.output


def test_inbox_periods_compare_says_it_counts_mention_watch_pairs():
    response = {"hits": {"total": {"value": 90}}, "aggregations": {"by_watch": {"buckets": [
        {"key": "Acme", "doc_count": 60}, {"key": "Other", "doc_count": 40}]}}}
    comparison = shape_comparison(response, "Acme", ["Other"], NOW - timedelta(days=1), NOW, "1h")
    data = comparison.to_json()
    assert data["counts"] == COUNTS == "mention_watch_pairs"
    assert data["total_mentions"] == 100 and data["distinct_mentions"] == 90
    text = format_comparison(comparison)
    assert "100 mention-watch pairs (90 distinct mentions)" in text
