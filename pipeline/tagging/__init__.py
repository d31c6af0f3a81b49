"""Tagging: text in, facts out (language, sentiment, categories, the CM's action and deadline).

The contract every tagger honours is :class:`Tagger`: ``tag_batch`` takes a sequence of
:class:`TagInput` and returns one :class:`Tags` per input, in order, without I/O. The tag agent
and ``veille tag`` both call :func:`get_tagger`, so the CLI and the stream agree by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TagInput:
    text: str
    lang: str | None = None  # language declared by the source; a hint, not a verdict
    platform: str | None = None
    created_at: datetime | None = None
    watch: tuple[str, ...] = ()


@dataclass(slots=True)
class Tags:
    lang: str
    sentiment: str  # negative | neutral | positive
    sentiment_score: float  # -1 .. 1
    categories: list[str]
    scores: dict[str, float] = field(default_factory=dict)
    action: str | None = None
    priority: str | None = None
    reply_by: datetime | None = None


class Tagger(Protocol):
    name: str

    def tag_batch(self, items: Sequence[TagInput]) -> list[Tags]: ...


def get_tagger() -> Tagger:
    """The tagger the pipeline uses now (cached per process)."""
    from pipeline.tagging.rules import RuleTagger

    global _TAGGER
    if _TAGGER is None:
        _TAGGER = RuleTagger()
    return _TAGGER


_TAGGER: Tagger | None = None
