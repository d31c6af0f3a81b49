"""The inbox as a person sees it: open mentions triaged with their context, grouped, with their state;
the changes a person makes; and the response-time figures. Used by the web app and ``veille inbox``.

Where the urgency is computed: the tag agent stores a provisional ``reply_by`` (category and network only:
:meth:`Playbook.plan` without signals). The author's reach, an open crisis of the watch, the author's earlier
complaints and the conversation around a mention are only known here, reading the open mentions and the
alerts together, so the inbox recomputes each deadline with :func:`pipeline.inbox.triage.urgency` (through
the same :meth:`Playbook.plan`) when it reads them. Answering records the deadline the triage gave then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from pipeline.inbox import kpis as kpi
from pipeline.inbox.store import (
    MAX_STATES,
    Change,
    InboxActionError,
    InboxStore,
    Outcome,
    answered_query,
    applied,
)
from pipeline.inbox.triage import Crisis, InboxItem, group_items, order_for_now, signals_for
from pipeline.query.elasticsearch import Query
from pipeline.settings import Settings
from pipeline.timestamps import parse_iso

# Open mentions triaged per view: those with the latest provisional deadlines, so a backlog of old overdue
# mentions never hides what is due now; the older ones are counted (open_total) but not triaged.
MAX_CANDIDATES = 1000
CONTEXT_DAYS = 7  # how far back an action looks for the author's earlier complaints and the conversation
NEEDS_ANSWER: Query = {"bool": {"filter": [{"exists": {"field": "reply_by"}}],
                                "must_not": [{"term": {"priority": "none"}}]}}
MENTION_FIELDS = ["id", "platform", "author", "text", "title", "url", "created_at", "lang", "sentiment",
                  "categories", "action", "priority", "reply_by", "watch", "metrics", "parent_id", "conversation_id"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which mentions: created in [since, until], matching ``query`` (compiled search syntax), of ``watch``."""

    since: datetime | None
    until: datetime
    watch: str = ""
    query: Query | None = None

    def clauses(self) -> list[Query]:
        found: list[Query] = [] if self.query is None else [self.query]
        if self.watch:
            found.append({"term": {"watch": self.watch}})
        window = {"lte": self.until.isoformat()}
        if self.since is not None:
            window["gte"] = self.since.isoformat()
        found.append({"range": {"created_at": window}})
        return found


@dataclass
class InboxView:
    items: list[InboxItem]
    open_total: int  # open mentions in the scope (all of them, not only those triaged)
    triaged: int  # open mentions read and triaged (at most MAX_CANDIDATES, the latest deadlines)
    now: datetime
    crises: list[Crisis] = field(default_factory=list)
    overdue_untriaged: int = 0  # open mentions not triaged whose deadline has passed whatever the triage says

    @property
    def complete(self) -> bool:
        return self.triaged >= self.open_total

    @property
    def overdue(self) -> int:
        """Overdue open mentions: the triaged ones past their deadline, and those not triaged that are past
        any deadline the triage could give them (so, when not complete, at least this many)."""
        return sum(1 for item in self.items for m in item.mentions if _overdue(m, self.now)) + self.overdue_untriaged

    @property
    def overdue_items(self) -> int:
        return sum(1 for item in self.items if item.overdue(self.now))

    @property
    def due_within_hour(self) -> int:
        soon = self.now + timedelta(hours=1)
        return sum(1 for i in self.items if i.reply_by is not None and self.now <= i.reply_by <= soon)

    def to_json(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "open": self.open_total, "triaged": self.triaged,
                "complete": self.complete, "overdue": self.overdue, "overdue_untriaged": self.overdue_untriaged,
                "overdue_items": self.overdue_items,
                "due_within_hour": self.due_within_hour, "items": [item.to_json(self.now) for item in self.items],
                "crises": [{"id": c.id, "watch": c.watch, "kind": c.kind, "title": c.title,
                            "opened_at": c.opened_at.isoformat()} for c in self.crises]}


def _overdue(mention: dict[str, Any], now: datetime) -> bool:
    deadline = parse_iso(mention.get("reply_by"))
    return deadline is not None and deadline < now


async def open_crises(client: AsyncElasticsearch, settings: Settings) -> list[Crisis]:
    """Alerts not resolved yet (open or acknowledged), as the triage needs them."""
    from pipeline.alerts.store import AlertStore

    try:
        alerts = await AlertStore(client, settings).list(active_only=True, size=200)
    except NotFoundError:
        return []
    return [Crisis(a.id, a.watch, a.kind, a.opened_at, a.title, frozenset(a.sample_ids)) for a in alerts]


async def _answered_ids(store: InboxStore, scope: Scope) -> list[str]:
    states, _ = await store.scan(answered_query(scope.since, scope.until, scope.watch), limit=MAX_STATES)
    return [s["mention_id"] for s in states]


async def _open_mentions(client: AsyncElasticsearch, settings: Settings, scope: Scope, answered: Sequence[str],
                         limit: int) -> tuple[list[dict[str, Any]], int]:
    query: Query = {"bool": {"filter": [*scope.clauses(), NEEDS_ANSWER]}}
    if answered:
        query["bool"]["must_not"] = [{"ids": {"values": list(answered)}}]
    try:
        response = await client.search(index=settings.mentions_index, size=limit, track_total_hits=True, query=query,
                                        sort=[{"reply_by": {"order": "desc"}}, {"id": {"order": "asc"}}],
                                        source=MENTION_FIELDS)
    except NotFoundError:
        return [], 0
    return [hit["_source"] for hit in response["hits"]["hits"]], response["hits"]["total"]["value"]


