"""Erasures: the records ``veille erase`` writes and the set every reader of the log builds from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pytest

from pipeline.mention import parse_mention
from pipeline.privacy import (
    ErasureSet,
    author_query,
    erased_authors,
    erasure_key,
    keep_unerased,
    new_erasure,
    older_than_query,
)


@dataclass
class Record:
    key: bytes | None
    value: bytes | None


def _mention(author_id: str, platform: str = "mastodon", native_id: str = "1") -> dict:
    return {"id": f"{platform}:{native_id}", "platform": platform, "native_id": native_id, "source": "s",
            "author": {"id": author_id}, "text": "bonjour", "created_at": "2026-11-01T00:00:00Z"}


def test_privacy_erasure_record_is_never_a_kafka_tombstone():
    erasure = new_erasure("42", reason="ticket 7", now=datetime(2026, 11, 21, tzinfo=UTC))
    assert erasure.key == b"author:*:42"
    value = orjson.loads(erasure.value())  # a null value would let compaction forget the erasure
    assert value == {"type": "author", "author_id": "42", "platform": None,
                     "requested_at": "2026-11-21T00:00:00+00:00", "reason": "ticket 7"}


def test_privacy_erasure_needs_an_author_id():
    with pytest.raises(ValueError, match="author id"):
        new_erasure("  ")


def test_privacy_erased_author_is_recognised_on_every_platform_as_dict_and_model():
    erased = erased_authors([Record(*_as_record(new_erasure("42")))])
    assert erased.is_erased(_mention("42", "mastodon"))
    assert erased.is_erased(_mention("42", "reddit"))
    assert erased.is_erased(parse_mention(orjson.dumps(_mention("42"))))
    assert not erased.is_erased(_mention("43"))


def test_privacy_platform_erasure_keeps_the_same_id_on_other_platforms():
    erased = erased_authors([Record(*_as_record(new_erasure("42", platform="reddit")))])
    assert erased.is_erased(_mention("42", "reddit"))
    assert not erased.is_erased(_mention("42", "mastodon"))


def test_privacy_kafka_tombstone_lifts_an_erasure_and_odd_records_are_ignored():
    erased = erased_authors([
        Record(*_as_record(new_erasure("42"))),
        Record(b"author:*:43", b"{}"),
        Record(b"author:*:43", None),
        Record(None, b"x"),
        Record(b"author-no-colons", b"x"),
        Record(b"\xff\xfe", b"x"),
    ])
    assert len(erased) == 1
    assert erased.is_erased(_mention("42")) and not erased.is_erased(_mention("43"))


def test_privacy_mentions_without_author_are_not_erased():
    erased = ErasureSet()
    erased.add(new_erasure("42"))
    assert not erased.is_erased({"id": "x:1"})
    assert not erased.is_erased({"author": "42"})


def test_privacy_keep_unerased_counts_what_it_drops():
    erased = ErasureSet()
    erased.add(new_erasure("42"))
    kept, dropped = keep_unerased([_mention("42", native_id="1"), _mention("7", native_id="2")], erased)
    assert [m["id"] for m in kept] == ["mastodon:2"] and dropped == 1


def test_privacy_queries_are_plain_elasticsearch_dsl():
    assert author_query("42", "reddit") == {"bool": {"filter": [{"term": {"author.id": "42"}},
                                                                  {"term": {"platform": "reddit"}}]}}
    assert older_than_query(30, now=datetime(2026, 11, 21, tzinfo=UTC)) == {
        "range": {"created_at": {"lt": "2026-10-22T00:00:00+00:00"}}}


def test_privacy_erasure_key_distinguishes_platforms():
    assert erasure_key("42", "reddit") != erasure_key("42")


def _as_record(erasure) -> tuple[bytes, bytes]:
    return erasure.key, erasure.value()


# --- stored CM corrections ------------------------------------------------------------------------

from pipeline.tagging.feedback import FeedbackRecord, append_feedback, read_feedback  # noqa: E402


def _feedback(mention_id, text, author_id=None, platform=None):
    return FeedbackRecord(id=mention_id, text=text, author_id=author_id, platform=platform, add=["complaint"])


def test_privacy_feedback_of_an_erased_author_is_dropped_by_author_or_mention_id():
    from pipeline.privacy import keep_unerased_feedback

    erased = ErasureSet()
    erased.add(new_erasure("victim"))
    erased.add(new_erasure("local", platform="forum"))
    records = [
        _feedback("mastodon:1", "texte de la victime", "victim", "mastodon"),
        _feedback("mastodon:2", "ancienne correction sans auteur"),  # found by its mention id
        _feedback("twitter:3", "un autre auteur", "someone", "twitter"),
        _feedback("forum:4", "local au forum", "local", "forum"),
        _feedback("twitter:5", "même id sur une autre plateforme", "local", "twitter"),
        _feedback(None, "saisie à la main"),
    ]
    kept, dropped = keep_unerased_feedback(records, erased, erased_mention_ids={"mastodon:2"})
    assert [r.text for r in kept] == ["un autre auteur", "même id sur une autre plateforme", "saisie à la main"]
    assert dropped == 3


def test_privacy_rewrite_feedback_removes_the_erased_lines_and_keeps_the_rest(tmp_path):
    from pipeline.privacy import rewrite_feedback

    path = tmp_path / "feedback" / "feedback.jsonl"
    for record in (_feedback("mastodon:1", "texte de la victime", "victim", "mastodon"),
                   _feedback("twitter:3", "un autre auteur", "someone", "twitter")):
        append_feedback(path, record)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json, kept as it was}\n")
    erased = ErasureSet()
    erased.add(new_erasure("victim"))
    assert rewrite_feedback(path, erased) == 1
    assert "victime" not in path.read_text(encoding="utf-8")
    assert "{not json, kept as it was}" in path.read_text(encoding="utf-8")
    assert rewrite_feedback(path, erased) == 0
    assert rewrite_feedback(tmp_path / "missing.jsonl", erased) == 0
    assert [r.text for r in read_feedback(path, skip_unreadable=True)] == ["un autre auteur"]


def test_privacy_evidence_without_erased_ids():
    from pipeline.privacy import without_ids

    assert without_ids(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert without_ids(None, {"b"}) == []
