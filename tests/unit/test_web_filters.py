"""What a request asks for: the filter bar and the API's parameters, checked (no services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.periods import PeriodError
from pipeline.query import QuerySyntaxError, compile_query
from pipeline.web.filters import (DEFAULT_PERIOD, MAX_WATCH_NAME_CHARS, BadParameter, parse_filters, parse_scope,
                                  scope_of_filters)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_web_filters_filters_compile_the_query_box():
    filters = parse_filters({"q": "lang:fr category:complaint", "since": "24h", "watch": "Lumio"}, NOW)
    assert filters.error is None
    assert filters.compiled == compile_query("lang:fr category:complaint")
    assert filters.since == NOW - timedelta(hours=24) and filters.until == NOW
    clauses = filters.clauses()
    assert filters.compiled in clauses
    assert {"term": {"watch": "Lumio"}} in clauses
    assert {"range": {"created_at": {"gte": (NOW - timedelta(hours=24)).isoformat(), "lte": NOW.isoformat()}}} in clauses
    assert filters.as_params() == {"q": "lang:fr category:complaint", "since": "24h", "watch": "Lumio"}


def test_web_filters_bad_query_keeps_its_error_and_unknown_period_falls_back():
    filters = parse_filters({"q": "(livraison OR retard", "since": "1y"}, NOW)
    assert filters.compiled is None
    assert "never closed" in filters.error and "^" in filters.error
    assert filters.period == DEFAULT_PERIOD


def test_web_filters_all_time_has_no_range():
    filters = parse_filters({"since": "all"}, NOW)
    assert filters.since is None
    assert not any("range" in clause and "gte" in clause["range"]["created_at"] for clause in filters.clauses())


def test_web_filters_api_scope_reads_periods_as_the_cli_does():
    scope = parse_scope({"since": "8d", "q": "category:complaint", "watch": " Lumio "}, NOW)
    assert scope.since == NOW - timedelta(days=8) and scope.until == NOW
    assert scope.query == compile_query("category:complaint") and scope.watch == "Lumio"
    assert parse_scope({"since": "all"}, NOW).since is None


@pytest.mark.parametrize(("params", "refused"), [
    ({"since": "soon"}, PeriodError),
    ({"since": "2026-11-22"}, PeriodError),  # after until
    ({"q": "(livraison"}, QuerySyntaxError),
    ({"watch": "w" * (MAX_WATCH_NAME_CHARS + 1)}, BadParameter),
])
def test_web_filters_api_scope_refuses_what_it_cannot_read(params, refused):
    with pytest.raises(refused):
        parse_scope(params, NOW)


def test_web_filters_page_scope_is_the_filter_bars_period():
    filters = parse_filters({"since": "24h", "watch": "Lumio"}, NOW)
    scope = scope_of_filters(filters, NOW)
    assert (scope.since, scope.until, scope.watch, scope.query) == (NOW - timedelta(hours=24), NOW, "Lumio", None)