def triaged(mentions: Sequence[dict[str, Any]], crises: Sequence[Crisis], states: dict[str, dict[str, Any]],
            playbook_file=None) -> list[dict[str, Any]]:
    """Each mention with its triaged ``reply_by`` (the stored one kept as ``provisional_reply_by``), the
    reasons that moved it, and its inbox state (pure, given the playbook)."""
    from pipeline.tagging.playbook import load_playbook

    playbook = load_playbook(playbook_file)
    signals = signals_for(mentions, crises)
    out = []
    for mention in mentions:
        plan = playbook.plan(list(mention.get("categories") or []), mention.get("platform"),
                             parse_iso(mention.get("created_at")), signals[str(mention["id"])])
        out.append({**mention, "provisional_reply_by": mention.get("reply_by"),
                    "reply_by": plan.reply_by.isoformat() if plan.reply_by else None,
                    "reasons": list(plan.reasons), "state": states.get(str(mention["id"])) or {}})
    return out


async def load_inbox(client: AsyncElasticsearch, settings: Settings, scope: Scope, now: datetime,
                     limit: int = MAX_CANDIDATES, assignee: str = "") -> InboxView:
    """The open mentions of ``scope`` (answered ones left out), triaged, grouped, what is due now first."""
    store = InboxStore(client, settings)
    answered = await _answered_ids(store, scope)
    mentions, total = await _open_mentions(client, settings, scope, answered, limit)
    crises = await open_crises(client, settings)
    states = await store.states([m["id"] for m in mentions])
    rows = triaged(mentions, crises, states, settings.playbook_file)
    untriaged_overdue = 0
    if total > len(mentions) and not assignee:
        untriaged_overdue = await _surely_overdue(client, settings, scope, answered, mentions, now)
    if assignee:
        rows = [m for m in rows if (m["state"].get("assignee") or "") == assignee]
    return InboxView(order_for_now(group_items(rows, crises), now), total, len(mentions), now, crises,
                     untriaged_overdue)


async def _surely_overdue(client: AsyncElasticsearch, settings: Settings, scope: Scope, answered: Sequence[str],
                          read: Sequence[dict[str, Any]], now: datetime) -> int:
    """Open mentions beyond those read (earlier provisional deadlines) that are overdue whatever their triage:
    the triage moves a deadline by at most the widest network range (slowest - fastest)."""
    from pipeline.tagging.playbook import load_playbook

    playbook = load_playbook(settings.playbook_file)
    widest = max(n.slowest - n.fastest for n in playbook.networks.values())
    earliest_read = min((parse_iso(m.get("reply_by")) for m in read if m.get("reply_by")), default=now)
    bound = min(now - widest, earliest_read)
    query: Query = {"bool": {"filter": [*scope.clauses(), NEEDS_ANSWER,
                                        {"range": {"reply_by": {"lt": bound.isoformat()}}}]}}
    if answered:
        query["bool"]["must_not"] = [{"ids": {"values": list(answered)}}]
    try:
        return (await client.count(index=settings.mentions_index, query=query))["count"]
    except NotFoundError:
        return 0


async def _mentions_by_id(client: AsyncElasticsearch, settings: Settings, ids: Sequence[str]) -> dict[str, dict]:
    try:
        response = await client.search(index=settings.mentions_index, size=len(ids),
                                        query={"ids": {"values": list(ids)}}, source=MENTION_FIELDS)
    except NotFoundError:
        return {}
    return {hit["_source"]["id"]: hit["_source"] for hit in response["hits"]["hits"]}


async def apply_change(client: AsyncElasticsearch, settings: Settings, change: Change, now: datetime) -> Outcome:
    """Record ``change`` on each of its mentions; the deadline kept is the one the inbox shows for it now."""
    mentions = await _mentions_by_id(client, settings, change.ids)
    outcome = Outcome(missing=[i for i in change.ids if i not in mentions])
    if not mentions:
        raise InboxActionError(f"no mention {', '.join(change.ids[:5])} in {settings.mentions_index}")
    oldest = min((parse_iso(m.get("created_at")) or now for m in mentions.values()))
    scope = Scope(oldest - timedelta(days=CONTEXT_DAYS), now)
    store = InboxStore(client, settings)
    view = await load_inbox(client, settings, scope, now)
    shown = {m["id"]: m for item in view.items for m in item.mentions}
    missing_context = [m for i, m in mentions.items() if i not in shown]
    if missing_context:  # answered already, or beyond the triaged set: triaged with what is known of them
        shown.update({m["id"]: m for m in triaged(missing_context, view.crises, {}, settings.playbook_file)})
    states = await store.states(list(mentions))
    documents = {mention_id: applied(states.get(mention_id), change, mentions[mention_id],
                                     parse_iso(shown[mention_id].get("reply_by")), now)
                 for mention_id in change.ids if mention_id in mentions}  # all checked before any is written
    for mention_id, document in documents.items():
        await store.put(mention_id, document)
        outcome.changed.append(mention_id)
    return outcome


async def response_times(client: AsyncElasticsearch, settings: Settings, scope: Scope, now: datetime) -> kpi.ResponseTimes:
    """Response-time figures of ``scope``: answered ones from the inbox state (read in pages), open and
    overdue ones from the triaged inbox."""
    from pipeline.tagging.playbook import load_playbook

    store = InboxStore(client, settings)
    answered, complete = await store.scan(answered_query(scope.since, scope.until, scope.watch))
    view = await load_inbox(client, settings, scope, now)
    playbook = load_playbook(settings.playbook_file)
    open_rows = [{**m, "network": playbook.network_of(m.get("platform")).name}
                 for item in view.items for m in item.mentions]
    return kpi.response_times(answered, open_rows, now, complete=complete and view.complete,
                              open_total=view.open_total, overdue_untriaged=view.overdue_untriaged)

