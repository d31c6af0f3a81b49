"""Per-watch signals: what the trend and crisis agents read, on the ``watch.signals`` topic keyed by watch.

One enriched mention that matched two watches gives two signals, so that each watch's counts, baselines
and alerts live in one place (one partition, one agent task). The tag stage sends a batch's signals of one
watch as few records as it can (JSON arrays): two agents read every record of this topic, and the
per-record cost of a Faust stream is most of theirs. A record never exceeds ``MAX_SIGNAL_RECORD_BYTES``
whatever the batch: a signal is bounded (no text, only its sketch; at most ``MAX_SIGNAL_TERMS`` terms of
at most ``MAX_TERM_CHARS``), and a watch's signals are split over as many records as that bound needs.
The text stays in Elasticsearch; the crisis agent's raid verdict needs only the sketch
(:func:`pipeline.alerts.raid.text_sketch`).

Each signal carries the ``mentions.raw`` partition its mention was read from: the crisis monitor's
event-time watermark is the slowest of those partitions (pipeline/trends/crisis.py).

The community managers' acknowledge and resolve travel on the same topic (one object, ``type: action``),
so the crisis agent applies them in order with the detections of the same watch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from pipeline import categories
from pipeline.alerts.raid import text_sketch
from pipeline.timestamps import parse_iso
from pipeline.trends.terms import NO_PRODUCTS, ProductMatcher, Term, extract_terms

MAX_SIGNAL_TERMS = 48  # hashtags, @mentions and products come first, then keywords in reading order
MAX_TERM_CHARS = 64
MAX_SIGNAL_RECORD_BYTES = 256 * 1024 - 1024  # Kafka's default limit is 1 MB; 1 KB left for the record's framing
# The categories with a crisis series (pipeline/categories.py): a signal says whether its mention has each one,
# in a boolean field of that name (tests/unit/test_categories.py checks that :class:`Signal` has them all).
SERIES_CATEGORIES = tuple(category.name for category in categories.spiking().values())


def _time(value: Any) -> datetime:
    moment = parse_iso(value)
    if moment is None:
        raise ValueError(f"not an ISO 8601 time: {value!r}")
    return moment


@dataclass(frozen=True, slots=True)
class Signal:
    watch: str
    id: str
    at: datetime
    negative: bool
    complaint: bool  # one field per SERIES_CATEGORIES entry
    troll: bool
    sketch: str  # pipeline.alerts.raid.text_sketch of the text: near-copies are found without the text
    author: str
    followers: int | None
    terms: tuple[Term, ...]
    partition: int | None = None  # of mentions.raw, for the crisis monitor's watermark
    likely_fake: bool = False  # its author looks fake or automated (pipeline/authors/health.py)

    def to_json(self) -> dict[str, Any]:
        data = {"type": "mention", "watch": self.watch, "id": self.id, "at": self.at.isoformat(),
                "negative": self.negative, **{name: getattr(self, name) for name in SERIES_CATEGORIES},
                "sketch": self.sketch,
                "author": self.author, "followers": self.followers, "terms": [list(term) for term in self.terms]}
        if self.partition is not None:
            data["partition"] = self.partition
        if self.likely_fake:
            data["likely_fake"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Signal:
        """A signal record; one written before sketches (with a ``text``) gets the sketch of that text."""
        sketch = data.get("sketch")
        if sketch is None:
            sketch = text_sketch(str(data.get("text") or ""))
        partition = data.get("partition")
        return cls(watch=str(data["watch"]), id=str(data["id"]), at=_time(data["at"]),
                   negative=bool(data.get("negative")), **{name: bool(data.get(name)) for name in SERIES_CATEGORIES},
                   sketch=str(sketch), author=str(data.get("author") or ""),
                   followers=data.get("followers"), terms=bounded_terms(Term(k, t) for k, t in data.get("terms") or ()),
                   partition=partition if isinstance(partition, int) else None,
                   likely_fake=data.get("likely_fake") is True)


def bounded_terms(terms) -> tuple[Term, ...]:
    """At most ``MAX_SIGNAL_TERMS`` terms of at most ``MAX_TERM_CHARS`` (longer ones are left out), in order."""
    kept = []
    for term in terms:
        if len(term.text) <= MAX_TERM_CHARS:
            kept.append(term)
            if len(kept) == MAX_SIGNAL_TERMS:
                break
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class AlertAction:
    """A person acknowledged or resolved an alert (CLI or web), for the crisis agent that owns it."""

    watch: str
    alert_id: str
    action: Literal["acknowledge", "resolve"]
    by: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"type": "action", "watch": self.watch, "alert_id": self.alert_id, "action": self.action,
                "by": self.by, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertAction:
        if data.get("action") not in ("acknowledge", "resolve"):
            raise ValueError(f"unknown alert action {data.get('action')!r}")
        return cls(watch=str(data["watch"]), alert_id=str(data["alert_id"]), action=data["action"],
                   by=str(data.get("by") or "someone"), at=_time(data["at"]))


def parse_signal_record(data: Any) -> tuple[list[Signal | AlertAction], list[str]]:
    """The items of one ``watch.signals`` record (an array of signals, or one signal or action), and why
    each unreadable element was refused (the readable ones are kept)."""
    if not isinstance(data, list):
        if not isinstance(data, Mapping):
            raise TypeError(f"a signals record is an object or an array, not {type(data).__name__}")
        return [parse_signal(data)], []
    items, errors = [], []
    for position, element in enumerate(data):
        try:
            if not isinstance(element, Mapping):
                raise TypeError(f"not an object but {type(element).__name__}")
            items.append(parse_signal(element))
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(f"element {position}: {type(exc).__name__}: {exc}")
    return items, errors


def signal_records(signals: list[Signal], max_bytes: int = MAX_SIGNAL_RECORD_BYTES) -> list[tuple[bytes, bytes]]:
    """Signals grouped by watch, in order, as serialised ``(key, JSON array)`` records of at most ``max_bytes``
    each: a watch's signals take as many records as that needs (a signal is far smaller than the bound)."""
    by_watch: dict[str, list[bytes]] = {}
    for signal in signals:
        by_watch.setdefault(signal.watch, []).append(orjson.dumps(signal.to_json()))
    records = []
    for watch, items in by_watch.items():
        chunk: list[bytes] = []
        size = 2
        for item in items:
            if chunk and size + len(item) + 1 > max_bytes:
                records.append((watch.encode(), b"[" + b",".join(chunk) + b"]"))
                chunk, size = [], 2
            chunk.append(item)
            size += len(item) + 1
        records.append((watch.encode(), b"[" + b",".join(chunk) + b"]"))
    return records


