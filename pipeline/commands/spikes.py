"""``veille spikes``: run the spike detector offline on a ``timestamp,value`` CSV; CSV with scores on stdout."""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from pipeline.cli import app
from pipeline.trends.spikes import SpikeConfig, SpikeDetector

DEFAULTS = SpikeConfig()


class SeriesError(ValueError):
    """A row of the input series that cannot be read; the message names the line."""


def read_series(lines: Iterable[str]) -> Iterator[tuple[str, str, datetime, float]]:
    """Yield ``(timestamp text, value text, timestamp, value)`` for each data row of a ``timestamp,value`` CSV.

    A timestamp without a time zone is taken as UTC, as everywhere in the pipeline.
    """
    reader = csv.DictReader(lines)
    missing = {"timestamp", "value"} - set(reader.fieldnames or ())
    if missing:
        raise SeriesError(f"line 1: missing column(s) {', '.join(sorted(missing))} (need timestamp,value)")
    for row in reader:
        line = reader.line_num
        raw_time, raw_value = (row.get("timestamp") or "").strip(), (row.get("value") or "").strip()
        try:
            moment = datetime.fromisoformat(raw_time)
        except ValueError:
            raise SeriesError(f"line {line}: timestamp {raw_time!r} is not an ISO 8601 date-time") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        try:
            value = float(raw_value)
        except ValueError:
            raise SeriesError(f"line {line}: value {raw_value!r} is not a number") from None
        if value < 0 or math.isnan(value):
            raise SeriesError(f"line {line}: value {raw_value!r} is not a non-negative count")
        yield raw_time, raw_value, moment, value


@app.command("spikes")
def spikes_command(
    input: Path = typer.Option(..., "--input", "-i", exists=True, dir_okay=False, help="CSV with columns timestamp,value"),
    threshold: float = typer.Option(DEFAULTS.threshold, help="robust z-score an alert needs"),
    peak_ratio: float = typer.Option(DEFAULTS.peak_ratio, help="the score must also reach this many times the series' usual daily peak score"),
    quantile: float = typer.Option(DEFAULTS.quantile, help="the usual daily peak score: this quantile of the daily maxima of recent days"),
    relative_spread: float = typer.Option(DEFAULTS.relative_spread, help="the baseline's spread is never below this fraction of it"),
    min_volume: float = typer.Option(DEFAULTS.min_volume, help="smallest volume over the window that can alert"),
    window_minutes: float = typer.Option(DEFAULTS.window / timedelta(minutes=1), help="counts are summed over this many minutes"),
    cooldown_hours: float = typer.Option(DEFAULTS.cooldown / timedelta(hours=1), help="no second alert within this many hours"),
) -> None:
    """Score a count series (e.g. mentions per 5 minutes) and write timestamp,value,score,alert to stdout."""
    try:
        config = SpikeConfig(
            threshold=threshold,
            peak_ratio=peak_ratio,
            quantile=quantile,
            relative_spread=relative_spread,
            min_volume=min_volume,
            window=timedelta(minutes=window_minutes),
            cooldown=timedelta(hours=cooldown_hours),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    detector = SpikeDetector(config)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["timestamp", "value", "score", "alert"])
    with input.open(newline="", encoding="utf-8") as handle:
        try:
            for raw_time, raw_value, moment, value in read_series(handle):
                score, alert = detector.update(value, moment)
                writer.writerow([raw_time, raw_value, f"{score:.4f}", int(alert)])
        except SeriesError as exc:
            typer.echo(f"veille spikes: {input}: {exc}", err=True)
            raise typer.Exit(2) from None
