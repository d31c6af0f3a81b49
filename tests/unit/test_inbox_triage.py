"""Triage: urgency moves the reply deadline inside the network's range; the inbox groups threads and crises."""

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.inbox.triage import (
    Crisis,
    Signals,
    crisis_of,
    delay_in_range,
    group_items,
    order_for_now,
    reason_parts,
    signals_for,
    urgency,
)
from pipeline.tagging.playbook import load_playbook

CREATED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NETWORK_RANGES = {"twitter": (15, 60), "facebook": (30, 240), "instagram": (30, 240), "forum": (120, 1440),
                  "blog": (120, 1440)}


@pytest.fixture(scope="module")
def playbook():
    return load_playbook()


def _minutes(playbook, categories, platform, signals=None):
    plan = playbook.plan(categories, platform, CREATED, signals)
    return (plan.reply_by - CREATED) / timedelta(minutes=1)


def test_inbox_triage_urgency_is_clamped_and_explained():
    calm = urgency(0.5, Signals(followers=50))
    hot = urgency(0.5, Signals(followers=250_000, in_open_crisis=True, earlier_complaints=3, is_reply=True))
    assert calm.score == 0.25 and calm.reasons == ("small_audience:50",)
    assert hot.score == 1.0
    assert hot.reasons == ("large_audience:250000", "open_crisis", "repeat_complaint:4", "reply")
    assert reason_parts("repeat_complaint:4") == ("repeat_complaint", 4) and reason_parts("reply") == ("reply", None)
    assert urgency(0.5).score == 0.5 and urgency(0.5).reasons == ()


def test_inbox_triage_delay_spans_the_range():
    assert delay_in_range(timedelta(minutes=15), timedelta(minutes=60), 1.0) == timedelta(minutes=15)
    assert delay_in_range(timedelta(minutes=15), timedelta(minutes=60), 0.0) == timedelta(minutes=60)
    assert delay_in_range(timedelta(minutes=15), timedelta(minutes=60), 2.0) == timedelta(minutes=15)


@pytest.mark.parametrize("platform", sorted(NETWORK_RANGES))
@pytest.mark.parametrize("category", ["complaint", "positive", "review", "troll", "counterfeit", "legal_violation"])
@pytest.mark.parametrize("signals", [None, Signals(followers=10), Signals(followers=2_000_000, in_open_crisis=True,
                                                                          earlier_complaints=2, thread_size=5)])
def test_inbox_triage_deadline_stays_in_the_network_range(playbook, platform, category, signals):
    fastest, slowest = NETWORK_RANGES[platform]
    minutes = _minutes(playbook, [category], platform, signals)
    if category == "complaint":
        assert minutes <= 60  # a complaint within the hour everywhere
        assert minutes >= min(fastest, 60)
    else:
        assert fastest <= minutes <= slowest


def test_inbox_triage_complaints_are_no_longer_all_due_at_the_fastest(playbook):
    small = _minutes(playbook, ["complaint"], "twitter", Signals(followers=40))
    usual = _minutes(playbook, ["complaint"], "twitter", Signals(followers=1_500))
    large = _minutes(playbook, ["complaint"], "twitter", Signals(followers=400_000))
    crisis = _minutes(playbook, ["complaint"], "twitter", Signals(followers=1_500, in_open_crisis=True))
    repeat = _minutes(playbook, ["complaint"], "twitter", Signals(followers=1_500, earlier_complaints=1))
    assert large == 15 < repeat < usual < small <= 60
    assert crisis == 15
    assert _minutes(playbook, ["complaint"], "facebook", Signals(followers=40)) == 60  # the cap


def test_inbox_triage_reach_moves_praise_but_keeps_it_after_complaints(playbook):
    praise_star = _minutes(playbook, ["positive"], "instagram", Signals(followers=500_000))
    praise = _minutes(playbook, ["positive"], "instagram", Signals(followers=500))
    assert praise_star < praise == 240
    assert _minutes(playbook, ["complaint"], "instagram", Signals(followers=500)) < praise_star


def test_inbox_triage_organisation_duration_is_kept_as_given(tmp_path):
    override = tmp_path / "acme.yaml"
    override.write_text("categories:\n  troll:\n    action: report\n    priority: high\n    deadline: 10m\n")
    plan = load_playbook(override).plan(["troll"], "forum", CREATED, Signals(followers=10, in_open_crisis=True))
    assert plan.reply_by == CREATED + timedelta(minutes=10)


