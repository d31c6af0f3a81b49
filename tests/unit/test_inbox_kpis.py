"""Response-time figures: within-deadline share, median and p90 to first answer, open and overdue, per group."""

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.inbox.kpis import UNASSIGNED, percentile, response_times

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _answered(minutes, deadline_minutes, network="microblog", categories=("complaint",), who="ana"):
    return {"created_at": T0.isoformat(), "answered_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "reply_by": (T0 + timedelta(minutes=deadline_minutes)).isoformat(), "network": network,
            "categories": list(categories), "answered_by": who}


def _open(deadline: datetime, network="social", categories=("review",), assignee=None):
    return {"reply_by": deadline.isoformat(), "network": network, "categories": list(categories),
            "state": {"assignee": assignee} if assignee else {}}


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, 10), ([5], 90, 5),
    ([], 90, None), ([3, 1, 2], 50, 2), ([10, 20], 100, 20),
])
def test_inbox_kpis_percentile_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


def test_inbox_kpis_figures_per_network_category_and_teammate():
    answered = [_answered(10, 15), _answered(20, 15), _answered(30, 60, who="bo"),
                _answered(300, 240, network="social", categories=("review", "positive"), who="bo")]
    open_mentions = [_open(NOW - timedelta(minutes=1)), _open(NOW + timedelta(hours=1), assignee="ana"),
                     _open(NOW - timedelta(hours=3), network="microblog", categories=("complaint",))]
    figures = response_times(answered, open_mentions, NOW).to_json()
    overall = figures["overall"]
    assert overall["answered"] == 4 and overall["answered_within_deadline"] == 2
    assert overall["share_within_deadline"] == 0.5
    assert overall["median_minutes"] == 25.0  # of 10, 20, 30, 300
    assert overall["p90_minutes"] == 300.0
    assert overall["open"] == 3 and overall["overdue"] == 2
    assert figures["by_network"]["microblog"]["answered"] == 3
    assert figures["by_network"]["microblog"]["overdue"] == 1
    assert figures["by_network"]["social"]["share_within_deadline"] == 0.0
    assert figures["by_category"]["complaint"]["median_minutes"] == 20.0
    assert figures["by_category"]["positive"]["answered"] == 1
    assert figures["by_teammate"]["ana"] == {**figures["by_teammate"]["ana"], "answered": 2, "open": 1, "overdue": 0}
    assert figures["by_teammate"]["bo"]["answered_within_deadline"] == 1
    assert figures["by_teammate"][UNASSIGNED]["open"] == 2
    assert {b["key"] for b in figures["benchmarks"]} == {"airline_median", "expect_within_hour", "mostly_unanswered"}


def test_inbox_kpis_nothing_answered_has_no_median():
    figures = response_times([], [_open(NOW - timedelta(minutes=5))], NOW).to_json()["overall"]
    assert figures["median_minutes"] is None and figures["share_within_deadline"] is None
    assert figures["open"] == 1 and figures["overdue"] == 1 and figures["answered_share"] == 0.0


def test_inbox_kpis_overall_counts_what_was_not_triaged():
    triaged = [_open(NOW - timedelta(minutes=1)), _open(NOW + timedelta(hours=1))]
    figures = response_times([], triaged, NOW, complete=False, open_total=10, overdue_untriaged=6).to_json()
    assert figures["overall"]["open"] == 10 and figures["overall"]["overdue"] == 7
    assert figures["by_network"]["social"]["open"] == 2 and figures["complete"] is False
