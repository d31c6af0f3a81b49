"""The playbook turns categories, network and creation time into the CM's action, priority and reply_by."""

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.mention import CATEGORIES
from pipeline.tagging.playbook import PlaybookError, load_playbook, parse_duration

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def playbook():
    return load_playbook()


@pytest.mark.parametrize(("text", "expected"), [("15m", 15), ("4h", 240), ("1d", 1440), (45, 45), ("2.5h", 150)])
def test_playbook_parse_duration_units(text, expected):
    assert parse_duration(text) == timedelta(minutes=expected)


def test_playbook_parse_duration_rejects_garbage():
    with pytest.raises(PlaybookError):
        parse_duration("soon")


@pytest.mark.parametrize("platform", ["twitter", "facebook", "instagram", "forum", "blog", None])
def test_playbook_complaint_answered_within_an_hour_everywhere(playbook, platform):
    plan = playbook.plan(["complaint"], platform, CREATED)
    assert plan.reply_by is not None
    assert plan.reply_by - CREATED <= timedelta(hours=1)
    assert "solve" in plan.action


def test_playbook_deadline_follows_network_range(playbook):
    twitter = playbook.plan(["positive"], "twitter", CREATED).reply_by - CREATED
    facebook = playbook.plan(["positive"], "facebook", CREATED).reply_by - CREATED
    forum = playbook.plan(["positive"], "forum", CREATED).reply_by - CREATED
    assert timedelta(minutes=15) <= twitter <= timedelta(minutes=60)
    assert timedelta(minutes=30) <= facebook <= timedelta(hours=4)
    assert timedelta(hours=2) <= forum <= timedelta(hours=24)
    assert twitter < facebook < forum


def test_playbook_neutral_means_nothing_to_do(playbook):
    plan = playbook.plan(["neutral"], "twitter", CREATED)
    assert plan.reply_by is None
    assert plan.priority == "none"


def test_playbook_most_serious_category_decides(playbook):
    legal = playbook.plan(["legal_violation"], "twitter", CREATED)
    both = playbook.plan(["positive", "troll", "legal_violation"], "twitter", CREATED)
    assert both == legal
    assert "remove" in legal.action


def test_playbook_every_category_has_an_action(playbook):
    for category in CATEGORIES:
        assert playbook.plan([category], "twitter", CREATED).action


def test_playbook_without_created_at_has_no_deadline(playbook):
    assert playbook.plan(["complaint"], "twitter", None).reply_by is None


def test_playbook_organisation_override_merges(tmp_path):
    override = tmp_path / "acme.yaml"
    override.write_text("categories:\n  troll:\n    action: report to moderation\n    priority: high\n    deadline: 10m\n")
    playbook = load_playbook(override)
    plan = playbook.plan(["troll"], "forum", CREATED)
    assert plan.action == "report to moderation"
    assert plan.reply_by == CREATED + timedelta(minutes=10)
    assert playbook.plan(["complaint"], "twitter", CREATED) == load_playbook().plan(["complaint"], "twitter", CREATED)


def test_playbook_override_with_unknown_category_is_rejected(tmp_path):
    override = tmp_path / "bad.yaml"
    override.write_text("categories:\n  spam:\n    action: delete\n    priority: low\n    deadline: 1h\n")
    with pytest.raises(PlaybookError, match="spam"):
        load_playbook(override)


def test_playbook_earliest_deadline_of_all_categories_wins(playbook):
    troll_only = playbook.plan(["troll"], "forum", CREATED)
    troll_and_complaint = playbook.plan(["troll", "complaint"], "forum", CREATED)
    assert troll_only.reply_by - CREATED > timedelta(hours=1)
    assert troll_and_complaint.reply_by - CREATED <= timedelta(hours=1)
