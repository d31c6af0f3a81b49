"""``veille spikes``: CSV in, the detector's scores and alerts out, errors as a one-line message."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import pipeline.commands.spikes  # noqa: F401  (registers the command)
from pipeline.cli import app
from pipeline.trends.spikes import SpikeConfig, detect_spikes

NAB_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "nab" / "data"
START = datetime(2026, 3, 2)


def daily_counts(days: int, seed: int = 7) -> list[tuple[datetime, float]]:
    """Poisson counts every five minutes around 40 per interval (naive timestamps, as in a CSV)."""
    rng = np.random.default_rng(seed)
    return [(START + step * timedelta(minutes=5), float(rng.poisson(40))) for step in range(days * 288)]


def with_burst(points, start_index: int, length: int, extra: float):
    return [(t, v + extra if start_index <= i < start_index + length else v) for i, (t, v) in enumerate(points)]


def write_series(path: Path, points) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value"])
        for moment, value in points:
            writer.writerow([moment.strftime("%Y-%m-%d %H:%M:%S"), int(value)])
    return path


def run_spikes(*args: str):
    return CliRunner().invoke(app, ["spikes", *args])


def test_spikes_command_writes_one_scored_row_per_input_row(tmp_path):
    points = with_burst(daily_counts(days=9), 8 * 288 + 100, 24, 250)
    result = run_spikes("--input", str(write_series(tmp_path / "series.csv", points)))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["timestamp", "value", "score", "alert"]
    assert len(rows) == len(points)
    expected = [int(p.alert) for p in detect_spikes([(t.replace(tzinfo=UTC), v) for t, v in points], SpikeConfig())]
    assert [int(row["alert"]) for row in rows] == expected
    assert sum(expected) == 1


def test_spikes_command_options_reach_the_detector(tmp_path):
    points = with_burst(daily_counts(days=9), 8 * 288 + 100, 24, 250)
    path = write_series(tmp_path / "series.csv", points)
    default = run_spikes("--input", str(path))
    strict = run_spikes("--input", str(path), "--threshold", "1000")
    above_every_peak = run_spikes("--input", str(path), "--peak-ratio", "1000")
    assert "1" in [row["alert"] for row in csv.DictReader(io.StringIO(default.stdout))]
    assert "1" not in [row["alert"] for row in csv.DictReader(io.StringIO(strict.stdout))]
    assert "1" not in [row["alert"] for row in csv.DictReader(io.StringIO(above_every_peak.stdout))]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("when,value\n2026-01-01 00:00:00,3\n", "missing column(s) timestamp"),
        ("timestamp,value\n2026-01-01 00:00:00,three\n", "line 2: value 'three'"),
        ("timestamp,value\nyesterday,3\n", "line 2: timestamp 'yesterday'"),
        ("timestamp,value\n2026-01-01 00:00:00,-4\n", "not a non-negative count"),
    ],
)
def test_spikes_command_reports_the_bad_line_and_exits_2(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run_spikes("--input", str(path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_spikes_command_runs_on_a_nab_series():
    path = NAB_DATA / "Twitter_volume_CRM.csv"
    if not path.exists():
        pytest.skip(f"NAB data not present at {path}")
    result = run_spikes("--input", str(path))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    with path.open() as handle:
        source = list(csv.DictReader(handle))
    assert [(r["timestamp"], r["value"]) for r in rows] == [(r["timestamp"], r["value"]) for r in source]
    scored = detect_spikes(
        (datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC), float(r["value"])) for r in source
    )
    assert [int(r["alert"]) for r in rows] == [int(p.alert) for p in scored]
