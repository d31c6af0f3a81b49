"""Trending agent: per-watch term counts in a Faust windowed table; closed windows → trend events.

Signals are keyed by watch, so one task owns each watch: its :class:`WatchTrends` (open windows, baseline)
and its rows of the windowed table. Trend events go to the trends topic and the trends index.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import faust
import orjson

from agents.app import app, settings, signals_topic, table, trends_topic
from agents.per_watch import read_signals, run_per_watch
from agents.runtime import acknowledged_when_done, send_and_confirm
from pipeline import topics as t
from pipeline.alerts.store import index_trends, wait_for_alert_indices
from pipeline.sinks.elasticsearch import make_client
from pipeline.trends.records import read_state, state_records
from pipeline.trends.signals import Signal
from pipeline.trends.terms import Term
from pipeline.trends.trending import WatchTrends

log = logging.getLogger(__name__)

config = settings.trend.to_config()
window_seconds = config.window.total_seconds()
_clock = {"at": 0.0}  # the window start a batch's counts are written to (the table's time-relativity)

term_counts = table(
    "trend-term-counts", t.SIGNALS, default=int, schema=faust.Schema(key_type=bytes, value_type=int, key_serializer="raw",
                                                                       value_serializer="json"),
).tumbling(window_seconds, expires=timedelta(days=8)).relative_to(lambda event: _clock["at"])
# Faust expires windows by the wall clock; a replay of older history must still find its counts, so the
# safety net is long and each window's rows are deleted as soon as it is closed.
trend_state = table("trend-state", t.SIGNALS, key_type=bytes, value_type=bytes)
trackers: dict[str, WatchTrends] = {}
HISTORY = "\x1fhistory"  # the baseline part of a watch's state, saved only when a window has closed
history_saved: dict[str, int] = {}
saved_at: dict[str, float] = {}
# Counts not yet in the table: written with each checkpoint of the watch's state, not with every batch
# (each table write is a changelog record: per batch and term, they cost more than the rest of the worker).
# A killed worker loses at most one checkpoint interval of counts, as it loses the tracker state.
unsaved: dict[str, Counter[tuple[int, Term]]] = defaultdict(Counter)


def _save(key: str, state: dict) -> None:
    records, stale = state_records(key, state, trend_state.get(key.encode()))
    for part in stale:
        trend_state.pop(part, None)
    for part, value in records:
        trend_state[part] = value


def _key(watch: str, term: Term) -> bytes:
    return f"{watch}\x1f{term.kind}:{term.text}".encode()


def _tracker(watch: str) -> WatchTrends:
    if watch not in trackers:
        saved = read_state(watch, trend_state.get)
        if saved and "closed" not in saved:
            saved = {**saved, "closed": (read_state(watch + HISTORY, trend_state.get) or {"closed": []})["closed"]}
        trackers[watch] = WatchTrends.from_state(saved, config) if saved else WatchTrends(watch, config)
        history_saved[watch] = trackers[watch].history_version
    return trackers[watch]


@app.agent(signals_topic)
async def find_trends(stream):
    client = make_client(settings)
    await wait_for_alert_indices(client, settings)
    try:
        async for events in stream.take_events(settings.signal.batch_size, within=settings.signal.batch_within):
            async with acknowledged_when_done(events, "trends"):
                by_watch, _ = read_signals(events)  # the crisis agent dead-letters the unreadable ones
                now = datetime.now(UTC)
                found = run_per_watch(by_watch, lambda watch, items: _count_and_close(watch, items, now), "trends")
                if found:
                    await send_and_confirm([(trends_topic, trend["watch"].encode(), orjson.dumps(trend))
                                            for trend in found])
                    try:
                        await index_trends(client, settings, found)
                    except Exception as exc:  # the trend events are on the trends topic already
                        log.error("could not index %d trend event(s) into Elasticsearch: %s", len(found), exc)
                    log.info("%d trend(s): %s", len(found), ", ".join(f"{x['watch']}:{x['term']}" for x in found[:5]))
    finally:
        await client.close()


def _count_and_close(watch: str, items, now: datetime) -> list[dict]:
    signals = [item for item in items if isinstance(item, Signal)]
    if not signals:
        return []
    tracker = _tracker(watch)
    counts = unsaved[watch]
    for signal in signals:
        start, tracked = tracker.observe_terms(signal, now)
        for term in tracked:
            counts[(start, term)] += 1
    found = []
    for start in tracker.due():
        _clock["at"] = start
        terms = tracker.terms_of(start)
        totals = {}
        for term in terms:
            key = _key(watch, term)
            totals[term] = counts.pop((start, term), 0)
            if key in term_counts:
                totals[term] += term_counts[key].value()
                del term_counts[key]
        found += tracker.close(start, totals)
    if found or time.monotonic() - saved_at.get(watch, 0) >= settings.crisis.checkpoint_seconds:
        for (start, term), count in counts.items():
            _clock["at"] = start
            term_counts[_key(watch, term)] += count
        counts.clear()
        history, rest = tracker.to_state_parts()
        if tracker.history_version != history_saved.get(watch):
            _save(watch + HISTORY, history)
            history_saved[watch] = tracker.history_version
        _save(watch, rest)
        saved_at[watch] = time.monotonic()
    return found
