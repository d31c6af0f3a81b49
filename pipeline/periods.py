"""One reading of a period for every surface: ``veille search``, ``veille compare``, ``veille inbox``,
``/api/compare``, ``/api/inbox`` and ``/api/kpis/response-times`` accept the same forms.

``--since``/``since=``: a duration ago (15m, 24h, 8d, 2w), a date or date-time, ``now`` or ``all`` (no lower
bound); ``--until``/``until=``: the same forms, ``now`` when absent. Anything else is refused with the
accepted forms, never silently replaced by another period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.query.search import parse_time_bound


class PeriodError(ValueError):
    """A period that is not one; the message lists the accepted forms."""


@dataclass(frozen=True, slots=True)
class Period:
    since: datetime | None  # None: from the first mention ('all')
    until: datetime
    label: str  # what was asked, e.g. "8d" or "all"


def parse_period(since: str | None, until: str | None, now: datetime, default_since: str = "7d") -> Period:
    """The period [since, until]; raises :class:`PeriodError` for an unreadable bound or an empty period."""
    label = (since or "").strip() or default_since
    try:
        start = parse_time_bound(label, now)
        end = parse_time_bound(until, now) if until and until.strip() else now
    except ValueError as exc:
        raise PeriodError(str(exc)) from None
    except OverflowError:
        raise PeriodError(f"{label!r} reaches beyond the calendar") from None
    if end is None:
        raise PeriodError("until must be a time ('all' is only a start)")
    if start is not None and start >= end:
        raise PeriodError(f"since ({start:%Y-%m-%d %H:%M}) must be before until ({end:%Y-%m-%d %H:%M})")
    return Period(start, end, label)
