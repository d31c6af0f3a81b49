"""What every live connector does with what it fetched, in one place.

:class:`LiveConnector` turns a normaliser's result into Kafka records: each new mention (deduplicated
by id) is matched against the watches, gets the names it matched in ``watch`` and goes to
``mentions.raw`` keyed by its id; mentions no watch claims are counted and dropped; items the
normaliser rejected go to the dead-letter topic with the connector's name, where they came from, the
reason and the raw bytes; deletions reported by the platform go to the ``erasures`` topic so that a
deleted post is not kept. It also keeps the per-stream cursors, the statistics ``veille status``
shows and the checkpoint that carries them across restarts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import orjson

from pipeline.mention import Mention
from pipeline.processing import dead_letter
from pipeline.settings import Settings
from pipeline.sources.base import RecordSink
from pipeline.sources.checkpoint import CheckpointStore, RecentIds
from pipeline.sources.http import FetchError, PoliteClient, ResponseTooLarge
from pipeline.sources.options import SourceOptions
from pipeline.sources.results import NormalizeResult
from pipeline.topics import DEADLETTER, ERASURES, RAW
from pipeline.watches import Watches
from pipeline.timestamps import format_iso, utc_now

log = logging.getLogger(__name__)

MAX_DEAD_LETTER_RAW = 512 * 1024  # a dead letter must fit in one Kafka message

@dataclass
class ItemCounts:
    """What became of the items of one payload (:class:`EmitOutcome`) or of all so far (:class:`ConnectorStats`)."""

    sent: int = 0
    duplicates: int = 0
    unmatched: int = 0
    dead_letters: int = 0
    deletions: int = 0
    skipped: int = 0


@dataclass
class ConnectorStats(ItemCounts):
    fetches: int = 0
    refused: int = 0  # webhook calls refused (signature, size)
    errors: int = 0
    last_success_at: str | None = None
    last_error_at: str | None = None
    last_error: str | None = None
    newest_item_at: str | None = None
    cursor_at: str | None = None  # how far the source has been read (stream cursor or last poll)

    @classmethod
    def from_dict(cls, data: Any) -> ConnectorStats:
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ConnectorContext:
    settings: Settings
    sink: RecordSink
    watches: Watches
    checkpoints: CheckpointStore
    http: PoliteClient | None = None


@dataclass
class EmitOutcome(ItemCounts):
    newest: datetime | None = None
    oldest: datetime | None = None  # of every mention in the payload, matched or not (paging decisions)


class LiveConnector:
    """Base of the live connectors. Subclasses implement :meth:`run` (or :meth:`streams` and
    :meth:`poll_stream` for polling sources) and call :meth:`emit`."""

    type = "live"
    default_base_url = ""
    keep_declared_watch = False  # sources of already-normalised mentions keep the watches they carry

    def __init__(self, spec: SourceOptions, context: ConnectorContext):
        self.spec = spec
        self.name = spec.name
        self.context = context
        self.settings = context.settings
        self.sink = context.sink
        self.watches = context.watches
        self.base_url = (spec.base_url or self.default_base_url).rstrip("/")
        state = context.checkpoints.get(self.name)
        self.cursors: dict[str, dict[str, Any]] = dict(state.get("cursors") or {})
        self.recent = RecentIds(max(self.settings.connector.remember_ids * 5, 1000), state.get("recent_ids") or ())
        self.stats = ConnectorStats.from_dict(state.get("stats"))
        self.raw_topic = self.settings.topic(RAW)
        self.dead_letter_topic = self.settings.topic(DEADLETTER)
        self.erasures_topic = self.settings.topic(ERASURES)
        self._last_checkpoint = 0.0
        self._bad_payloads: dict[str, str | None] = dict(state.get("bad_payloads") or {})

    @property
    def http(self) -> PoliteClient:
        assert self.context.http is not None, "this connector needs the shared HTTP client"
        return self.context.http

    @property
    def poll_seconds(self) -> float:
        return self.spec.poll_seconds or self.settings.connector.poll_seconds

    # --- emitting --------------------------------------------------------------------------------

    async def emit(self, result: NormalizeResult, *, payload: bytes, where: str) -> EmitOutcome:
        outcome = EmitOutcome()
        # The same broken response served again (a stuck feed) is dead-lettered once, not every poll.
        fingerprint = hashlib.sha256(payload).hexdigest() if result.rejects else None
        repeated = fingerprint is not None and self._bad_payloads.get(where) == fingerprint
        for mention in result.mentions:
            created = mention.created_at
            outcome.newest = max(outcome.newest, created) if outcome.newest else created
            outcome.oldest = min(outcome.oldest, created) if outcome.oldest else created
            if mention.id in self.recent:
                outcome.duplicates += 1
                continue
            names = self.watches.match(mention, self.name)
            if not names and not (self.keep_declared_watch and mention.watch):
                outcome.unmatched += 1
                continue
            await self.send_mention(mention, names)
            outcome.sent += 1
        for reject in result.rejects:
            if reject.deleted and reject.item_ref:
                await self.send_deletion(reject.item_ref, reject.reason)
                outcome.deletions += 1
                continue
            if reject.skipped:
                outcome.skipped += 1
                continue
            if repeated:
                outcome.duplicates += 1
                continue
            raw = payload if reject.item_ref == "payload" else reject.raw
            await self.dead_letter(reject.reason, raw, where, mention_id=_mention_ref(reject.item_ref))
            outcome.dead_letters += 1
        if outcome.dead_letters:
            self._bad_payloads[where] = fingerprint
        self.stats.duplicates += outcome.duplicates
        self.stats.unmatched += outcome.unmatched
        self.stats.skipped += outcome.skipped
        if outcome.sent or outcome.dead_letters:
            log.info("%s: %s: %d new mention(s), %d duplicate(s), %d without watch, %d dead letter(s)",
                     self.name, where, outcome.sent, outcome.duplicates, outcome.unmatched, outcome.dead_letters)
        return outcome

    async def send_mention(self, mention: Mention, names: list[str]) -> None:
        watch = list(dict.fromkeys([*mention.watch, *names]))
        document = mention.model_copy(update={"watch": watch}).model_dump(mode="json", exclude_none=True)
        await self.sink.send(self.raw_topic, orjson.dumps(document), key=mention.id.encode())
        self.recent.add(mention.id)
        self.stats.sent += 1
        created = format_iso(mention.created_at)
        if created and (self.stats.newest_item_at is None or created > self.stats.newest_item_at):
            self.stats.newest_item_at = created

    async def send_deletion(self, mention_id: str, reason: str) -> None:
        # Keyed like pipeline.privacy's author erasures ("author:…"), so both live in one compacted topic.
        record = {"type": "mention", "mention_id": mention_id, "reason": reason, "source": self.name,
                  "requested_at": format_iso(utc_now())}
        await self.sink.send(self.erasures_topic, orjson.dumps(record), key=f"mention:{mention_id}".encode())
        self.stats.deletions += 1

    async def dead_letter(self, reason: str, raw: bytes, where: str, *, mention_id: str | None = None) -> None:
        raw = raw or b""
        record = dead_letter(reason, "connect", topic=where, partition=None, offset=None,
                             raw=raw[:MAX_DEAD_LETTER_RAW], mention_id=mention_id)
        record.update({"source": self.name, "source_type": self.type, "raw_bytes": len(raw),
                       "raw_truncated": len(raw) > MAX_DEAD_LETTER_RAW})
        log.warning("%s: dead letter from %s%s: %s", self.name, where,
                    f" ({mention_id})" if mention_id else "", reason)
        await self.sink.send(self.dead_letter_topic, orjson.dumps(record), key=(mention_id or self.name).encode())
        self.stats.dead_letters += 1

    # --- bookkeeping -----------------------------------------------------------------------------

    def record_success(self, cursor_at: datetime | None = None) -> None:
        moment = utc_now()
        self.stats.last_success_at = format_iso(moment)
        self.stats.cursor_at = format_iso(cursor_at or moment)

    def record_error(self, where: str, exc: BaseException) -> None:
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        self.stats.errors += 1
        self.stats.last_error = f"{where}: {reason}"[:500]
        self.stats.last_error_at = format_iso(utc_now())
        log.error("%s: %s: %s", self.name, where, reason)

    def state(self) -> dict[str, Any]:
        return {"type": self.type, "source": self.spec.type, "cursors": self.cursors,
                "recent_ids": self.recent.newest(self.settings.connector.remember_ids),
                "stats": asdict(self.stats), "poll_seconds": self.poll_seconds if self.is_polling else None,
                "bad_payloads": dict(list(self._bad_payloads.items())[-100:])}

    is_polling = True

    async def checkpoint(self) -> None:
        await self.context.checkpoints.save(self.name, self.state())
        self._last_checkpoint = asyncio.get_running_loop().time()

    async def checkpoint_if_due(self) -> None:
        if asyncio.get_running_loop().time() - self._last_checkpoint >= self.settings.connector.checkpoint_seconds:
            await self.checkpoint()

    # --- the polling loop ------------------------------------------------------------------------

    def streams(self) -> list[str]:
        """The independent things this connector polls (a feed, a hashtag, a subreddit listing…)."""
        return []

    async def poll_stream(self, stream: str) -> None:
        raise NotImplementedError

    async def poll_once(self) -> None:
        for stream in self.streams():
            self.stats.fetches += 1
            try:
                await self.poll_stream(stream)
            except ResponseTooLarge as exc:
                self.record_error(stream, exc)
                await self.dead_letter(exc.reason, exc.body, exc.url or stream)
            except FetchError as exc:
                self.record_error(stream, exc)
            else:
                self.record_success()
            await self.checkpoint()

    async def run(self, stop: asyncio.Event, once: bool = False) -> None:
        log.info("%s (%s): polling %d stream(s) every %.0fs from %s", self.name, self.spec.type,
                 len(self.streams()), self.poll_seconds, self.base_url or "its feeds")
        while not stop.is_set():
            await self.poll_once()
            if once:
                return
            await sleep_or_stop(stop, self.poll_seconds)


def _mention_ref(item_ref: str | None) -> str | None:
    return item_ref if item_ref and ":" in item_ref and " " not in item_ref else None


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