def signals_for(document: Mapping[str, Any], products: ProductMatcher = NO_PRODUCTS,
                partition: int | None = None, sketch: str | None = None) -> list[Signal]:
    """The signals of one enriched mention (read from ``partition`` of mentions.raw): one per watch it
    matched, none if it matched no watch. ``sketch``: the text's ``text_sketch`` when the caller has it."""
    watches = [w for w in document.get("watch") or () if isinstance(w, str) and w]
    if not watches:
        return []
    tagged = set(document.get("categories") or ())
    author = document.get("author") or {}
    text = str(document.get("text") or "")
    title = document.get("title")
    terms = bounded_terms(extract_terms(f"{title}\n{text}" if title else text, products))
    if sketch is None:
        sketch = text_sketch(text)
    return [Signal(
        watch=watch, id=str(document["id"]), at=_time(document["created_at"]),
        negative=document.get("sentiment") == "negative", **{name: name in tagged for name in SERIES_CATEGORIES},
        sketch=sketch, author=str(author.get("id") or ""),
        followers=author.get("followers"), terms=terms, partition=partition,
        likely_fake=(document.get("author_health") or {}).get("likely_fake") is True,
    ) for watch in dict.fromkeys(watches)]


def parse_signal(data: Mapping[str, Any]) -> Signal | AlertAction:
    if data.get("type") == "action":
        return AlertAction.from_json(data)
    return Signal.from_json(data)
