"""The fields a query may name (``lang:fr``, ``followers:>1000``…) and where they live in the mentions index.

The index fields follow :class:`pipeline.mention.EnrichedMention`; query names are the index names plus
a few short aliases (``category`` for ``categories``, ``followers`` for ``author.followers``…).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from pipeline.mention import Platform, Sentiment

FieldKind = Literal["keyword", "text", "number", "date", "author"]

TEXT_FIELDS: tuple[str, ...] = ("text", "text.fr", "text.en", "title", "title.fr", "title.en")
"""Where a bare word is searched: text and title, raw and through the French and English stemmers."""

SPAN_FIELD = "text"
"""NEAR/n works on token positions of one field; the unstemmed ``text`` (standard analyzer, lowercased)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    index_fields: tuple[str, ...]
    case_insensitive: bool = False
    allowed_values: tuple[str, ...] = ()


def _keyword(name: str, *, case_insensitive: bool = True, allowed: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec("keyword", (name,), case_insensitive, allowed)


_PLATFORMS = tuple(p.value for p in Platform)
_SENTIMENTS = tuple(get_args(Sentiment))

# Identifiers and URLs keep their case: two ids differing only by case are different things.
FIELDS: dict[str, FieldSpec] = {
    "id": _keyword("id", case_insensitive=False),
    "platform": _keyword("platform", allowed=_PLATFORMS),
    "source": _keyword("source"),
    "lang": _keyword("lang"),
    "language": _keyword("language"),
    "sentiment": _keyword("sentiment", allowed=_SENTIMENTS),
    "category": _keyword("categories"),
    "categories": _keyword("categories"),
    "watch": _keyword("watch"),
    "action": _keyword("action"),
    "priority": _keyword("priority"),
    "tagger": _keyword("tagger", case_insensitive=False),
    "url": _keyword("url", case_insensitive=False),
    "parent": _keyword("parent_id", case_insensitive=False),
    "parent_id": _keyword("parent_id", case_insensitive=False),
    "conversation": _keyword("conversation_id", case_insensitive=False),
    "conversation_id": _keyword("conversation_id", case_insensitive=False),
    "author": FieldSpec("author", ("author.id", "author.handle")),
    "text": FieldSpec("text", ("text", "text.fr", "text.en")),
    "title": FieldSpec("text", ("title", "title.fr", "title.en")),
    "followers": FieldSpec("number", ("author.followers",)),
    "likes": FieldSpec("number", ("metrics.likes",)),
    "shares": FieldSpec("number", ("metrics.shares",)),
    "replies": FieldSpec("number", ("metrics.replies",)),
    "views": FieldSpec("number", ("metrics.views",)),
    "score": FieldSpec("number", ("sentiment_score",)),
    "sentiment_score": FieldSpec("number", ("sentiment_score",)),
    "created": FieldSpec("date", ("created_at",)),
    "created_at": FieldSpec("date", ("created_at",)),
    "reply_by": FieldSpec("date", ("reply_by",)),
    "tagged": FieldSpec("date", ("tagged_at",)),
    "tagged_at": FieldSpec("date", ("tagged_at",)),
    "ingested": FieldSpec("date", ("ingested_at",)),
    "ingested_at": FieldSpec("date", ("ingested_at",)),
}


def known_field_names() -> str:
    return ", ".join(sorted(FIELDS))
