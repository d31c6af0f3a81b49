"""The inbox state in Elasticsearch (``<prefix>-inbox``): who a mention is assigned to, its notes, and when
it was answered and by whom. One document per mention, id = mention id, apart from the mentions index, so
a ``veille reprocess`` (which rewrites mention documents) keeps it.

Each state document also keeps what the response-time figures need (created_at, platform, network,
categories, watch and the deadline the triage gave when it was answered), so the figures never join
back to the mentions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import ensure_index, index_template
from pipeline.sinks.field_types import DATE, KEYWORD
from pipeline.timestamps import parse_iso

MAX_NOTE_CHARS = 2000
MAX_NAME_CHARS = 80
PAGE_SIZE = 500
CLOCK_SLACK = timedelta(minutes=2)  # a browser's clock a little ahead of the server's
MAX_STATES = 20_000  # answered mentions read for one set of figures; beyond, the figures say they are partial

INBOX_PROPERTIES: dict[str, Any] = {
    "mention_id": KEYWORD,
    "assignee": KEYWORD,
    "assigned_at": DATE,
    "assigned_by": KEYWORD,
    "notes": {"properties": {"at": DATE, "by": KEYWORD, "text": {"type": "text"}}},
    "answered_at": DATE,
    "answered_by": KEYWORD,
    "reply_by": DATE,
    "created_at": DATE,
    "platform": KEYWORD,
    "network": KEYWORD,
    "categories": KEYWORD,
    "watch": KEYWORD,
    "thread": KEYWORD,
    "updated_at": DATE,
}
ACTIONS = ("assign", "note", "answer", "reopen")


class InboxActionError(ValueError):
    """An inbox change that cannot be made; the message says why (unknown mention, no name, ...)."""


def inbox_index(settings: Settings) -> str:
    return f"{settings.index_prefix}-inbox"


async def setup_inbox_index(client: AsyncElasticsearch, settings: Settings) -> None:
    index = inbox_index(settings)
    await ensure_index(client, index, index_template(f"{index}*", INBOX_PROPERTIES,
                                                     "Inbox state per mention: assignee, notes, answered", "1s"))


@dataclass(frozen=True, slots=True)
class Change:
    """One change asked of the inbox: ``action`` on mentions ``ids`` by ``who``."""

    action: str
    ids: tuple[str, ...]
    who: str
    assignee: str = ""
    note: str = ""
    at: datetime | None = None


def check_change(action: str, ids: Sequence[str], who: str, assignee: str = "", note: str = "",
                 at: datetime | None = None) -> Change:
    """A :class:`Change` with its text trimmed and checked; raises :class:`InboxActionError`."""
    if action not in ACTIONS:
        raise InboxActionError(f"action must be one of {', '.join(ACTIONS)}, not {action[:40]!r}")
    ids = tuple(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
    if not ids:
        raise InboxActionError("which mention? (give its id)")
    if len(ids) > 500:
        raise InboxActionError("at most 500 mentions at once")
    who = who.strip()[:MAX_NAME_CHARS]
    if not who:
        raise InboxActionError("who is acting? (give a name)")
    assignee = assignee.strip()[:MAX_NAME_CHARS]
    if action == "assign" and not assignee:
        raise InboxActionError("assign to whom? (give a teammate's name)")
    note = note.strip()
    if action == "note" and not note:
        raise InboxActionError("the note is empty")
    if len(note) > MAX_NOTE_CHARS:
        raise InboxActionError(f"a note is at most {MAX_NOTE_CHARS} characters")
    return Change(action, ids, who, assignee, note, at)


def applied(state: Mapping[str, Any] | None, change: Change, mention: Mapping[str, Any], reply_by: datetime | None,
            now: datetime) -> dict[str, Any]:
    """The state document after ``change`` (pure): the mention's facts refreshed, the change recorded."""
    from pipeline.tagging.playbook import load_playbook

    doc = dict(state or {})
    network = load_playbook().network_of(mention.get("platform")).name
    doc.update({
        "mention_id": mention["id"], "created_at": mention.get("created_at"), "platform": mention.get("platform"),
        "network": network, "categories": list(mention.get("categories") or []),
        "watch": list(mention.get("watch") or []), "thread": mention.get("conversation_id") or mention.get("parent_id"),
        "updated_at": now.isoformat(),
    })
    if reply_by is not None and not doc.get("answered_at"):
        doc["reply_by"] = reply_by.isoformat()
    if change.action == "assign":
        doc.update(assignee=change.assignee, assigned_at=now.isoformat(), assigned_by=change.who)
    elif change.action == "note":
        doc["notes"] = [*(doc.get("notes") or []), {"at": now.isoformat(), "by": change.who, "text": change.note}]
    elif change.action == "answer":
        at = change.at or now
        created = parse_iso(mention.get("created_at"))
        if at > now + CLOCK_SLACK:
            raise InboxActionError(f"{at:%Y-%m-%d %H:%M} UTC is in the future: give the time it was answered")
        if created is not None and at < created:
            raise InboxActionError(f"{mention['id']} was posted at {created:%Y-%m-%d %H:%M} UTC, after {at:%H:%M}")
        if not doc.get("answered_at"):  # the first answer is the one the response time counts
            doc.update(answered_at=at.isoformat(), answered_by=change.who)
    elif change.action == "reopen":
        doc.pop("answered_at", None)
        doc.pop("answered_by", None)
    return doc


