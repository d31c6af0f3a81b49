"""The parsed form of a query: small immutable nodes that the compilers walk.

Every leaf keeps ``position`` (0-based offset in the query text) so that a later check can point
at the part of the query it rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Number = int | float


@dataclass(frozen=True, slots=True)
class Term:
    """A bare word searched in the text and title, in both languages."""

    value: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Phrase:
    """A "quoted phrase": its words next to each other, in order."""

    value: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A word with ``*`` (any characters) or ``?`` (one character)."""

    pattern: str
    position: int = 0


Operand = Term | Phrase | Wildcard


@dataclass(frozen=True, slots=True)
class Near:
    """``left NEAR/n right``: both within ``distance`` words of each other, in either order."""

    left: Operand
    right: Operand
    distance: int
    position: int = 0


ValueKind = Literal["exact", "wildcard", "exists"]


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """``field:value`` on a keyword or text field; ``field`` is the query name (``category``, ``author``…)."""

    field: str
    value: str
    kind: ValueKind = "exact"
    quoted: bool = False
    position: int = 0


@dataclass(frozen=True, slots=True)
class RangeBound:
    value: Number | str
    inclusive: bool


@dataclass(frozen=True, slots=True)
class FieldRange:
    """``followers:>1000``, ``created:2026-11-01..2026-11-15``, ``created:2026-11-01`` (that whole day)."""

    field: str
    lower: RangeBound | None
    upper: RangeBound | None
    position: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | Phrase | Wildcard | Near | FieldMatch | FieldRange | And | Or | Not
