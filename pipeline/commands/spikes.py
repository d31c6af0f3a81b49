"""``veille spikes``: run the spike detector offline on a ``timestamp,value`` CSV; CSV with scores on stdout.

The file must be UTF-8 (a BOM is allowed), its rows in strictly increasing time (one row per interval), each
value a finite, non-negative count. Any other row stops the command with one line on stderr naming the file
and the line, and exit status 2; the rows before it are already on stdout.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import typer

from pipeline.cli import app
from pipeline.trends.spikes import SpikeConfig, SpikeDetector

DEFAULTS = SpikeConfig()
MAX_COUNT = 1e12  # per interval; far above any real volume, and sums of such counts stay finite
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by errors="surrogateescape"


class SeriesError(ValueError):
    """A row of the input series that cannot be read; the message names the line."""


class SeriesRow(NamedTuple):
    line: int
    raw_time: str
    raw_value: str
    moment: datetime
    value: float


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for an error message, cut so that a huge field still gives a short line."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text):,} characters)"


def _check_decoded(fields: Iterable[str], line: int) -> None:
    for field in fields:
        undecoded = _UNDECODED.search(field)
        if undecoded:
            byte = ord(undecoded.group()) - 0xDC00
            raise SeriesError(f"line {line}: not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")


MAX_FIELD = 131_072  # csv's default field limit, checked here: another module may raise the process-wide one


def _rows(reader) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SeriesError(f"line {reader.line_num}: not readable as CSV ({exc})") from None
        if any(len(field) > MAX_FIELD for field in row):
            raise SeriesError(f"line {reader.line_num}: not readable as CSV (a field over {MAX_FIELD:,} characters)")
        yield row


def read_series(lines: Iterable[str]) -> Iterator[SeriesRow]:
    """Yield one :class:`SeriesRow` for each data row of a ``timestamp,value`` CSV.

    A timestamp without a time zone is taken as UTC, as everywhere in the pipeline; one with a zone is
    converted to UTC. Rows must be in strictly increasing time: an earlier or repeated timestamp is refused
    (an offline series out of order is a concatenation or a sort mistake, and the detector would not learn it).
    """
    reader = csv.reader(lines)
    rows = _rows(reader)
    header = [name.strip() for name in next(rows, [])]
    _check_decoded(header, reader.line_num or 1)
    missing = {"timestamp", "value"} - set(header)
    if missing:
        raise SeriesError(f"line 1: missing column(s) {', '.join(sorted(missing))} (need timestamp,value)")
    time_column, value_column = header.index("timestamp"), header.index("value")
    previous: SeriesRow | None = None
    for row in rows:
        line = reader.line_num
        _check_decoded(row, line)
        if not row:
            continue  # a blank line, as csv.DictReader skips it
        raw_time = row[time_column].strip() if time_column < len(row) else ""
        raw_value = row[value_column].strip() if value_column < len(row) else ""
        try:
            moment = datetime.fromisoformat(raw_time)
        except ValueError:
            raise SeriesError(f"line {line}: timestamp {_shown(raw_time)} is not an ISO 8601 date-time") from None
        try:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:
            raise SeriesError(f"line {line}: timestamp {_shown(raw_time)} is out of range once in UTC") from None
        try:
            value = float(raw_value)
        except ValueError:
            raise SeriesError(f"line {line}: value {_shown(raw_value)} is not a number") from None
        if not (math.isfinite(value) and 0 <= value <= MAX_COUNT):
            raise SeriesError(f"line {line}: value {_shown(raw_value)} is not a non-negative count "
                              f"(a finite number from 0 to {MAX_COUNT:.0e})")
        if previous is not None and moment <= previous.moment:
            raise SeriesError(f"line {line}: timestamp {_shown(raw_time)} is not after {_shown(previous.raw_time)} "
                              f"(line {previous.line}); sort the series by time, one row per interval")
        previous = SeriesRow(line, raw_time, raw_value, moment, value)
        yield previous


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
    """Score a count series (e.g. mentions per 5 minutes) and write timestamp,value,score,alert to stdout.

    The file must be UTF-8, its rows in increasing time, each value a finite count from 0 to 1e12; the first
    row that is not stops the command with one line naming the file and the line (exit status 2).
    """
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
    except (ValueError, OverflowError) as exc:  # timedelta(minutes=1e12) overflows
        raise typer.BadParameter(str(exc)) from None
    detector = SpikeDetector(config)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["timestamp", "value", "score", "alert"])
    try:
        handle = input.open(newline="", encoding="utf-8-sig", errors="surrogateescape")
    except OSError as exc:
        typer.echo(f"veille spikes: cannot read {input}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    with handle:
        try:
            for row in read_series(handle):
                try:
                    score, alert = detector.update(row.value, row.moment)
                except OverflowError:  # the window or the history reaches before year 1 or after 9999
                    raise SeriesError(f"line {row.line}: timestamp {_shown(row.raw_time)} is too close to the "
                                      f"limits of the calendar for the detector's window and history") from None
                writer.writerow([row.raw_time, row.raw_value, f"{score:.4f}", int(alert)])
        except SeriesError as exc:
            typer.echo(f"veille spikes: {input}: {exc}", err=True)
            raise typer.Exit(2) from None
        except BrokenPipeError:  # the reader (``| head``) has all it wanted: click exits 1 without a word
            raise
        except OSError as exc:
            typer.echo(f"veille spikes: cannot read {input}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from None