_READY: set[str] = set()


class InboxStore:
    def __init__(self, client: AsyncElasticsearch, settings: Settings):
        self.client = client
        self.settings = settings
        self.index = inbox_index(settings)

    async def states(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The state of each of ``ids`` that has one."""
        found: dict[str, dict[str, Any]] = {}
        ids = list(ids)
        for start in range(0, len(ids), PAGE_SIZE):
            chunk = ids[start:start + PAGE_SIZE]
            try:
                response = await self.client.search(index=self.index, size=len(chunk),
                                                    query={"ids": {"values": chunk}})
            except NotFoundError:
                return {}
            for hit in response["hits"]["hits"]:
                found[hit["_id"]] = hit["_source"]
        return found

    async def put(self, mention_id: str, document: dict[str, Any]) -> None:
        if self.index not in _READY:  # the mapping first: a dynamic one would make mention_id text, not sortable
            await setup_inbox_index(self.client, self.settings)
            _READY.add(self.index)
        await self.client.index(index=self.index, id=mention_id, document=document, refresh="true")

    async def scan(self, query: dict[str, Any], limit: int = MAX_STATES) -> tuple[list[dict[str, Any]], bool]:
        """State documents matching ``query``, read in pages of :data:`PAGE_SIZE` (sorted by mention id);
        and whether all were read (False when more than ``limit`` match)."""
        found: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while len(found) < limit:
            body: dict[str, Any] = {"size": min(PAGE_SIZE, limit - len(found)), "query": query,
                                    "sort": [{"mention_id": {"order": "asc"}}]}
            if after is not None:
                body["search_after"] = after
            try:
                response = await self.client.search(index=self.index, **body)
            except NotFoundError:
                return [], True
            hits = response["hits"]["hits"]
            found.extend(hit["_source"] for hit in hits)
            if len(hits) < body["size"]:
                return found, True
            after = hits[-1].get("sort") or [hits[-1]["_source"]["mention_id"]]
        return found, False


def answered_query(since: datetime | None, until: datetime | None, watch: str = "") -> dict[str, Any]:
    """State documents of answered mentions created in [since, until]."""
    return {"bool": {"filter": [{"exists": {"field": "answered_at"}}, *_window(since, until, watch)]}}


def _window(since: datetime | None, until: datetime | None, watch: str) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    window = {}
    if since is not None:
        window["gte"] = since.isoformat()
    if until is not None:
        window["lte"] = until.isoformat()
    if window:
        clauses.append({"range": {"created_at": window}})
    if watch:
        clauses.append({"term": {"watch": watch}})
    return clauses


@dataclass
class Outcome:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
