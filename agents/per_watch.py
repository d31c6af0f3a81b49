"""What the trend and crisis agents share: a batch of ``watch.signals`` records, read and grouped by watch,
and the per-watch work done with that watch's event current (so its table writes go to its partition)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence

import orjson

from agents.runtime import event_context
from pipeline.trends.signals import AlertAction, Signal, parse_signal_record

log = logging.getLogger(__name__)

Item = Signal | AlertAction


def read_signals(events) -> tuple[dict[str, list[tuple[object, Item]]], list[tuple[object, Exception]]]:
    """The batch's readable signals and actions grouped by watch, in order, and the records with unreadable
    content with their error (a record's readable elements are kept)."""
    by_watch: dict[str, list[tuple[object, Item]]] = defaultdict(list)
    unreadable = []
    for event in events:
        try:
            items, errors = parse_signal_record(orjson.loads(event.message.value))
        except (ValueError, KeyError, TypeError) as exc:
            unreadable.append((event, exc))
            continue
        if errors:
            unreadable.append((event, ValueError(f"{len(errors)} unreadable signal(s): {'; '.join(errors[:3])}")))
        for item in items:
            by_watch[item.watch].append((event, item))
    return by_watch, unreadable


def run_per_watch(by_watch: dict[str, list[tuple[object, Item]]],
                  process: Callable[[str, Sequence[Item]], list], what: str) -> list:
    """``process(watch, items)`` for each watch, results concatenated. A failure costs that watch this batch
    (logged with where the batch ends), never the worker."""
    results = []
    for watch, items in by_watch.items():
        last = items[-1][0]
        with event_context(last):
            try:
                results += process(watch, [item for _, item in items])
            except Exception:
                message = last.message
                log.exception("%s of watch %s failed for a batch ending at %s[%s]@%s", what, watch,
                              message.topic, message.partition, message.offset)
    return results
