"""Spike detector against NAB's published detectors on the realTweets development series.

Run from the repository root: ``python -m bench.bench_spikes [--nab-dir ../shared/nab]``.
Writes ``bench/results/spikes.json`` and prints a table. Reads the series and labels from the NAB
folder in /work/shared (never copied here) and NAB's published per-file counts from
``bench/nab_published_counts.json`` (small, source and commits noted inside); fetches nothing.

The measure, the same for every detector (see :mod:`pipeline.trends.evaluation`):

- an *alert point* is a row where the detector alerts (for NAB detectors: anomaly score at or above
  the detector's standard-profile threshold, as in its published score file);
- rows in NAB's probationary period (the first min(15 %, 750) rows of a file) are ignored;
- *window recall* = labelled windows with at least one alert point / labelled windows;
- *point precision* = alert points inside a window / alert points;
- *episode precision* (Veille only: NAB publishes counts, not timestamps) = runs of consecutive alert
  points whose first point is inside a window / runs;
- *window F1* = harmonic mean of window recall and point precision.

Veille's settings are not tuned on the series they are scored on only: a small grid of candidate
settings (:data:`CANDIDATES`) is run on every series, and leave-one-series-out picks the candidate with
the best pooled window F1 on four series and scores it on the fifth, in turn. The mean of those five
held-out F1 (and the F1 of the five held-out results pooled) is reported beside the in-sample figures
of the default :class:`SpikeConfig` (the candidate that is best on all five).

NAB detectors' caught windows are inferred from their published standard and low-FN scores by
:func:`pipeline.trends.evaluation.nab_windows_detected`; when the scores leave a range, both ends
are reported.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import itertools
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.trends.evaluation import (
    NO_MATCH,
    NabFileScore,
    WindowMatch,
    harmonic_f1,
    leave_one_series_out,
    match_windows,
    nab_probation_rows,
    nab_windows_detected,
)
from pipeline.trends.spikes import SpikeConfig, detect_spikes

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NAB_DIR = REPO_ROOT.parent / "shared" / "nab"
PUBLISHED = Path(__file__).resolve().parent / "nab_published_counts.json"
RESULTS = Path(__file__).resolve().parent / "results" / "spikes.json"
# The settings leave-one-series-out chooses among: how high a score must be, how far above the series'
# usual daily peak, and how much of the baseline is taken as its own noise.
CANDIDATES = {"threshold": (6.0, 9.0, 12.0), "peak_ratio": (2.0, 3.0, 4.0), "relative_spread": (0.05, 0.1, 0.2)}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)


def load_series(path: Path) -> list[tuple[datetime, float]]:
    with path.open(newline="") as handle:
        return [(parse_time(row["timestamp"]), float(row["value"])) for row in csv.DictReader(handle)]


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def run_veille(series: dict[str, list], labels: dict[str, list], config: SpikeConfig) -> dict[str, tuple[WindowMatch, list]]:
    """Run the detector with ``config`` on each series: its match with the labelled windows and its scored points."""
    out = {}
    for name, points in series.items():
        scored = list(detect_spikes(points, config))
        windows = [(parse_time(start), parse_time(end)) for start, end in labels[name]]
        match = match_windows(
            [point.timestamp for point in scored],
            [point.alert for point in scored],
            windows,
            skip_rows=nab_probation_rows(len(scored)),
        )
        out[name] = (match, scored)
    return out


def score_veille(series: dict[str, list], labels: dict[str, list], config: SpikeConfig) -> tuple[dict, WindowMatch, float]:
    started = time.perf_counter()
    runs = run_veille(series, labels, config)
    elapsed = time.perf_counter() - started
    per_series = {
        name: {**match.as_dict(), "alerts": [p.timestamp.strftime("%Y-%m-%d %H:%M:%S") for p in scored if p.alert]}
        for name, (match, scored) in runs.items()
    }
    return per_series, sum((match for match, _ in runs.values()), NO_MATCH), elapsed


def f1_of(recall, precision):
    """Window F1 of a published detector; a pair (low, high) when its recall is only known as a range."""
    if isinstance(recall, list):
        return [round(harmonic_f1(r, precision or 0.0), 4) for r in recall]
    return None if recall is None else round(harmonic_f1(recall, precision or 0.0), 4)


def score_published(published: dict, labels: dict[str, list]) -> dict:
    out: dict[str, dict] = {}
    for detector, entry in published["detectors"].items():
        standard_files = entry["standard"]["files"]
        low_fn_files = entry.get("reward_low_FN_rate", {}).get("files", {})
        per_series: dict[str, dict] = {}
        caught_low = caught_high = windows_total = points = points_in = 0
        for name, file_windows in labels.items():
            if name not in standard_files:
                continue
            row = standard_files[name]
            standard = NabFileScore(row["threshold"], row["score"], row["tp"], row["fp"])
            low_row = low_fn_files.get(name)
            low_fn = NabFileScore(low_row["threshold"], low_row["score"], low_row["tp"], low_row["fp"]) if low_row else None
            windows = len(file_windows)
            low, high = nab_windows_detected(windows, standard, low_fn)
            per_series[name] = {
                "threshold": standard.threshold,
                "windows": windows,
                "windows_hit": low if low == high else [low, high],
                "window_recall": ratio(low, windows) if low == high else [ratio(low, windows), ratio(high, windows)],
                "alert_points": standard.true_positive_points + standard.false_positive_points,
                "alert_points_in_windows": standard.true_positive_points,
                "point_precision": ratio(standard.true_positive_points, standard.true_positive_points + standard.false_positive_points),
            }
            per_series[name]["window_f1"] = f1_of(per_series[name]["window_recall"], per_series[name]["point_precision"])
            caught_low, caught_high, windows_total = caught_low + low, caught_high + high, windows_total + windows
            points += standard.true_positive_points + standard.false_positive_points
            points_in += standard.true_positive_points
        out[detector] = {
            "name": entry["name"],
            "score_file_commit": entry["standard"]["commit"],
            "threshold_in_score_file": sorted({row["threshold"] for row in standard_files.values()}),
            "threshold_in_thresholds_json": entry["thresholds_json_standard"],
            "per_series": per_series,
            "overall": {
                "windows": windows_total,
                "windows_hit": caught_low if caught_low == caught_high else [caught_low, caught_high],
                "window_recall": ratio(caught_low, windows_total)
                if caught_low == caught_high
                else [ratio(caught_low, windows_total), ratio(caught_high, windows_total)],
                "alert_points": points,
                "alert_points_in_windows": points_in,
                "point_precision": ratio(points_in, points),
            },
        }
        overall = out[detector]["overall"]
        overall["window_f1"] = f1_of(overall["window_recall"], overall["point_precision"])
    return out


def candidate_configs(base: SpikeConfig) -> list[SpikeConfig]:
    names = list(CANDIDATES)
    return [dataclasses.replace(base, **dict(zip(names, values, strict=True))) for values in itertools.product(*CANDIDATES.values())]


def settings_of(config: SpikeConfig) -> dict:
    return {name: getattr(config, name) for name in CANDIDATES}


def summary(match: WindowMatch) -> dict:
    def rounded(value):
        return None if value is None else round(value, 4)

    return {
        "windows": match.windows,
        "windows_hit": match.windows_hit,
        "alert_points": match.alert_points,
        "alert_points_in_windows": match.alert_points_in_windows,
        "window_recall": rounded(match.window_recall),
        "point_precision": rounded(match.point_precision),
        "window_f1": rounded(match.window_f1),
    }


def leave_one_out(series: dict[str, list], labels: dict[str, list], base: SpikeConfig) -> dict:
    """Every candidate on every series, then leave-one-series-out over the candidates."""
    configs = candidate_configs(base)
    matches = [run_veille(series, labels, config) for config in configs]
    matches = [{name: match for name, (match, _) in run.items()} for run in matches]
    turns = leave_one_series_out(matches)
    held_out = sum((turn.match for turn in turns), NO_MATCH)
    per_turn_f1 = [turn.match.window_f1 or 0.0 for turn in turns]
    in_sample_best = max(range(len(configs)), key=lambda c: (sum(matches[c].values(), NO_MATCH).window_f1 or 0.0, -c))
    return {
        "candidates": [
            {**settings_of(config), **summary(sum(matches[c].values(), NO_MATCH)),
             "per_series_f1": {name: round(m.window_f1 or 0.0, 4) for name, m in matches[c].items()}}
            for c, config in enumerate(configs)
        ],
        "turns": [
            {"held_out": turn.series, "chosen": settings_of(configs[turn.candidate]),
             "f1_on_the_other_four": round(turn.chosen_on_others_f1, 4), **summary(turn.match)}
            for turn in turns
        ],
        "mean_held_out_f1": round(sum(per_turn_f1) / len(per_turn_f1), 4),
        "pooled_held_out": summary(held_out),
        "best_on_all_series": settings_of(configs[in_sample_best]),
        "default_is_best_on_all_series": settings_of(configs[in_sample_best]) == settings_of(base),
    }


def upper(value):
    return max(value) if isinstance(value, list) else value


def text_of(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "-".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nab-dir", type=Path, default=Path(os.environ.get("VEILLE_NAB_DIR", DEFAULT_NAB_DIR)))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not (args.nab_dir / "labels.json").exists():
        raise SystemExit(f"NAB data not found in {args.nab_dir} (expected labels.json and data/*.csv)")

    labels = json.loads((args.nab_dir / "labels.json").read_text())
    series = {name: load_series(args.nab_dir / "data" / name) for name in labels}
    config = SpikeConfig()
    veille_series, veille_total, elapsed = score_veille(series, labels, config)
    published = score_published(json.loads(PUBLISHED.read_text()), labels)
    loo = leave_one_out(series, labels, config)

    beaten = {}
    for detector, entry in published.items():
        recall_theirs = upper(entry["overall"]["window_recall"])
        precision_theirs = entry["overall"]["point_precision"] or 0.0
        beaten[detector] = {
            "recall_at_least_theirs": veille_total.window_recall >= recall_theirs,
            "point_precision_at_least_theirs": (veille_total.point_precision or 0.0) >= precision_theirs,
            "window_f1_at_least_theirs": (veille_total.window_f1 or 0.0) >= upper(entry["overall"]["window_f1"]),
            "held_out_f1_at_least_theirs": loo["pooled_held_out"]["window_f1"] >= upper(entry["overall"]["window_f1"]),
        }

    points = sum(len(p) for p in series.values())
    commit_file = args.nab_dir / "COMMIT"
    result = {
        "benchmark": "spikes",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": 2, "cpu_count_seen": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "data": {
            "nab_commit": commit_file.read_text().strip() if commit_file.exists() else None,
            "series": list(labels),
            "points": points,
        },
        "measure": {
            "window_recall": "labelled windows with >= 1 alert point / labelled windows",
            "point_precision": "alert points inside a labelled window / alert points",
            "window_f1": "harmonic mean of window recall and point precision (a range when the recall is one)",
            "episode_precision": "runs of consecutive alert points whose first point is inside a window / runs (Veille only)",
            "ignored_rows": "NAB probationary rows: first min(floor(0.15 * rows), 750) of each file, for every detector",
            "nab_alert_point": "anomaly_score >= the detector's threshold in its published standard-profile score file",
            "leave_one_series_out": "for each series, the candidate with the best pooled window F1 on the other four, scored on it",
        },
        "veille": {
            "config": {field: str(getattr(config, field)) for field in config.__dataclass_fields__},
            "per_series": veille_series,
            "overall": veille_total.as_dict(),
            "throughput": {"points": points, "seconds": round(elapsed, 3), "points_per_second": round(points / elapsed) if elapsed else None},
        },
        "leave_one_series_out": loo,
        "nab_published": published,
        "veille_vs_nab": beaten,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print("Veille, default settings (in-sample) and leave-one-series-out (held-out):")
    print(f"{'series':<26} {'windows':>8} {'recall':>7} {'pt prec':>8} {'F1':>6} {'alerts':>7} | {'held-out: windows':>17} {'alerts':>7} {'F1':>6}  chosen on the other four")
    for turn in loo["turns"]:
        name = turn["held_out"]
        own = veille_series[name]
        chosen = " ".join(f"{key}={value:g}" for key, value in turn["chosen"].items())
        print(f"{name:<26} {own['windows_hit']:>3}/{own['windows']:<4} {text_of(own['window_recall']):>7} {text_of(own['point_precision']):>8} "
              f"{text_of(own['window_f1']):>6} {own['alert_points']:>7} | {turn['windows_hit']:>13}/{turn['windows']:<3} {turn['alert_points']:>7} "
              f"{text_of(turn['window_f1']):>6}  {chosen}")
    pooled = loo["pooled_held_out"]
    print(f"{'pooled':<26} {veille_total.windows_hit:>3}/{veille_total.windows:<4} {veille_total.window_recall:>7.3f} "
          f"{text_of(veille_total.point_precision):>8} {text_of(veille_total.window_f1):>6} {veille_total.alert_points:>7} | "
          f"{pooled['windows_hit']:>13}/{pooled['windows']:<3} {pooled['alert_points']:>7} {text_of(pooled['window_f1']):>6}")
    print(f"mean held-out F1 {loo['mean_held_out_f1']:.3f}; default = best on all five: {loo['default_is_best_on_all_series']}")
    print()
    print(f"{'detector':<40} {'windows':>9} {'recall':>13} {'pt prec':>8} {'window F1':>13} {'alerts':>7}")
    print(f"{'Veille spikes (in-sample)':<40} {veille_total.windows_hit:>4}/{veille_total.windows:<4} {veille_total.window_recall:>13.3f} "
          f"{text_of(veille_total.point_precision):>8} {text_of(veille_total.window_f1):>13} {veille_total.alert_points:>7}")
    print(f"{'Veille spikes (held-out, pooled)':<40} {pooled['windows_hit']:>4}/{pooled['windows']:<4} {text_of(pooled['window_recall']):>13} "
          f"{text_of(pooled['point_precision']):>8} {text_of(pooled['window_f1']):>13} {pooled['alert_points']:>7}")
    for entry in sorted(published.values(), key=lambda e: -upper(e["overall"]["window_f1"])):
        o = entry["overall"]
        print(f"{entry['name']:<40} {text_of(o['windows_hit']):>4}/{o['windows']:<4} {text_of(o['window_recall']):>13} "
              f"{text_of(o['point_precision']):>8} {text_of(o['window_f1']):>13} {o['alert_points']:>7}")
    print(f"throughput: {result['veille']['throughput']['points_per_second']} points/s on one core; wrote {args.output}")


if __name__ == "__main__":
    main()
