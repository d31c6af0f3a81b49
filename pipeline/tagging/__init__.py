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
    """The tagger the pipeline uses now (cached per process): the trained tagger, or the rule tagger
    with a logged warning when the model files are missing."""
    global _TAGGER
    if _TAGGER is None:
        _TAGGER = _load_tagger()
    return _TAGGER


def _load_tagger() -> Tagger:
    import logging

    from pipeline.settings import get_settings
    from pipeline.tagging.rules import RuleTagger
    from pipeline.tagging.trained import TrainedTagger

    settings = get_settings()
    try:
        return TrainedTagger.load(
            settings.model_dir,
            lexicon_file=getattr(settings, "lexicons_file", None),
            playbook_file=settings.playbook_file,
        )
    except FileNotFoundError as exc:
        logging.getLogger(__name__).warning(
            "trained tagger model missing (%s); using the rule tagger. Run `veille train` to build it.", exc
        )
        return RuleTagger()


_TAGGER: Tagger | None = None
