"""The outbox: deliveries that failed after their retries, kept until a later flush sends them.

:class:`OutboxQueue` is a pure, immutable queue (add, drop, note a failure); :class:`OutboxStore` keeps
it as JSON lines in ``outbox.jsonl`` under a directory chosen by the caller, rewritten atomically
(temporary file, fsync, rename) so a crash leaves the old queue or the new one, never half of one.
An entry holds the alert itself, not a rendered payload, so a channel whose settings were fixed in
the meantime sends it with the new settings (and a fresh webhook signature).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.alerts.model import Alert

OUTBOX_FILE = "outbox.jsonl"
log = logging.getLogger(__name__)


def delivery_id(channel: str, alert: Alert) -> str:
    """Same alert state to the same channel → same id, so a receiver can drop a duplicate."""
    identity = f"{channel}|{alert.id}|{alert.updated_at.isoformat()}|{alert.last_event}"
    return hashlib.sha256(identity.encode()).hexdigest()[:24]


class OutboxEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    channel: str
    alert: Alert
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str


@dataclass(frozen=True, slots=True)
class OutboxQueue:
    entries: tuple[OutboxEntry, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: OutboxEntry) -> OutboxQueue:
        """Queue ``entry``; an entry with the same id is replaced (its attempts are added up)."""
        previous = next((e for e in self.entries if e.id == entry.id), None)
        if previous is not None:
            entry = entry.model_copy(update={"attempts": previous.attempts + entry.attempts,
                                             "first_failed_at": previous.first_failed_at})
        return OutboxQueue(tuple(e for e in self.entries if e.id != entry.id) + (entry,))

    def without(self, ids: Iterable[str]) -> OutboxQueue:
        gone = set(ids)
        return OutboxQueue(tuple(e for e in self.entries if e.id not in gone))

    def failed_again(self, entry_id: str, error: str, attempts: int, now: datetime) -> OutboxQueue:
        return OutboxQueue(tuple(
            e.model_copy(update={"attempts": e.attempts + attempts, "last_failed_at": now, "last_error": error})
            if e.id == entry_id else e
            for e in self.entries
        ))

    def to_jsonl(self) -> str:
        return "".join(entry.model_dump_json() + "\n" for entry in self.entries)

    @classmethod
    def from_jsonl(cls, text: str) -> OutboxQueue:
        entries = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append(OutboxEntry.model_validate_json(line))
            except ValidationError:
                log.error("outbox line %d is unreadable and is skipped", number)
        return cls(tuple(entries))


class OutboxStore:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / OUTBOX_FILE

    def load(self) -> OutboxQueue:
        if not self.path.exists():
            return OutboxQueue()
        return OutboxQueue.from_jsonl(self.path.read_text(encoding="utf-8"))

    def save(self, queue: OutboxQueue) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".outbox-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(queue.to_jsonl())
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
