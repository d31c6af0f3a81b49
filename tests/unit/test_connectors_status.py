"""`veille status` lines from checkpoints."""

from datetime import UTC, datetime, timedelta

from pipeline.sources.status import connector_health, format_health, human_seconds

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def state(updated_ago, *, success_ago=None, error_ago=None, cursor_ago=None, poll=60, source="reddit"):
    def at(seconds):
        return (NOW - timedelta(seconds=seconds)).isoformat() if seconds is not None else None

    return {"updated_at": at(updated_ago), "source": source, "poll_seconds": poll,
            "stats": {"sent": 12, "dead_letters": 1, "errors": 2, "last_success_at": at(success_ago),
                      "last_error_at": at(error_ago), "last_error": "r/x/new: HTTP 503 (gave up after 7 attempts)",
                      "cursor_at": at(cursor_ago)}}


def test_connectors_status_ok_failing_stale_never():
    assert connector_health("r", "reddit", state(30, success_ago=30, cursor_ago=30), NOW).health == "ok"
    assert connector_health("r", "reddit", state(30, success_ago=300, error_ago=30), NOW).health == "failing"
    assert connector_health("r", "reddit", state(600, success_ago=600), NOW).health == "stale"  # > 3 polls
    assert connector_health("r", "reddit", None, NOW).health == "never run"
    stream = state(100, success_ago=100, cursor_ago=4, poll=None, source="bluesky")
    assert connector_health("b", "bluesky", stream, NOW).health == "ok"


def test_connectors_status_line_shows_lag_and_the_failure():
    failing = connector_health("reddit", "reddit", state(30, success_ago=300, error_ago=30, cursor_ago=300), NOW)
    line = format_health(failing)
    assert line.startswith("reddit") and "failing" in line and "lag    5m" in line
    assert "last error: r/x/new: HTTP 503" in line
    assert connector_health("w", "webhook", state(5, source="webhook"), NOW).lag is None


def test_connectors_status_human_seconds():
    assert [human_seconds(s) for s in (None, 5, 600, 7200, 3 * 86400)] == ["-", "5s", "10m", "2.0h", "3.0d"]
