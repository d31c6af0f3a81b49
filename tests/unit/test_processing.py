import base64

import orjson

from pipeline.privacy import Erasure, ErasureSet
from pipeline.processing import RawRecord, process_raw_batch, tag_and_route
from pipeline.tagging import Tags
from pipeline.tagging.rules import RuleTagger


def raw(value: bytes, offset: int) -> RawRecord:
    return RawRecord(value=value, topic="mentions.raw", partition=2, offset=offset, timestamp_ms=1_795_000_000_000)


GOOD = orjson.dumps({
    "platform": "twitter", "native_id": "7", "source": "x", "author": {"id": "a"},
    "text": "I love the new Lumio lamp, amazing!", "created_at": "2026-11-21T09:00:00Z",
})


def test_processing_valid_and_invalid_records_are_separated_with_reasons():
    result = process_raw_batch([raw(GOOD, 0), raw(b"garbage", 1), raw(b'{"platform":"twitter"}', 2)], RuleTagger())
    assert [d["id"] for d in result.enriched] == ["twitter:7"]
    assert [(d["offset"], d["stage"]) for d in result.dead_letters] == [(1, "validate"), (2, "validate")]
    assert all(d["reason"] and d["partition"] == 2 and d["source_topic"] == "mentions.raw" for d in result.dead_letters)
    assert base64.b64decode(result.dead_letters[0]["raw_base64"]) == b"garbage"


def test_processing_enriched_mention_carries_tags_and_ingestion_time():
    document = process_raw_batch([raw(GOOD, 0)], RuleTagger()).enriched[0]
    assert document["sentiment"] == "positive"
    assert "positive" in document["categories"]
    assert document["tagger"] == RuleTagger.name
    assert document["ingested_at"].startswith("2026-11-18")
    assert len(document["content_hash"]) == 64


class ExplodingTagger:
    name = "exploding"

    def tag_batch(self, items):
        if any("boom" in item.text for item in items):
            raise RuntimeError("model crashed")
        return [Tags(lang="en", sentiment="neutral", sentiment_score=0.0, categories=["neutral"]) for _ in items]


def test_processing_a_tagger_crash_dead_letters_only_the_mention_that_caused_it():
    boom = orjson.loads(GOOD) | {"native_id": "8", "text": "boom"}
    result = process_raw_batch([raw(GOOD, 0), raw(orjson.dumps(boom), 1)], ExplodingTagger())
    assert [d["id"] for d in result.enriched] == ["twitter:7"]
    assert result.dead_letters[0]["mention_id"] == "twitter:8"
    assert "model crashed" in result.dead_letters[0]["reason"]
    assert result.dead_letters[0]["stage"] == "tag"


def _watched(native_id: str, author: str, watches: list[str]) -> bytes:
    return orjson.dumps({
        "platform": "twitter", "native_id": native_id, "source": "x", "author": {"id": author},
        "text": "Lumio lamp broken after two days, refund please", "created_at": "2026-11-21T09:00:00Z",
        "watch": watches,
    })


def test_processing_tag_and_route_gives_records_for_every_topic():
    records = [raw(_watched("1", "a", ["Lumio", "Rivals"]), 0), raw(_watched("2", "b", []), 1), raw(b"{", 2)]
    routed = tag_and_route(records, RuleTagger())
    assert [key for key, _ in routed.enriched] == [b"twitter:1", b"twitter:2"]
    assert orjson.loads(routed.enriched[0][1])["watch"] == ["Lumio", "Rivals"]
    signals = [(key, [(s["watch"], s["id"]) for s in orjson.loads(value)]) for key, value in routed.signals]
    assert signals == [(b"Lumio", [("Lumio", "twitter:1")]), (b"Rivals", [("Rivals", "twitter:1")])]
    assert len(routed.dead_letters) == 1 and orjson.loads(routed.dead_letters[0][1])["offset"] == 2
    assert routed.erased == 0


def test_processing_tag_and_route_sends_one_signals_record_per_watch():
    records = [raw(_watched(str(n), "a", ["Lumio"] if n % 2 else ["Lumio", "Rivals"]), n) for n in range(6)]
    routed = tag_and_route(records, RuleTagger())
    by_key = {key: [s["id"] for s in orjson.loads(value)] for key, value in routed.signals}
    assert by_key == {b"Lumio": [f"twitter:{n}" for n in range(6)], b"Rivals": ["twitter:0", "twitter:2", "twitter:4"]}


def test_processing_tag_and_route_drops_erased_authors_everywhere():
    erased = ErasureSet()
    erased.add(Erasure("a", "twitter", "2026-11-21T00:00:00+00:00", "request"))
    routed = tag_and_route([raw(_watched("1", "a", ["Lumio"]), 0), raw(_watched("2", "b", ["Lumio"]), 1)],
                           RuleTagger(), erased)
    assert [key for key, _ in routed.enriched] == [b"twitter:2"]
    assert [s["id"] for _, value in routed.signals for s in orjson.loads(value)] == ["twitter:2"]
    assert routed.erased == 1
