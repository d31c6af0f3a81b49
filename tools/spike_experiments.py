"""Variants of the spike detector's alert rule, each scored leave-one-series-out on NAB's realTweets development series.

Run from the repository root: ``python -m tools.spike_experiments [--nab-dir ../shared/nab] [--grids] [--plateau]``
(about a minute on one core; ``--grids``: the rule before and after on finer candidate grids; ``--plateau``:
warm-up x aftermath x ratio around the defaults). Prints one line per variant: the pooled held-out (leave-one-series-out) window F1 with its windows
and alert points, and the in-sample best candidate, the measure of ``bench/bench_spikes.py``.

How: the score of every point does not depend on the alert rule (threshold, peak gate, warm-up, cooldown,
aftermath only decide which points alert; the baselines and the daily score maxima are learnt the same), so
:class:`pipeline.trends.spikes.SpikeDetector` is run once per ``relative_spread`` (and window width) and the alert
rules are replayed over the recorded scores. :func:`check_replay` asserts that the replay of the detector's
own rule gives exactly the alerts of :func:`pipeline.trends.spikes.detect_spikes`.

Each variant adds settings to the candidate grid of ``bench/bench_spikes.py`` (threshold x peak_ratio x
relative_spread); a setting given one value is fixed, one given several is chosen per turn by
leave-one-series-out like the others. The variants were written after looking at the five series, so even the
held-out figures are optimistic: only series the detector has never seen tell how it generalises.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from bench.bench_spikes import CANDIDATES, DEFAULT_NAB_DIR, load_series, parse_time
from pipeline.trends.evaluation import NO_MATCH, WindowMatch, leave_one_series_out, nab_probation_rows
from pipeline.trends.spikes import SpikeConfig, SpikeDetector, detect_spikes

HOUR, DAY = 3600.0, 86400.0
QUANTILES = (0.5, 0.75, 0.9, 1.0)


class Point(NamedTuple):
    t: float  # epoch seconds
    score: float
    volume: float
    gates: tuple[float, ...]  # the QUANTILES of the daily score maxima before this point (-inf: none yet)
    days: int  # daily maxima known before this point
    age: float  # seconds since the first point


def quantile_of(maxima: list[float], q: float) -> float:
    return maxima[min(len(maxima) - 1, int(q * (len(maxima) - 1)))] if maxima else -math.inf


def trace(points: list[tuple[datetime, float]], config: SpikeConfig) -> list[Point]:
    detector = SpikeDetector(config)
    first = points[0][0]
    out = []
    for moment, value in points:
        maxima = sorted(detector._day_maxima)  # what the peak gate of this point sees (before it is noted)
        score, _ = detector.update(value, moment)
        volume = sum(v for _, v in detector._window)
        out.append(Point(moment.timestamp(), score, volume, tuple(quantile_of(maxima, q) for q in QUANTILES),
                         len(maxima), (moment - first).total_seconds()))
    return out


def replay(points: list[Point], thr: float, pr: float, q: float = 0.5, min_volume: float = 5.0,
           warmup: float = 2 * DAY, cooldown: float = 12 * HOUR, persist: int = 1, min_days: int = 0,
           aftermath: float = 0.0, aftermath_ratio: float = 0.0, escalate: float = 0.0,
           other: list[Point] | None = None, other_ratio: float = 0.0) -> list[int]:
    """Indices of the points that alert under one rule.

    The detector's own rule with ``persist=1``, ``min_days=0``, ``escalate=0`` and no ``other``; the rest are
    the variants tried: ``persist`` points in a row at or above the threshold; the peak gate needs ``min_days``
    daily maxima; an alert within ``cooldown`` whose score reaches ``escalate`` times the last alert's; the
    same point of a wider or narrower window (``other``) must score ``other_ratio`` times the threshold and gate.
    """
    gate_index = QUANTILES.index(q)
    alerts: list[int] = []
    in_episode, last_alert, last_score, peak, run = False, None, None, None, 0
    for i, p in enumerate(points):
        if p.score < thr:
            in_episode, run = False, 0
        else:
            run += 1
            if in_episode and peak is not None:
                peak = max(peak, p.score)
        could = (run >= persist and p.volume >= min_volume and p.age >= warmup and p.days >= min_days
                 and p.score >= pr * p.gates[gate_index])
        if could and other is not None:
            o = other[i]
            could = o.score >= other_ratio * thr and o.score >= other_ratio * pr * o.gates[gate_index]
        if not could:
            continue
        if not in_episode and (last_alert is None or p.t - last_alert >= cooldown):
            if aftermath and peak is not None and p.t - last_alert < aftermath and p.score < aftermath_ratio * peak:
                continue
            alerts.append(i)
            in_episode, last_alert, last_score, peak = True, p.t, p.score, p.score
        elif escalate and last_score is not None and p.score >= escalate * last_score and p.t - last_alert < cooldown:
            alerts.append(i)
            last_score = p.score
    return alerts


def match(points: list[Point], alerts: list[int], windows: list[tuple[float, float]]) -> WindowMatch:
    skip = nab_probation_rows(len(points))
    hit, in_windows, counted = set(), 0, 0
    for i in alerts:
        if i < skip:
            continue
        counted += 1
        for number, (start, end) in enumerate(windows):
            if start <= points[i].t <= end:
                in_windows += 1
                hit.add(number)
                break
    return WindowMatch(len(windows), len(hit), counted, in_windows, counted, in_windows)


class Result(NamedTuple):
    held_out: WindowMatch
    in_sample: WindowMatch
    in_sample_settings: dict
    chosen: list[tuple[str, dict]]


def score_variant(traces, windows, extra: dict[str, tuple], base_grid: dict[str, tuple] | None = None) -> Result:
    base_grid = base_grid or {"thr": CANDIDATES["threshold"], "pr": CANDIDATES["peak_ratio"], "rs": CANDIDATES["relative_spread"]}
    grid_keys = [*base_grid, *extra]
    grid = [dict(zip(grid_keys, values, strict=True)) for values in itertools.product(*base_grid.values(), *extra.values())]
    matches = []
    for settings in grid:
        rule = {k: v for k, v in settings.items() if k not in ("rs", "other_window")}
        run = {}
        for name, points in traces[(settings["rs"], 1.0)].items():
            other = traces[(settings["rs"], settings["other_window"])][name] if "other_window" in settings else None
            run[name] = match(points, replay(points, other=other, **rule), windows[name])
        matches.append(run)
    turns = leave_one_series_out(matches)
    pooled = [sum(m.values(), NO_MATCH) for m in matches]
    best = max(range(len(grid)), key=lambda c: (pooled[c].window_f1 or 0.0, -c))
    return Result(sum((turn.match for turn in turns), NO_MATCH), pooled[best], grid[best],
                  [(turn.series, grid[turn.candidate]) for turn in turns])


def text(match: WindowMatch) -> str:
    return f"{match.window_f1:.3f} ({match.windows_hit}/{match.windows} windows, {match.alert_points_in_windows}/{match.alert_points} alerts in)"


def check_replay(series, config: SpikeConfig, traces) -> None:
    """The replay of the detector's own rule alerts exactly where :func:`detect_spikes` does."""
    for name, points in series.items():
        real = [i for i, p in enumerate(detect_spikes(points, config)) if p.alert]
        replayed = replay(traces[(config.relative_spread, 1.0)][name], config.threshold, config.peak_ratio, config.quantile,
                          config.min_volume, config.warmup.total_seconds(), config.cooldown.total_seconds(),
                          aftermath=config.aftermath.total_seconds(), aftermath_ratio=config.aftermath_ratio)
        assert real == replayed, (name, real, replayed)


