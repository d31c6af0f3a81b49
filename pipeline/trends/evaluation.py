"""How well alerts on a series match labelled anomaly windows (NAB-style), as plain counts.

Definitions used by ``bench/bench_spikes.py`` and the README:

- *window recall*: the fraction of labelled windows that contain at least one alert;
- *point precision*: the fraction of alert points that fall inside a window;
- *episode precision*: consecutive alert points form one episode, and an episode counts as right
  when its first point (the moment somebody is paged) falls inside a window.

Windows are inclusive at both ends. Alerts in the first ``skip_rows`` rows are ignored for every
detector alike; NAB ignores its "probationary" rows the same way (see :func:`nab_probation_rows`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "window_recall": self.window_recall,
            "point_precision": self.point_precision,
            "episode_precision": self.episode_precision,
        }


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
