"""How well alerts on a series match labelled anomaly windows (NAB-style), as plain counts.

Definitions used by ``bench/bench_spikes.py`` and the README:

- *window recall*: the fraction of labelled windows that contain at least one alert;
- *point precision*: the fraction of alert points that fall inside a window;
- *episode precision*: consecutive alert points form one episode, and an episode counts as right
  when its first point (the moment somebody is paged) falls inside a window;
- *window F1*: the harmonic mean of window recall and point precision.

:func:`leave_one_series_out` estimates how a choice of settings does on a series it was not chosen on.

Windows are inclusive at both ends. Alerts in the first ``skip_rows`` rows are ignored for every
detector alike; NAB ignores its "probationary" rows the same way (see :func:`nab_probation_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, astuple, dataclass
from datetime import datetime

Window = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WindowMatch:
    windows: int
    windows_hit: int
    alert_points: int
    alert_points_in_windows: int
    episodes: int
    episodes_in_windows: int

    def __add__(self, other: WindowMatch) -> WindowMatch:
        return WindowMatch(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def window_recall(self) -> float | None:
        return self.windows_hit / self.windows if self.windows else None

    @property
    def point_precision(self) -> float | None:
        return self.alert_points_in_windows / self.alert_points if self.alert_points else None

    @property
    def episode_precision(self) -> float | None:
        return self.episodes_in_windows / self.episodes if self.episodes else None

    @property
    def window_f1(self) -> float | None:
        """Harmonic mean of window recall and point precision; 0 when nothing alerts (a detector that stays
        silent on a series with windows has caught none of them)."""
        if not self.windows:
            return None
        return harmonic_f1(self.window_recall, self.point_precision or 0.0)

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "window_recall": self.window_recall,
            "point_precision": self.point_precision,
            "episode_precision": self.episode_precision,
            "window_f1": self.window_f1,
        }


NO_MATCH = WindowMatch(0, 0, 0, 0, 0, 0)


def harmonic_f1(recall: float | None, precision: float | None) -> float | None:
    """The window F1 of a recall and a precision (None when either is unknown)."""
    if recall is None or precision is None:
        return None
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


@dataclass(frozen=True, slots=True)
class HeldOutScore:
    """One turn of :func:`leave_one_series_out`: the candidate chosen without ``series``, and how it did on it."""

    series: str
    candidate: int
    chosen_on_others_f1: float
    match: WindowMatch


def leave_one_series_out(matches: Sequence[Mapping[str, WindowMatch]]) -> list[HeldOutScore]:
    """For each series, choose among candidate settings on the other series and score the choice on it.

    ``matches[c][series]`` is how candidate ``c`` did on ``series``. The candidate chosen for a turn has the
    best pooled window F1 over the other series (the earliest candidate on a tie).
    """
    if not matches:
        raise ValueError("no candidate settings to choose from")
    names = list(matches[0])
    if len(names) < 2:
        raise ValueError("leaving one series out needs at least two series")
    turns = []
    for held_out in names:
        def pooled_f1(candidate: int) -> float:
            pooled = sum((matches[candidate][name] for name in names if name != held_out), NO_MATCH)
            return pooled.window_f1 or 0.0

        best = max(range(len(matches)), key=lambda candidate: (pooled_f1(candidate), -candidate))
        turns.append(HeldOutScore(held_out, best, pooled_f1(best), matches[best][held_out]))
    return turns


def nab_probation_rows(rows: int, probation_percent: float = 0.15) -> int:
    """Rows NAB leaves out of scoring at the start of a file (its ``Sweeper._getProbationaryLength``)."""
    return int(min(math.floor(probation_percent * rows), probation_percent * 5000))


def match_windows(
    timestamps: Sequence[datetime],
    alerts: Sequence[bool],
    windows: Sequence[Window],
    skip_rows: int = 0,
) -> WindowMatch:
    """Count how the alerts of one series fall with respect to its labelled windows."""
    if len(timestamps) != len(alerts):
        raise ValueError("timestamps and alerts must have the same length")

    def window_of(moment: datetime) -> int | None:
        for number, (start, end) in enumerate(windows):
            if start <= moment <= end:
                return number
        return None

    hit: set[int] = set()
    points = points_in = episodes = episodes_in = 0
    previous_alert = False
    for row, (moment, alert) in enumerate(zip(timestamps, alerts, strict=True)):
        alert = bool(alert) and row >= skip_rows
        if alert:
            window = window_of(moment)
            points += 1
            if window is not None:
                points_in += 1
                hit.add(window)
            if not previous_alert:
                episodes += 1
                episodes_in += window is not None
        previous_alert = alert
    return WindowMatch(len(windows), len(hit), points, points_in, episodes, episodes_in)


@dataclass(frozen=True, slots=True)
class NabFileScore:
    """One row of a NAB ``results/<detector>/<detector>_<profile>_scores.csv`` file."""

    threshold: float
    score: float
    true_positive_points: int
    false_positive_points: int


def nab_windows_detected(
    windows: int,
    standard: NabFileScore,
    low_fn: NabFileScore | None = None,
    fp_weight: float = 0.11,
) -> tuple[int, int]:
    """The range of windows a NAB detector caught in one file, from its published per-file scores.

    NAB publishes, per file, the score and the counts of detection points inside (TP) and outside (FP)
    windows, not which windows were caught. Its standard profile scores a caught window between 0 and
    1 (earliest detection), a missed one -1, and each false positive between -``fp_weight`` and 0. So
    with ``d`` windows caught: ``-(windows - d) - fp_weight * FP < score <= d - (windows - d)``.

    The "reward low FN rate" profile scores a missed window -2 with the same other weights; when it
    kept the same TP points, the difference of the two scores is the number of missed windows, up to
    the few false positives that differ (at most ``fp_weight`` each). Returns ``(low, high)``; equal
    when the counts pin it down.
    """
    eps = 1e-6
    tp, fp, score = standard.true_positive_points, standard.false_positive_points, standard.score
    least = 1 if tp else 0
    feasible = [
        caught
        for caught in range(least, min(windows, tp) + 1)
        if -(windows - caught) - fp_weight * fp - eps < score <= caught - (windows - caught) + eps
    ]
    if low_fn is not None and low_fn.true_positive_points == tp:
        slack = fp_weight * abs(low_fn.false_positive_points - fp) + eps
        missed = score - low_fn.score
        feasible = [caught for caught in feasible if abs((windows - caught) - missed) <= slack]
    if not feasible:
        raise ValueError("the published scores are not consistent with any number of caught windows")
    return min(feasible), max(feasible)
