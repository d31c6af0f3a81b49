"""How urgent a mention is, and so by when to answer it, inside the playbook's range for its network.

The playbook gives each network a range (X 15-60 min, Facebook and Instagram 30 min-4 h, blogs and forums
2-24 h) and each category a starting point in it (``fastest`` = 1, ``middle`` = 0.5, ``slowest`` = 0).
:func:`urgency` moves that point with what is known of the mention: the author's reach, an open crisis of
its watch, earlier complaints from the same author, a conversation in progress. :func:`delay_in_range`
turns the score into a delay: 1 is the fastest end of the range, 0 the slowest. A category's ``cap``
(a complaint: 1 h) is applied by the playbook on top.

At tagging time only the category and the network are known (the stored ``reply_by``); the inbox, which
sees the alerts and the other open mentions, computes the rest with the same functions
(:func:`signals_for`, :func:`triage`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipeline.timestamps import parse_iso

BASE_URGENCY = {"fastest": 1.0, "middle": 0.5, "slowest": 0.0}

LARGE_AUDIENCE = 100_000
WIDE_AUDIENCE = 10_000
SMALL_AUDIENCE = 300
REACH_LARGE_BOOST = 0.5
REACH_WIDE_BOOST = 0.25
REACH_SMALL_RELIEF = -0.25
CRISIS_BOOST = 0.5
REPEAT_BOOST = 0.25  # per earlier complaint from the same author, at most two counted
CONVERSATION_BOOST = 0.15
CONVERSATION_SIZE = 3
# An alert's spike window starts before the alert opens: mentions of the hour before belong to it.
CRISIS_LEAD = timedelta(hours=1)
CRISIS_CATEGORY = {"complaint_spike": "complaint", "troll_spike": "troll"}
NEGATIVE_CATEGORIES = frozenset({"complaint", "troll", "false_information", "legal_violation"})


@dataclass(frozen=True, slots=True)
class Signals:
    """What is known of a mention beyond its category and network."""

    followers: int | None = None
    is_reply: bool = False
    in_open_crisis: bool = False
    earlier_complaints: int = 0  # complaints from the same author before this one, in the inbox's period
    thread_size: int = 1  # open mentions of the same conversation, this one included


@dataclass(frozen=True, slots=True)
class Urgency:
    score: float  # 0: the slowest end of the network's range, 1: the fastest
    # What moved it, as "code" or "code:number" (large_audience:120000, open_crisis, repeat_complaint:3,
    # conversation:24, reply, wide_audience:N, small_audience:N): scripts read them, the web app translates them.
    reasons: tuple[str, ...] = ()


def urgency(base: float, signals: Signals | None = None) -> Urgency:
    """The category's starting point ``base`` (0..1) moved by ``signals``, clamped to 0..1, with the reasons."""
    if signals is None:
        return Urgency(base)
    score, reasons = base, []
    followers = signals.followers
    if followers is not None:
        if followers >= LARGE_AUDIENCE:
            score += REACH_LARGE_BOOST
            reasons.append(f"large_audience:{followers}")
        elif followers >= WIDE_AUDIENCE:
            score += REACH_WIDE_BOOST
            reasons.append(f"wide_audience:{followers}")
        elif followers < SMALL_AUDIENCE:
            score += REACH_SMALL_RELIEF
            reasons.append(f"small_audience:{followers}")
    if signals.in_open_crisis:
        score += CRISIS_BOOST
        reasons.append("open_crisis")
    if signals.earlier_complaints > 0:
        score += REPEAT_BOOST * min(signals.earlier_complaints, 2)
        reasons.append(f"repeat_complaint:{signals.earlier_complaints + 1}")
    if signals.is_reply or signals.thread_size >= CONVERSATION_SIZE:
        score += CONVERSATION_BOOST
        reasons.append(f"conversation:{signals.thread_size}" if signals.thread_size > 1 else "reply")
    return Urgency(round(min(1.0, max(0.0, score)), 4), tuple(reasons))


def reason_parts(reason: str) -> tuple[str, int | None]:
    """("large_audience", 120000) from "large_audience:120000"; ("open_crisis", None) from "open_crisis"."""
    code, _, number = reason.partition(":")
    return code, int(number) if number.isdigit() else None


def delay_in_range(fastest: timedelta, slowest: timedelta, score: float) -> timedelta:
    """Urgency 1 answers at ``fastest``, 0 at ``slowest``, linearly between; whole minutes."""
    delay = slowest - (slowest - fastest) * min(1.0, max(0.0, score))
    return timedelta(minutes=round(delay.total_seconds() / 60))


# -- the inbox's context -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Crisis:
    """An open (or acknowledged, not resolved) alert, as the triage needs it."""

    id: str
    watch: str
    kind: str
    opened_at: datetime
    title: str = ""
    sample_ids: frozenset[str] = frozenset()


