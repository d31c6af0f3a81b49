"""Replay connector: JSON lines from a file into the raw mentions topic, at a chosen rate.

Lines are sent as they are (a malformed line reaches the tag agent, which dead-letters it with the
reason), keyed by mention id when one can be read. ``rebase`` shifts every ``created_at`` so the
newest mention is "now", which makes a recorded stream look live to deadlines and spike detection (a date
the shift would carry outside years 1 to 9999 is left as it is). With ``keep_time_of_day`` the shift is a
whole number of days (the newest mention lands in the last 24 hours, at the time of day it was recorded):
the spike detector's hour-of-day baselines and daily peaks are cut at UTC midnight, so a shift by any other
amount moves the cut through the stream and the same recording can raise different alerts on each run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from pipeline.sources.base import RecordSink
from pipeline.timestamps import format_iso, parse_iso, utc_now

log = logging.getLogger(__name__)


def rebase_offset(lines: Iterable[bytes], now: datetime, keep_time_of_day: bool = False) -> timedelta:
    """How far to move every created_at so the newest mention in ``lines`` happens at ``now``; with
    ``keep_time_of_day``, in whole days, so that it happens in the 24 hours up to ``now``."""
    newest = None
    for line in lines:
        try:
            created = parse_iso(orjson.loads(line).get("created_at"))
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if created and (newest is None or created > newest):
            newest = created
    if newest is None:
        return timedelta(0)
    shift = now - newest
    return timedelta(days=shift // timedelta(days=1)) if keep_time_of_day else shift


def prepare_line(line: bytes, shift: timedelta | None) -> tuple[bytes | None, bytes]:
    """(key, value) for one line: key is the mention id when readable; created_at moved by ``shift``."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, line
    if not isinstance(data, dict):
        return None, line
    key = data["id"].encode() if isinstance(data.get("id"), str) else None
    if shift:
        created = parse_iso(data.get("created_at"))
        if created:
            try:
                moved = created + shift
            except OverflowError:  # moved before year 1 or after 9999: sent as it is, for the tag agent to judge
                return key, line
            data["created_at"] = format_iso(moved)
            return key, orjson.dumps(data)
    return key, line


@dataclass
class ReplayStats:
    sent: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class ReplayConnector:
    name = "replay"

    def __init__(self, path: Path, topic: str, rate: float | None = None, rebase: bool = False,
                 limit: int | None = None, progress: Callable[[int, int], None] | None = None,
                 keep_time_of_day: bool = False):
        self.path = path
        self.topic = topic
        self.rate = rate if rate and rate > 0 else None
        self.rebase = rebase
        self.keep_time_of_day = keep_time_of_day
        self.limit = limit
        self.progress = progress

    def _lines(self) -> list[bytes]:
        with open(self.path, "rb") as handle:
            lines = [line.rstrip(b"\r\n") for line in handle if line.strip()]
        return lines[: self.limit] if self.limit else lines

    async def run(self, sink: RecordSink) -> ReplayStats:
        lines = self._lines()
        shift = rebase_offset(lines, utc_now(), self.keep_time_of_day) if self.rebase else None
        started = time.monotonic()
        last_report = started
        stats = ReplayStats()
        for index, line in enumerate(lines):
            if self.rate:
                ahead = started + index / self.rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            key, value = prepare_line(line, shift)
            await sink.send(self.topic, value=value, key=key)
            stats.sent += 1
            now = time.monotonic()
            if self.progress and now - last_report >= 1.0:
                self.progress(stats.sent, len(lines))
                last_report = now
        await sink.flush()
        stats.seconds = time.monotonic() - started
        if self.progress:
            self.progress(stats.sent, len(lines))
        return stats
