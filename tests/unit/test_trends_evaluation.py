"""Window recall / precision counts, and reading NAB's published per-file scores."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from pipeline.trends.evaluation import (NabFileScore, WindowMatch, harmonic_f1, leave_one_series_out, match_windows,
                                       nab_probation_rows, nab_windows_detected)

T0 = datetime(2015, 3, 1)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def series(hours: int) -> list[datetime]:
    return [at(h) for h in range(hours)]


def test_trends_evaluation_counts_windows_points_and_episodes():
    times = series(20)
    windows = [(at(2), at(4)), (at(10), at(12)), (at(16), at(17))]
    alerts = [h in {3, 4, 5, 8, 11, 12} for h in range(20)]
    match = match_windows(times, alerts, windows)
    assert match == WindowMatch(
        windows=3, windows_hit=2, alert_points=6, alert_points_in_windows=4, episodes=3, episodes_in_windows=2
    )
    assert match.window_recall == pytest.approx(2 / 3)
    assert match.point_precision == pytest.approx(4 / 6)
    assert match.episode_precision == pytest.approx(2 / 3)


def test_trends_evaluation_window_edges_are_inside():
    times = series(10)
    match = match_windows(times, [h in {2, 6} for h in range(10)], [(at(2), at(6))])
    assert (match.windows_hit, match.alert_points_in_windows, match.episodes) == (1, 2, 2)


def test_trends_evaluation_skipped_rows_do_not_count():
    times = series(10)
    alerts = [h in {1, 7} for h in range(10)]
    windows = [(at(0), at(2)), (at(6), at(8))]
    assert match_windows(times, alerts, windows, skip_rows=3).windows_hit == 1
    assert match_windows(times, alerts, windows, skip_rows=3).alert_points == 1
    assert match_windows(times, alerts, windows).windows_hit == 2


def test_trends_evaluation_no_alerts_leaves_precision_undefined():
    match = match_windows(series(5), [False] * 5, [(at(1), at(2))])
    assert match.point_precision is None and match.window_recall == 0.0


def test_trends_evaluation_matches_add_up():
    a = WindowMatch(4, 3, 10, 6, 5, 3)
    b = WindowMatch(2, 1, 4, 1, 4, 1)
    assert a + b == WindowMatch(6, 4, 14, 7, 9, 4)


@pytest.mark.parametrize(("rows", "skipped"), [(15902, 750), (4032, 604), (1000, 150)])
def test_trends_evaluation_probation_is_nab_rule(rows, skipped):
    assert nab_probation_rows(rows) == skipped


def nab_standard_score(windows: int, caught_rewards: list[float], fp_penalties: list[float]) -> float:
    """A file score as NAB's standard profile builds it: reward per caught window, -1 per missed, FP penalties."""
    return sum(caught_rewards) - (windows - len(caught_rewards)) + sum(fp_penalties)


def test_trends_evaluation_nab_windows_found_from_standard_score_alone():
    score = nab_standard_score(3, [0.95, 0.9, 0.7], [-0.11, -0.05])
    assert nab_windows_detected(3, NabFileScore(0.5, score, 3, 2)) == (3, 3)


def test_trends_evaluation_nab_windows_range_when_scores_are_ambiguous():
    score = nab_standard_score(4, [0.98, 0.97, 0.9], [-0.11] * 7)
    low, high = nab_windows_detected(4, NabFileScore(0.5, score, 5, 7))
    assert low <= 3 <= high and high > low


def test_trends_evaluation_nab_low_fn_profile_pins_the_count():
    windows, rewards, penalties = 4, [0.98, 0.97, 0.9], [-0.11] * 7
    standard = NabFileScore(0.5, nab_standard_score(windows, rewards, penalties), 5, 7)
    missed = windows - len(rewards)
    low_fn = NabFileScore(0.5, sum(rewards) - 2 * missed + sum(penalties), 5, 7)
    assert nab_windows_detected(windows, standard, low_fn) == (3, 3)


def test_trends_evaluation_nab_low_fn_with_other_detections_is_not_trusted():
    windows, rewards, penalties = 4, [0.98, 0.97, 0.9], [-0.11] * 7
    standard = NabFileScore(0.5, nab_standard_score(windows, rewards, penalties), 5, 7)
    other_run = NabFileScore(0.4, 3.0, 9, 20)
    assert nab_windows_detected(windows, standard, other_run) == nab_windows_detected(windows, standard)


def test_trends_evaluation_nab_inconsistent_scores_are_an_error():
    with pytest.raises(ValueError):
        nab_windows_detected(2, NabFileScore(0.5, math.pi, 1, 0))


def test_trends_evaluation_window_f1_is_the_harmonic_mean_of_recall_and_point_precision():
    match = WindowMatch(windows=4, windows_hit=3, alert_points=6, alert_points_in_windows=2, episodes=6, episodes_in_windows=2)
    assert match.window_f1 == pytest.approx(2 * 0.75 * (1 / 3) / (0.75 + 1 / 3))
    assert WindowMatch(4, 0, 0, 0, 0, 0).window_f1 == 0.0  # silent: no window caught
    assert WindowMatch(0, 0, 0, 0, 0, 0).window_f1 is None
    assert harmonic_f1(0.5, None) is None and harmonic_f1(0.0, 0.0) == 0.0


def test_trends_evaluation_leave_one_series_out_scores_a_choice_made_without_the_series():
    perfect = WindowMatch(2, 2, 2, 2, 2, 2)
    useless = WindowMatch(2, 0, 5, 0, 5, 0)
    # candidate 0 is perfect on "a" only; candidate 1 is perfect on "b" and "c" and useless on "a"
    matches = [{"a": perfect, "b": useless, "c": useless}, {"a": useless, "b": perfect, "c": perfect}]
    turns = {turn.series: turn for turn in leave_one_series_out(matches)}
    assert turns["a"].candidate == 1 and turns["a"].chosen_on_others_f1 == 1.0
    assert turns["a"].match == useless  # chosen on b and c, it fails on a, where candidate 0 would have been perfect
    assert turns["b"].candidate == 0  # on a and c the two tie (F1 4/11 each): the earliest is chosen
    assert turns["b"].chosen_on_others_f1 == pytest.approx(4 / 11)


def test_trends_evaluation_leave_one_series_out_needs_candidates_and_two_series():
    with pytest.raises(ValueError):
        leave_one_series_out([])
    with pytest.raises(ValueError):
        leave_one_series_out([{"a": WindowMatch(1, 1, 1, 1, 1, 1)}])
