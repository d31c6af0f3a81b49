"""Community managers' corrections of tags, kept as JSON lines and fed to the next training run.

One file, ``<data_dir>/feedback/feedback.jsonl``; each line is one :class:`FeedbackRecord`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from pipeline.mention import CATEGORIES

FEEDBACK_FILE = "feedback.jsonl"


class FeedbackRecord(BaseModel):
    id: str | None = None
    text: str = Field(min_length=1)
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


def append_feedback(path: Path, record: FeedbackRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(record.model_dump_json() + "\n")


def read_feedback(path: Path) -> list[FeedbackRecord]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            records.append(FeedbackRecord.model_validate_json(line))
    return records
