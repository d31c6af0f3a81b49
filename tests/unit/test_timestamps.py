"""The one place timestamps are read and written: ISO 8601 in and out, UTC inside, epoch conversions, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from pipeline.timestamps import (
    as_utc,
    epoch_seconds,
    format_iso,
    from_epoch_ms,
    from_epoch_seconds,
    parse_iso,
    parse_retry_after,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value, expected", [
    ("2026-05-04T12:00:00Z", NOW),
    ("2026-05-04T14:00:00+02:00", NOW),
    ("2026-05-04T12:00:00", NOW),
    ("2026-05-04", datetime(2026, 5, 4, tzinfo=UTC)),
    (datetime(2026, 5, 4, 12, 0), NOW),
    (datetime(2026, 5, 4, 7, 0, tzinfo=timezone(timedelta(hours=-5))), NOW),
    ("yesterday", None),
    ("", None),
    (None, None),
    (1777896000, None),
])
def test_timestamps_parse_iso_gives_utc_or_none(value, expected):
    parsed = parse_iso(value)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is UTC


def test_timestamps_parse_iso_of_an_instant_outside_datetimes_range_is_none():
    assert parse_iso("0001-01-01T00:00:00+05:00") is None


def test_timestamps_format_iso_writes_z_and_reads_back():
    assert format_iso(datetime(2026, 5, 4, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-05-04T12:00:00Z"
    assert format_iso(None) is None
    moment = datetime(2026, 5, 4, 12, 0, 0, 123456, tzinfo=UTC)
    assert parse_iso(format_iso(moment)) == moment


def test_timestamps_epoch_conversions_round_trip_and_take_naive_as_utc():
    assert epoch_seconds(datetime(1970, 1, 1, 0, 1)) == 60.0
    assert from_epoch_seconds(epoch_seconds(NOW)) == NOW
    assert from_epoch_ms(epoch_seconds(NOW) * 1000) == NOW
    assert as_utc(datetime(2026, 5, 4, 12, 0)) == NOW


@pytest.mark.parametrize("header, expected", [
    ("1", 1.0),
    (" 120 ", 120.0),
    ("1.5", 1.5),
    (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
    (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
    ("Mon, 04 May 2026 12:01:00", 60.0),  # an HTTP date without its zone is GMT
    ("soon", None),
    ("-5", None),
    (None, None),
    ("", None),
])
def test_timestamps_parse_retry_after(header, expected):
    assert parse_retry_after(header, NOW.timestamp()) == expected
