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
  points whose first point is inside a window / runs.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.trends.evaluation import (
    NabFileScore,
    WindowMatch,
    match_windows,
    nab_probation_rows,
    nab_windows_detected,
)
from pipeline.trends.spikes import SpikeConfig, detect_spikes

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NAB_DIR = REPO_ROOT.parent / "shared" / "nab"
PUBLISHED = Path(__file__).resolve().parent / "nab_published_counts.json"
RESULTS = Path(__file__).resolve().parent / "results" / "spikes.json"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)


def load_series(path: Path) -> list[tuple[datetime, float]]:
    with path.open(newline="") as handle:
        return [(parse_time(row["timestamp"]), float(row["value"])) for row in csv.DictReader(handle)]


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def score_veille(series: dict[str, list], labels: dict[str, list], config: SpikeConfig) -> tuple[dict, WindowMatch, float]:
    per_series: dict[str, dict] = {}
    total = WindowMatch(0, 0, 0, 0, 0, 0)
    elapsed = 0.0
    for name, points in series.items():
        started = time.perf_counter()
        scored = list(detect_spikes(points, config))
        elapsed += time.perf_counter() - started
        windows = [(parse_time(start), parse_time(end)) for start, end in labels[name]]
        match = match_windows(
            [point.timestamp for point in scored],
            [point.alert for point in scored],
            windows,
            skip_rows=nab_probation_rows(len(scored)),
        )
        per_series[name] = {
            **match.as_dict(),
            "alerts": [point.timestamp.strftime("%Y-%m-%d %H:%M:%S") for point in scored if point.alert],
        }
        total = total + match
    return per_series, total, elapsed


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
    return out


def sensitivity(series: dict[str, list], labels: dict[str, list], base: SpikeConfig) -> list[dict]:
    """The overall measure around the default settings, to show how much the result hangs on them."""
    rows = []
    for threshold, quantile, window in itertools.product((5.0, 6.0, 7.0), (0.0, 0.99), (timedelta(minutes=5), timedelta(hours=1))):
        config = dataclasses.replace(base, threshold=threshold, quantile=quantile, window=window)
        _, total, _ = score_veille(series, labels, config)
        rows.append(
            {
                "threshold": threshold,
                "quantile": quantile,
                "window_minutes": window / timedelta(minutes=1),
                "windows_hit": total.windows_hit,
                "windows": total.windows,
                "window_recall": round(total.window_recall, 4),
                "alert_points": total.alert_points,
                "point_precision": round(total.point_precision, 4) if total.point_precision is not None else None,
            }
        )
    return rows


def upper(value):
    return max(value) if isinstance(value, list) else value


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

    beaten = {}
    for detector, entry in published.items():
        recall_theirs = upper(entry["overall"]["window_recall"])
        precision_theirs = entry["overall"]["point_precision"] or 0.0
        beaten[detector] = {
            "recall_at_least_theirs": veille_total.window_recall >= recall_theirs,
            "point_precision_at_least_theirs": (veille_total.point_precision or 0.0) >= precision_theirs,
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
            "episode_precision": "runs of consecutive alert points whose first point is inside a window / runs (Veille only)",
            "ignored_rows": "NAB probationary rows: first min(floor(0.15 * rows), 750) of each file, for every detector",
            "nab_alert_point": "anomaly_score >= the detector's threshold in its published standard-profile score file",
        },
        "veille": {
            "config": {field: str(getattr(config, field)) for field in config.__dataclass_fields__},
            "per_series": veille_series,
            "overall": veille_total.as_dict(),
            "throughput": {"points": points, "seconds": round(elapsed, 3), "points_per_second": round(points / elapsed) if elapsed else None},
        },
        "sensitivity": sensitivity(series, labels, config),
        "nab_published": published,
        "veille_vs_nab": beaten,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print(f"{'detector':<40} {'windows':>9} {'recall':>13} {'pt prec':>8} {'alerts':>7}")
    overall = veille_total
    print(f"{'Veille spikes':<40} {overall.windows_hit:>4}/{overall.windows:<4} {overall.window_recall:>13.3f} {overall.point_precision:>8.3f} {overall.alert_points:>7}")
    for entry in sorted(published.values(), key=lambda e: (-upper(e["overall"]["window_recall"]), -(e["overall"]["point_precision"] or 0))):
        o = entry["overall"]
        hit = o["windows_hit"] if not isinstance(o["windows_hit"], list) else "-".join(map(str, o["windows_hit"]))
        recall = o["window_recall"] if not isinstance(o["window_recall"], list) else "-".join(f"{r:.3f}" for r in o["window_recall"])
        recall_text = f"{recall:.3f}" if isinstance(recall, float) else recall
        print(f"{entry['name']:<40} {hit:>4}/{o['windows']:<4} {recall_text:>13} {o['point_precision'] or 0:>8.3f} {o['alert_points']:>7}")
    print(f"throughput: {result['veille']['throughput']['points_per_second']} points/s on one core; wrote {args.output}")


if __name__ == "__main__":
    main()