def crisis_of(mention: Mapping[str, Any], crises: Sequence[Crisis]) -> Crisis | None:
    """The open crisis ``mention`` belongs to: cited by the alert, or of its watch, since shortly before it
    opened, and of its kind (a complaint for a complaint spike, anything negative for the others)."""
    created = parse_iso(mention.get("created_at"))
    watches = set(mention.get("watch") or [])
    categories = set(mention.get("categories") or [])
    for crisis in crises:
        if mention.get("id") in crisis.sample_ids:
            return crisis
        if crisis.watch not in watches or created is None or created < crisis.opened_at - CRISIS_LEAD:
            continue
        wanted = CRISIS_CATEGORY.get(crisis.kind)
        if (wanted in categories) if wanted else (categories & NEGATIVE_CATEGORIES or mention.get("sentiment") == "negative"):
            return crisis
    return None


def thread_key(mention: Mapping[str, Any]) -> str:
    """The conversation a mention belongs to; a mention outside any conversation is its own."""
    return str(mention.get("conversation_id") or mention.get("parent_id") or mention.get("id"))


def author_key(mention: Mapping[str, Any]) -> str | None:
    author = mention.get("author") or {}
    key = author.get("id") or author.get("handle")
    return f"{mention.get('platform')}:{key}" if key else None


def signals_for(mentions: Sequence[Mapping[str, Any]], crises: Sequence[Crisis]) -> dict[str, Signals]:
    """Each mention's :class:`Signals`, from the mentions themselves (repeats, conversations) and the crises."""
    threads = Counter(thread_key(m) for m in mentions)
    complaints_by_author: dict[str, list[tuple[datetime, str]]] = {}
    for mention in mentions:
        key, created = author_key(mention), parse_iso(mention.get("created_at"))
        if key and created and "complaint" in (mention.get("categories") or []):
            complaints_by_author.setdefault(key, []).append((created, str(mention.get("id"))))
    found = {}
    for mention in mentions:
        key, created = author_key(mention), parse_iso(mention.get("created_at"))
        earlier = 0
        if key in complaints_by_author and created is not None and "complaint" in (mention.get("categories") or []):
            earlier = sum(1 for at, other in complaints_by_author[key] if (at, other) < (created, str(mention.get("id"))))
        found[str(mention.get("id"))] = Signals(
            followers=(mention.get("author") or {}).get("followers"),
            is_reply=bool(mention.get("parent_id")),
            in_open_crisis=crisis_of(mention, crises) is not None,
            earlier_complaints=earlier,
            thread_size=threads[thread_key(mention)],
        )
    return found


# -- items of the inbox ------------------------------------------------------------------------------

@dataclass(slots=True)
class InboxItem:
    """What a person handles as one: a mention alone, a conversation, or an open crisis."""

    key: str  # "mention:<id>", "thread:<conversation>" or "crisis:<alert id>"
    kind: str  # mention | thread | crisis
    reply_by: datetime | None
    mentions: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""

    @property
    def ids(self) -> list[str]:
        return [str(m["id"]) for m in self.mentions]

    @property
    def lead(self) -> dict[str, Any]:
        return self.mentions[0]

    def seconds_left(self, now: datetime) -> int | None:
        return None if self.reply_by is None else int((self.reply_by - now).total_seconds())

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "title": self.title, "ids": self.ids,
                "reply_by": self.reply_by.isoformat() if self.reply_by else None,
                "seconds_left": self.seconds_left(now), "overdue": self.overdue(now),
                "mentions": self.mentions}

    def overdue(self, now: datetime) -> bool:
        return self.reply_by is not None and self.reply_by < now


def group_items(mentions: Sequence[dict[str, Any]], crises: Sequence[Crisis]) -> list[InboxItem]:
    """Mentions (each with its triaged ``reply_by``) as inbox items: those of an open crisis together, then
    those of one conversation together, the rest alone; each item due at its earliest mention's deadline,
    earliest first (no deadline last)."""
    items: dict[str, InboxItem] = {}
    for mention in mentions:
        crisis = crisis_of(mention, crises)
        if crisis is not None:
            key, kind, title = f"crisis:{crisis.id}", "crisis", crisis.title
        else:  # a conversation's first post carries its own id as conversation_id: it joins its replies
            key, kind, title = f"thread:{thread_key(mention)}", "thread", ""
        item = items.setdefault(key, InboxItem(key, kind, None, [], title))
        item.mentions.append(mention)
    for item in items.values():
        if item.kind == "thread" and len(item.mentions) == 1:
            item.key, item.kind = f"mention:{item.mentions[0]['id']}", "mention"
        item.mentions.sort(key=lambda m: (m.get("reply_by") or "9999", str(m.get("id"))))
        deadlines = [d for d in (parse_iso(m.get("reply_by")) for m in item.mentions) if d is not None]
        item.reply_by = min(deadlines) if deadlines else None
    return sorted(items.values(), key=lambda i: (i.reply_by is None, i.reply_by or datetime.max, i.key))


def order_for_now(items: Iterable[InboxItem], now: datetime) -> list[InboxItem]:
    """What is due now first: open crises (due as long as they are open), then overdue items (the most
    recently overdue first, the freshest chance to still answer), then the rest by deadline."""
    items = list(items)
    crises = [i for i in items if i.kind == "crisis"]
    overdue = sorted((i for i in items if i.kind != "crisis" and i.overdue(now)),
                     key=lambda i: (-(i.reply_by.timestamp()), i.key))
    upcoming = [i for i in items if i.kind != "crisis" and not i.overdue(now)]
    return crises + overdue + upcoming
