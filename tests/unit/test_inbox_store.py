"""Inbox state changes as pure functions: checked input, the first answer kept, the mention's facts copied."""

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.inbox.store import InboxActionError, answered_query, applied, check_change

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
MENTION = {"id": "twitter:1", "platform": "twitter", "created_at": "2026-12-02T09:00:00+00:00",
           "categories": ["complaint"], "watch": ["Acme"], "conversation_id": "c9"}


@pytest.mark.parametrize(("args", "message"), [
    (("shout", ["twitter:1"], "ana"), "action must be"),
    (("answer", [" "], "ana"), "which mention"),
    (("answer", ["twitter:1"], "  "), "who is acting"),
    (("assign", ["twitter:1"], "ana"), "assign to whom"),
    (("note", ["twitter:1"], "ana", "", "   "), "note is empty"),
    (("note", ["twitter:1"], "ana", "", "x" * 2001), "at most 2000"),
])
def test_inbox_store_check_change_refuses_what_cannot_be_done(args, message):
    with pytest.raises(InboxActionError, match=message):
        check_change(*args)


def test_inbox_store_applied_assign_note_answer_reopen():
    deadline = NOW - timedelta(minutes=30)
    state = applied(None, check_change("assign", ["twitter:1"], "ana", assignee="bo"), MENTION, deadline, NOW)
    assert state["assignee"] == "bo" and state["assigned_by"] == "ana"
    assert state["network"] == "microblog" and state["thread"] == "c9" and state["reply_by"] == deadline.isoformat()
    state = applied(state, check_change("note", ["twitter:1"], "bo", note="called her"), MENTION, deadline, NOW)
    state = applied(state, check_change("note", ["twitter:1"], "ana", note="refund sent"), MENTION, deadline, NOW)
    assert [n["text"] for n in state["notes"]] == ["called her", "refund sent"]
    first = NOW - timedelta(minutes=40)
    state = applied(state, check_change("answer", ["twitter:1"], "bo", at=first), MENTION, deadline, NOW)
    later = applied(state, check_change("answer", ["twitter:1"], "ana"), MENTION, NOW + timedelta(hours=1), NOW)
    assert later["answered_at"] == first.isoformat() and later["answered_by"] == "bo"
    assert later["reply_by"] == deadline.isoformat()  # the deadline it was answered against stays
    assert later["assignee"] == "bo" and len(later["notes"]) == 2
    reopened = applied(later, check_change("reopen", ["twitter:1"], "ana"), MENTION, deadline, NOW)
    assert "answered_at" not in reopened and reopened["notes"] == later["notes"]


def test_inbox_store_answered_query_filters_period_and_watch():
    query = answered_query(NOW - timedelta(days=7), NOW, "Acme")
    filters = query["bool"]["filter"]
    assert {"exists": {"field": "answered_at"}} in filters
    assert {"term": {"watch": "Acme"}} in filters
    assert {"range": {"created_at": {"gte": (NOW - timedelta(days=7)).isoformat(), "lte": NOW.isoformat()}}} in filters


@pytest.mark.parametrize(("at", "message"), [(NOW + timedelta(hours=1), "in the future"),
                                             (NOW - timedelta(hours=2), "was posted at")])
def test_inbox_store_answer_time_must_be_after_posting_and_not_ahead(at, message):
    with pytest.raises(InboxActionError, match=message):
        applied(None, check_change("answer", ["twitter:1"], "ana", at=at), MENTION, None, NOW)
