"""What the tag agent does to a batch of raw Kafka records, as a pure function.

Raw bytes in; enriched mention dicts and dead-letter dicts out. Nothing here touches Kafka, so the
whole path from bytes to tags is tested without a broker.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from pipeline.alerts.raid import text_sketch
from pipeline.authors.health import batch_health
from pipeline.mention import AuthorHealth, EnrichedMention, InvalidMention, Mention, parse_mention
from pipeline.privacy import ErasureSet, keep_unerased
from pipeline.tagging import TagInput, Tagger, Tags
from pipeline.timestamps import from_epoch_ms
from pipeline.trends.signals import signal_records, signals_for

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawRecord:
    value: bytes | None
    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    timestamp_ms: int | None = None


@dataclass
class BatchResult:
    enriched: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    partitions: dict[str, int] = field(default_factory=dict)  # mention id → the raw partition it was read from
    sketches: dict[str, str] = field(default_factory=dict)  # mention id → text_sketch of its text (signals reuse it)


def dead_letter(
    reason: str, stage: str, *, topic: str, partition: int | None, offset: int | None,
    raw: bytes | None, mention_id: str | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """One dead-letter record: enough to find the original, understand the failure and replay it."""
    raw = raw or b""
    return {
        "reason": reason,
        "stage": stage,
        "mention_id": mention_id,
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "failed_at": (now or datetime.now(UTC)).isoformat(),
        "raw_base64": base64.b64encode(raw).decode("ascii"),
        "raw_preview": raw[:500].decode("utf-8", errors="replace"),
    }


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def enrich(mention: Mention, tags: Tags, tagger_name: str, now: datetime, ingested_at: datetime | None,
           author_health: AuthorHealth | None = None) -> dict[str, Any]:
    enriched = EnrichedMention(
        **mention.model_dump(),
        lang=tags.lang,
        sentiment=tags.sentiment,
        sentiment_score=max(-1.0, min(1.0, float(tags.sentiment_score))),
        categories=list(tags.categories),
        scores={k: round(float(v), 4) for k, v in tags.scores.items()},
        action=tags.action,
        priority=tags.priority,
        reply_by=tags.reply_by,
        tagged_at=now,
        tagger=tagger_name,
        ingested_at=ingested_at,
        author_health=author_health,
    )
    document = enriched.model_dump(mode="json")
    document["content_hash"] = content_hash(mention.text)
    return document


def tag_input_for(mention: Mention) -> TagInput:
    return TagInput(
        text=mention.text if not mention.title else f"{mention.title}\n{mention.text}",
        lang=mention.language,
        platform=mention.platform.value,
        created_at=mention.created_at,
        watch=tuple(mention.watch),
    )


def _where(record: RawRecord) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


def process_raw_batch(records: Sequence[RawRecord], tagger: Tagger, now: datetime | None = None) -> BatchResult:
    """Validate and tag a batch of raw mention records.

    Invalid records and records the tagger cannot handle become dead letters with the reason; the
    rest come out enriched, in input order. Never raises for bad input.
    """
    now = now or datetime.now(UTC)
    result = BatchResult()
    valid: list[tuple[RawRecord, Mention]] = []
    for record in records:
        try:
            mention = parse_mention(record.value or b"")
        except InvalidMention as exc:
            log.warning("invalid mention %s at %s: %s", exc.mention_id or "?", _where(record), exc.reason)
            result.dead_letters.append(dead_letter(
                exc.reason, "validate", topic=record.topic, partition=record.partition, offset=record.offset,
                raw=record.value, mention_id=exc.mention_id, now=now))
            continue
        valid.append((record, mention))
    if not valid:
        return result

    inputs = [tag_input_for(m) for _, m in valid]
    result.sketches = {m.id: text_sketch(m.text) for _, m in valid}
    health = batch_health([m for _, m in valid], sketches=[result.sketches[m.id] for _, m in valid])
    try:
        tags_list = tagger.tag_batch(inputs)
    except Exception:
        log.exception("tagger failed on a batch of %d; tagging one at a time", len(inputs))
        tags_list = None

    for index, (record, mention) in enumerate(valid):
        try:
            tags = tags_list[index] if tags_list is not None else tagger.tag_batch([inputs[index]])[0]
            ingested = from_epoch_ms(record.timestamp_ms) if record.timestamp_ms else None
            result.enriched.append(enrich(mention, tags, tagger.name, now, ingested, health[mention.id]))
            result.partitions[mention.id] = record.partition
        except Exception as exc:
            reason = f"tagging failed: {type(exc).__name__}: {exc}"
            log.error("mention %s at %s: %s", mention.id, _where(record), reason)
            result.dead_letters.append(dead_letter(
                reason, "tag", topic=record.topic, partition=record.partition, offset=record.offset,
                raw=record.value, mention_id=mention.id, now=now))
    return result


@dataclass
class RoutedBatch:
    """A tagged batch as the records to send, serialised: ``(key, value)`` for ``mentions.enriched``,
    ``watch.signals`` (per watch: arrays of its mentions' signals, each record under
    ``MAX_SIGNAL_RECORD_BYTES`` whatever the batch) and the dead-letter topic."""

    enriched: list[tuple[bytes, bytes]] = field(default_factory=list)
    signals: list[tuple[bytes, bytes]] = field(default_factory=list)
    dead_letters: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    erased: int = 0


def tag_and_route(records: Sequence[RawRecord], tagger: Tagger, erased: ErasureSet | None = None,
                  now: datetime | None = None) -> RoutedBatch:
    """The tag stage whole: validate and tag (:func:`process_raw_batch`), drop erased authors' mentions,
    and derive each mention's per-watch signals for the trend and crisis agents."""
    result = process_raw_batch(records, tagger, now)
    enriched, dropped = keep_unerased(result.enriched, erased) if erased else (result.enriched, 0)
    return RoutedBatch(
        enriched=[(document["id"].encode(), orjson.dumps(document)) for document in enriched],
        signals=signal_records([signal for document in enriched
                                for signal in signals_for(document, partition=result.partitions.get(document["id"]),
                                                          sketch=result.sketches.get(document["id"]))]),
        dead_letters=[((letter["mention_id"] or "").encode() or None, orjson.dumps(letter))
                      for letter in result.dead_letters],
        erased=dropped,
    )