def _mention(mention_id, minutes=0, author="a", categories=("complaint",), watch="Acme", **extra):
    return {"id": mention_id, "platform": "twitter", "created_at": (CREATED + timedelta(minutes=minutes)).isoformat(),
            "author": {"id": author, "followers": 1000}, "categories": list(categories), "watch": [watch], **extra}


CRISIS = Crisis("alert-1", "Acme", "complaint_spike", CREATED + timedelta(hours=2), "Acme: complaints")


def test_inbox_triage_crisis_membership_needs_watch_kind_and_time():
    assert crisis_of(_mention("t:1", minutes=90), [CRISIS]) is CRISIS  # within the hour before it opened
    assert crisis_of(_mention("t:2", minutes=0), [CRISIS]) is None  # before the spike
    assert crisis_of(_mention("t:3", minutes=150, categories=("positive",)), [CRISIS]) is None
    assert crisis_of(_mention("t:4", minutes=150, watch="Other"), [CRISIS]) is None
    cited = Crisis("alert-2", "Acme", "volume_spike", CREATED + timedelta(days=1), sample_ids=frozenset({"t:2"}))
    assert crisis_of(_mention("t:2"), [cited]) is cited


def test_inbox_triage_signals_count_earlier_complaints_and_threads():
    mentions = [_mention("t:1", 0, "ann"), _mention("t:2", 10, "ann"), _mention("t:3", 20, "ann"),
                _mention("t:4", 5, "bob", conversation_id="c1"), _mention("t:5", 6, "cy", conversation_id="c1",
                                                                         parent_id="t:4")]
    mentions.append(_mention("t:6", 30, "ann", categories=("troll",)))
    signals = signals_for(mentions, [])
    assert [signals[f"t:{i}"].earlier_complaints for i in (1, 2, 3)] == [0, 1, 2]
    assert signals["t:6"].earlier_complaints == 0  # a repeat counts for a complaint, not for a troll
    assert signals["t:4"].thread_size == 2 and signals["t:5"].is_reply
    assert signals["t:1"].thread_size == 1 and not signals["t:1"].is_reply


def test_inbox_triage_groups_a_thread_and_a_crisis_as_one_item_each():
    mentions = [
        {**_mention("t:1", 90), "reply_by": (CREATED + timedelta(minutes=100)).isoformat()},
        {**_mention("t:2", 100), "reply_by": (CREATED + timedelta(minutes=110)).isoformat()},
        {**_mention("t:3", 0, categories=("positive",), conversation_id="c1"),
         "reply_by": (CREATED + timedelta(minutes=50)).isoformat()},
        {**_mention("t:4", 1, categories=("positive",), conversation_id="c1"),
         "reply_by": (CREATED + timedelta(minutes=40)).isoformat()},
        {**_mention("t:5", 2, categories=("positive",)), "reply_by": None},
        {**_mention("t:6", 3, categories=("positive",), conversation_id="t:6"),  # a first post and its reply
         "reply_by": (CREATED + timedelta(minutes=300)).isoformat()},
        {**_mention("t:7", 4, categories=("positive",), conversation_id="t:6", parent_id="t:6"),
         "reply_by": (CREATED + timedelta(minutes=310)).isoformat()},
    ]
    items = group_items(mentions, [CRISIS])
    assert [(i.kind, sorted(i.ids)) for i in items] == [("thread", ["t:3", "t:4"]), ("crisis", ["t:1", "t:2"]),
                                                        ("thread", ["t:6", "t:7"]), ("mention", ["t:5"])]
    thread = items[0]
    assert thread.reply_by == CREATED + timedelta(minutes=40) and thread.lead["id"] == "t:4"
    now = CREATED + timedelta(minutes=105)
    ordered = order_for_now(items, now)
    assert [i.kind for i in ordered] == ["crisis", "thread", "thread", "mention"]
    assert ordered[0].overdue(now) and ordered[0].to_json(now)["seconds_left"] == -300


def test_inbox_triage_order_for_now_crisis_then_freshest_overdue_then_upcoming():
    def one(mention_id, deadline_minutes, **extra):
        return {**_mention(mention_id, 0, categories=("positive",), **extra),
                "reply_by": (CREATED + timedelta(minutes=deadline_minutes)).isoformat()}
    mentions = [one("t:old", 10), one("t:fresh", 95), one("t:soon", 130), one("t:later", 400),
                {**_mention("t:crisis", 90), "reply_by": (CREATED + timedelta(minutes=5)).isoformat()}]
    ordered = order_for_now(group_items(mentions, [CRISIS]), CREATED + timedelta(minutes=100))
    assert [i.ids[0] for i in ordered] == ["t:crisis", "t:fresh", "t:old", "t:soon", "t:later"]
