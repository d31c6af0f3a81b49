"""Per-watch signals: what the trend and crisis agents read, on the ``watch.signals`` topic keyed by watch.

One enriched mention that matched two watches gives two signals, so that each watch's counts, baselines
and alerts live in one place (one partition, one agent task). The tag stage sends a batch's signals of one
watch as one record (a JSON array): two agents read every record of this topic, and the per-record cost of
a Faust stream is most of theirs. The community managers' acknowledge and resolve travel on the same topic
(one object, ``type: action``), so the crisis agent applies them in order with the detections of the same
watch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pipeline.trends.terms import NO_PRODUCTS, ProductMatcher, Term, extract_terms

SIGNAL_TEXT_CHARS = 500


def _time(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Signal:
    watch: str
    id: str
    at: datetime
    negative: bool
    complaint: bool
    troll: bool
    text: str
    author: str
    followers: int | None
    terms: tuple[Term, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": "mention", "watch": self.watch, "id": self.id, "at": self.at.isoformat(),
                "negative": self.negative, "complaint": self.complaint, "troll": self.troll, "text": self.text,
                "author": self.author, "followers": self.followers, "terms": [list(term) for term in self.terms]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Signal:
        return cls(watch=str(data["watch"]), id=str(data["id"]), at=_time(data["at"]),
                   negative=bool(data.get("negative")), complaint=bool(data.get("complaint")),
                   troll=bool(data.get("troll")), text=str(data.get("text") or ""), author=str(data.get("author") or ""),
                   followers=data.get("followers"), terms=tuple(Term(kind, text) for kind, text in data.get("terms") or ()))


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


def signal_records(signals: list[Signal]) -> list[tuple[bytes, list[dict[str, Any]]]]:
    """Signals grouped into one record per watch, in order: ``(key, JSON array)`` to serialise."""
    by_watch: dict[str, list[dict[str, Any]]] = {}
    for signal in signals:
        by_watch.setdefault(signal.watch, []).append(signal.to_json())
    return [(watch.encode(), items) for watch, items in by_watch.items()]


def signals_for(document: Mapping[str, Any], products: ProductMatcher = NO_PRODUCTS) -> list[Signal]:
    """The signals of one enriched mention: one per watch it matched, none if it matched no watch."""
    watches = [w for w in document.get("watch") or () if isinstance(w, str) and w]
    if not watches:
        return []
    categories = set(document.get("categories") or ())
    author = document.get("author") or {}
    text = str(document.get("text") or "")
    title = document.get("title")
    terms = tuple(extract_terms(f"{title}\n{text}" if title else text, products))
    return [Signal(
        watch=watch, id=str(document["id"]), at=_time(document["created_at"]),
        negative=document.get("sentiment") == "negative", complaint="complaint" in categories,
        troll="troll" in categories, text=text[:SIGNAL_TEXT_CHARS], author=str(author.get("id") or ""),
        followers=author.get("followers"), terms=terms,
    ) for watch in dict.fromkeys(watches)]


def parse_signal(data: Mapping[str, Any]) -> Signal | AlertAction:
    if data.get("type") == "action":
        return AlertAction.from_json(data)
    return Signal.from_json(data)