H, D = HOUR, DAY
OLD = {"warmup": (2 * D,), "aftermath": (0.0,)}  # the detector before this study: two days' warm-up, no aftermath rule
VARIANTS: list[tuple[str, dict]] = [
    ("before: warm-up 2 d, no aftermath (bench grid)", OLD),
    ("persistence: 2 points in a row >= threshold", {**OLD, "persist": (1, 2)}),
    ("persistence fixed at 2", {**OLD, "persist": (2,)}),
    ("cooldown 12/18/24 h chosen by LOO", {**OLD, "cooldown": (12 * H, 18 * H, 24 * H)}),
    ("cooldown fixed 24 h", {**OLD, "cooldown": (24 * H,)}),
    ("peak gate quantile 0.5/0.75/0.9/1.0 chosen by LOO", {**OLD, "q": QUANTILES}),
    ("peak gate quantile 0.9 (novelty: above 90 % of recent daily peaks)", {**OLD, "q": (0.9,)}),
    ("peak gate quantile 1.0 (a record of the last 14 days)", {**OLD, "q": (1.0,)}),
    ("3 h window must also reach 0.5 x threshold and gate", {**OLD, "other_window": (3.0,), "other_ratio": (0.5,)}),
    ("30 min window must also reach 0.5 x threshold and gate", {**OLD, "other_window": (0.5,), "other_ratio": (0.5,)}),
    ("escalation: re-alert within cooldown at 2 x the last alert's score", {**OLD, "escalate": (2.0,)}),
    ("aftermath 72 h / 0.75 alone (warm-up 2 d)", {"warmup": (2 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.75,)}),
    ("warm-up 3 d alone", {"warmup": (3 * D,), "aftermath": (0.0,)}),
    ("warm-up 4 d alone", {"warmup": (4 * D,), "aftermath": (0.0,)}),
    ("warm-up 5 d alone", {"warmup": (5 * D,), "aftermath": (0.0,)}),
    ("warm-up 2/3/4/5 d chosen by LOO", {"warmup": (2 * D, 3 * D, 4 * D, 5 * D), "aftermath": (0.0,)}),
    ("peak gate needs 5 daily maxima (no warm-up change)", {**OLD, "min_days": (5,)}),
    ("warm-up 4 d + escalation 2 x", {"warmup": (4 * D,), "aftermath": (0.0,), "escalate": (2.0,)}),
    ("warm-up 4 d + aftermath 72 h / 0.75 (the new default)", {"warmup": (4 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.75,)}),
    ("warm-up 4 d + aftermath 48 h / 0.75", {"warmup": (4 * D,), "aftermath": (48 * H,), "aftermath_ratio": (0.75,)}),
    ("warm-up 4 d + aftermath 72 h / 0.6", {"warmup": (4 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.6,)}),
    ("warm-up 4 d + aftermath 72 h / 0.9", {"warmup": (4 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.9,)}),
    ("warm-up 5 d + aftermath 72 h / 0.75", {"warmup": (5 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.75,)}),
    ("warm-up 4 d + aftermath 36/72 h x 0.6/0.75/0.9 chosen by LOO",
     {"warmup": (4 * D,), "aftermath": (36 * H, 72 * H), "aftermath_ratio": (0.6, 0.75, 0.9)}),
]
NEW = {"warmup": (4 * D,), "aftermath": (72 * H,), "aftermath_ratio": (0.75,)}
GRIDS = {  # other candidate grids than the bench's: does leave-one-series-out still choose well?
    "threshold 6/8/10/12": {"thr": (6.0, 8.0, 10.0, 12.0), "pr": (2.0, 3.0, 4.0), "rs": (0.05, 0.1, 0.2)},
    "threshold 6..12 by 1": {"thr": tuple(float(t) for t in range(6, 13)), "pr": (2.0, 3.0, 4.0), "rs": (0.05, 0.1, 0.2)},
    "peak ratio 2..4 by 0.5": {"thr": (6.0, 9.0, 12.0), "pr": (2.0, 2.5, 3.0, 3.5, 4.0), "rs": (0.05, 0.1, 0.2)},
    "threshold 6..12 by 1 x ratio 2..4 by 0.5": {"thr": tuple(float(t) for t in range(6, 13)), "pr": (2.0, 2.5, 3.0, 3.5, 4.0),
                                                 "rs": (0.05, 0.1, 0.2)},
    "threshold 4/6/9": {"thr": (4.0, 6.0, 9.0), "pr": (2.0, 3.0, 4.0), "rs": (0.05, 0.1, 0.2)},
}
PLATEAU = {"warmup": (4 * D, 5 * D), "aftermath": (36 * H, 48 * H, 72 * H, 96 * H), "aftermath_ratio": (0.6, 0.7, 0.75, 0.8, 0.9)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nab-dir", type=Path, default=Path(os.environ.get("VEILLE_NAB_DIR", DEFAULT_NAB_DIR)))
    parser.add_argument("--plateau", action="store_true", help="also score the grid of warm-up x aftermath x ratio around the default")
    parser.add_argument("--grids", action="store_true", help="also score the rule before and after on other candidate grids")
    args = parser.parse_args()
    labels = json.loads((args.nab_dir / "labels.json").read_text())
    series = {name: load_series(args.nab_dir / "data" / name) for name in labels}
    windows = {name: [(parse_time(a).timestamp(), parse_time(b).timestamp()) for a, b in spans] for name, spans in labels.items()}
    traces = {}
    for rs in CANDIDATES["relative_spread"]:
        for width in (1.0, 3.0, 0.5):
            config = SpikeConfig(relative_spread=rs, window=timedelta(hours=width))
            traces[(rs, width)] = {name: trace(points, config) for name, points in series.items()}
    check_replay(series, SpikeConfig(), traces)
    check_replay(series, dataclasses.replace(SpikeConfig(), threshold=9.0, warmup=timedelta(days=2), aftermath=timedelta(0)), traces)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; replay of the detector's rule checked against detect_spikes")
    print(f"{'variant':<72} {'leave-one-series-out (pooled)':<42} in-sample best")
    for name, extra in VARIANTS:
        result = score_variant(traces, windows, extra)
        best = {k: v for k, v in result.in_sample_settings.items() if k in ("thr", "pr", "rs")}
        print(f"{name:<72} {text(result.held_out):<42} {text(result.in_sample)} {best}", flush=True)
    if args.grids:
        print("\nother candidate grids, the rule before / after (pooled held-out F1):")
        for name, grid in GRIDS.items():
            before, after = (score_variant(traces, windows, extra, grid) for extra in (OLD, NEW))
            print(f"  {name:<44} before {text(before.held_out)}   after {text(after.held_out)}", flush=True)
    if args.plateau:
        print("\nwarm-up x aftermath x ratio, each fixed (pooled held-out F1):")
        for warmup, aftermath in itertools.product(PLATEAU["warmup"], PLATEAU["aftermath"]):
            cells = [score_variant(traces, windows, {"warmup": (warmup,), "aftermath": (aftermath,), "aftermath_ratio": (ratio,)})
                     for ratio in PLATEAU["aftermath_ratio"]]
            print(f"  warm-up {warmup / D:g} d, aftermath {aftermath / H:g} h: "
                  + "  ".join(f"x{ratio:g} {c.held_out.window_f1:.3f}" for ratio, c in zip(PLATEAU["aftermath_ratio"], cells, strict=True)))


if __name__ == "__main__":
    main()
