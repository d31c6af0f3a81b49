"""Community managers' corrections of tags, kept as JSON lines and fed to the next training run.

One file, ``<data_dir>/feedback/feedback.jsonl``; each line is one :class:`FeedbackRecord`. A record keeps
the mention's author (``author_id``, ``platform``) so that an erasure reaches it: ``veille erase`` rewrites
the file without the author's records and ``veille train`` drops any an erasure names.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from pipeline.mention import CATEGORIES

FEEDBACK_FILE = "feedback.jsonl"

log = logging.getLogger(__name__)


class FeedbackRecord(BaseModel):
    id: str | None = None
    text: str = Field(min_length=1)
    author_id: str | None = None
    platform: str | None = None
    lang: str | None = None
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("add", "remove")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {', '.join(CATEGORIES)}")
        return value


def feedback_path(data_dir: Path) -> Path:
    return data_dir / "feedback" / FEEDBACK_FILE


@contextlib.contextmanager
def feedback_lock(path: Path) -> Iterator[None]:
    """Held while the file is appended to or rewritten (an erasure), so that no correction is lost between."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_feedback(path: Path, record: FeedbackRecord) -> None:
    with feedback_lock(path), path.open("a", encoding="utf-8") as handle:
        handle.write(record.model_dump_json() + "\n")


def read_feedback(path: Path, skip_unreadable: bool = False) -> list[FeedbackRecord]:
    if not path.exists():
        return []
    records = []
    # split at "\n" only: str.splitlines also cuts at U+2028 and \x85, which JSON leaves unescaped inside a text
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.strip():
            try:
                records.append(FeedbackRecord.model_validate_json(line))
            except ValueError:
                if not skip_unreadable:
                    raise
                log.warning("%s line %d is not a feedback record; skipped", path, n)
    return records
