"""The committed sample stream (data/sample/*.jsonl): valid, unique, bilingual, with its crisis burst."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta

import orjson
import pytest

from pipeline.mention import CATEGORIES, InvalidMention, Mention, parse_mention
from tools.sample import phrases
from tools.sample.generate import DEFAULT_OUT, MALFORMED_CASES, dump_jsonl, generate

SAMPLE_DIR = DEFAULT_OUT.parent


def _read_jsonl(name: str) -> list[dict]:
    return [orjson.loads(line) for line in (SAMPLE_DIR / name).read_bytes().splitlines()]


@pytest.fixture(scope="module")
def mentions() -> list[dict]:
    return _read_jsonl("mentions.jsonl")


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    return _read_jsonl("labels.jsonl")


def _when(mention: dict) -> datetime:
    return datetime.fromisoformat(mention["created_at"])


def test_sample_every_line_is_a_valid_mention(mentions):
    assert 3000 <= len(mentions) <= 4000
    for raw in mentions:
        mention = Mention.model_validate(raw)
        assert mention.id == raw["id"]
        assert mention.watch, raw["id"]


def test_sample_ids_are_unique(mentions):
    ids = [m["id"] for m in mentions]
    assert len(set(ids)) == len(ids)


def test_sample_file_stays_small():
    assert (SAMPLE_DIR / "mentions.jsonl").stat().st_size < 3_000_000


def test_sample_is_sorted_by_time_over_48_hours(mentions):
    times = [_when(m) for m in mentions]
    assert times == sorted(times)
    assert timedelta(hours=46) < times[-1] - times[0] <= timedelta(hours=48)


def test_sample_has_both_languages_mostly_french(labels):
    languages = Counter(label["lang"] for label in labels)
    assert set(languages) == {"fr", "en"}
    assert 0.5 <= languages["fr"] / len(labels) <= 0.7


def test_sample_labels_match_mentions_line_by_line(mentions, labels):
    assert [label["id"] for label in labels] == [m["id"] for m in mentions]
    for label in labels:
        assert label["intended_categories"] and set(label["intended_categories"]) <= set(CATEGORIES)
        assert label["intended_sentiment"] in ("negative", "neutral", "positive")
        assert isinstance(label["in_crisis_burst"], bool)


def test_sample_covers_every_category(labels):
    seen = Counter(c for label in labels for c in label["intended_categories"])
    assert set(seen) == set(CATEGORIES)


def test_sample_burst_is_five_times_the_median_hour(mentions, labels):
    burst_times = [_when(m) for m, label in zip(mentions, labels, strict=True) if label["in_crisis_burst"]]
    assert len(burst_times) >= 300
    first, last = min(burst_times), max(burst_times)
    assert last - first <= timedelta(hours=2)
    in_window = sum(1 for m in mentions if first <= _when(m) <= last)
    burst_rate = in_window / ((last - first).total_seconds() / 3600)

    start = _when(mentions[0]).replace(minute=0, second=0)
    per_hour = Counter(int((_when(m) - start).total_seconds() // 3600) for m in mentions)
    median_hour = statistics.median(per_hour.get(h, 0) for h in range(48))
    assert burst_rate >= 5 * median_hour


def test_sample_burst_is_mostly_negative_aquarelle(mentions, labels):
    burst = [(m, label) for m, label in zip(mentions, labels, strict=True) if label["in_crisis_burst"]]
    assert all("Aquarelle" in m["watch"] for m, _ in burst)
    negative = sum(1 for _, label in burst if label["intended_sentiment"] == "negative")
    assert negative / len(burst) > 0.75


def test_sample_crisis_hashtag_emerges_with_the_burst(mentions, labels):
    burst_start = min(_when(m) for m, label in zip(mentions, labels, strict=True) if label["in_crisis_burst"])
    tag = phrases.CRISIS_HASHTAG.lower()
    before = sum(1 for m in mentions if _when(m) < burst_start and tag in m["text"].lower())
    after = sum(1 for m in mentions if _when(m) >= burst_start and tag in m["text"].lower())
    assert before == 0
    assert after >= 200


def test_sample_some_mentions_name_a_brand_and_the_competitor(mentions):
    both = [m for m in mentions if phrases.COMPETITOR in m["watch"] and len(m["watch"]) > 1]
    assert len(both) >= 50


def test_sample_replies_point_to_earlier_mentions(mentions):
    by_id = {m["id"]: m for m in mentions}
    replies = [m for m in mentions if m.get("parent_id")]
    assert len(replies) >= 300
    for reply in replies:
        parent = by_id.get(reply["parent_id"])
        if parent is None:  # a comment under a reddit post that is not itself a mention
            assert reply["parent_id"].startswith("reddit:t3_"), reply["id"]
            continue
        assert reply["platform"] == parent["platform"]
        assert _when(parent) < _when(reply)
        assert reply["conversation_id"] == parent.get("conversation_id", parent["id"])


def test_sample_follows_a_daily_rhythm(mentions, labels):
    # Paris is UTC+1 in the sample's week: 01:00-05:00 local is 00-04 UTC, 18:00-22:00 local is 17-21 UTC.
    french = [_when(m) for m, label in zip(mentions, labels, strict=True) if label["lang"] == "fr" and not label["scenario"].startswith("crisis")]
    night = sum(1 for t in french if 0 <= t.hour < 4)
    evening = sum(1 for t in french if 17 <= t.hour < 21)
    assert evening > 4 * night


def test_sample_declares_language_on_some_platforms_only(mentions):
    declared = Counter(m["platform"] for m in mentions if "language" in m)
    assert declared["twitter"] > 0
    assert declared["facebook"] == declared["instagram"] == declared["reddit"] == 0


def test_sample_followers_are_heavy_tailed(mentions):
    followers = sorted(m["author"]["followers"] for m in mentions if "followers" in m["author"])
    median = followers[len(followers) // 2]
    assert followers[-1] > 100 * median


def test_sample_committed_file_is_what_the_generator_writes(mentions):
    regenerated = generate(seed=7, count=len(mentions))
    assert dump_jsonl(regenerated.mentions) == (SAMPLE_DIR / "mentions.jsonl").read_bytes()
    assert dump_jsonl(regenerated.labels) == (SAMPLE_DIR / "labels.jsonl").read_bytes()


def test_sample_every_malformed_line_is_rejected():
    lines = (SAMPLE_DIR / "malformed.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) == len(MALFORMED_CASES) >= 20
    for line in lines:
        with pytest.raises(InvalidMention):
            parse_mention(line)
