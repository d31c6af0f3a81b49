"""Evaluate a parsed query against one mention, locally: what watches use to decide what a mention is about.

The same AST that :mod:`pipeline.query.elasticsearch` compiles is walked here against a mention (a
:class:`~pipeline.mention.Mention` or its JSON dict). Text matching follows what the index does, with
more recall where a watch would otherwise miss a mention:

- words are lowercased tokens of text and title (letters and digits; ``l'été`` and ``3.5`` stay whole,
  ``@aquarelle`` and ``#Aquarelle`` give ``aquarelle``); French elisions (``l'``, ``d'``…) are dropped;
- a word also matches through the French and English Snowball stemmers (``livraisons`` ~ ``livraison``);
- accents are folded (``creme`` finds ``crème``), which the index does not do;
- ``NEAR/n`` allows ``n`` words between the two sides, in either order, like ``span_near`` with slop n.

Fields the mention does not have yet (``sentiment``, ``category`` before tagging) never match.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import snowballstemmer

from pipeline.query.ast import And, FieldMatch, FieldRange, Near, Node, Not, Operand, Or, Phrase, RangeBound, Term, Wildcard
from pipeline.query.fields import FIELDS
from pipeline.query.parser import is_date_only, parse_query
from pipeline.timestamps import parse_iso

_TOKEN = re.compile(r"\w+(?:['’.]\w+)*")
_ELISION = re.compile(r"^(?:[lmtsjdnc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_FRENCH = snowballstemmer.stemmer("french")
_ENGLISH = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lowercase without accents: ``Crème`` -> ``creme``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _stems(token: str) -> tuple[str, str]:
    return _FRENCH.stemWord(token), _ENGLISH.stemWord(token)


def tokenize(text: str) -> list[str]:
    tokens = []
    for raw in _TOKEN.findall(fold(text)):
        token = _ELISION.sub("", raw).replace("’", "'")
        tokens.append(token.strip("'.") or raw)
    return tokens


@dataclass
class _Field:
    """The tokens of one text field and their stems, built once per mention and field."""

    tokens: list[str]
    stem_positions: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> _Field:
        tokens = tokenize(text)
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(tokens):
            for key in {token, *(f"\x00{s}" for s in _stems(token))}:
                positions.setdefault(key, []).append(i)
        return cls(tokens, positions)

    def positions(self, word: str) -> list[int]:
        found = set(self.stem_positions.get(word, ()))
        for stem in _stems(word):
            found.update(self.stem_positions.get(f"\x00{stem}", ()))
        return sorted(found)

    def spans(self, operand: Operand) -> list[tuple[int, int]]:
        """(first, last) token positions where ``operand`` occurs."""
        if isinstance(operand, Wildcard):
            pattern = fold(operand.pattern)
            return [(i, i) for i, t in enumerate(self.tokens) if fnmatch.fnmatchcase(t, pattern)]
        words = tokenize(operand.value)
        if not words:
            return []
        starts = self.positions(words[0])
        spans = []
        for start in starts:
            if all(start + k in self.positions(w) for k, w in enumerate(words[1:], 1)):
                spans.append((start, start + len(words) - 1))
        return spans

    def has_all(self, value: str) -> bool:
        words = tokenize(value)
        return bool(words) and all(self.positions(w) for w in words)


class MentionView:
    """A mention as the evaluator reads it: nested values by dotted path, text fields tokenised lazily."""

    def __init__(self, mention: Any, now: datetime | None = None):
        if hasattr(mention, "model_dump"):
            mention = mention.model_dump(mode="json")
        self.data: dict[str, Any] = mention if isinstance(mention, dict) else {}
        self.now = now or datetime.now(UTC)
        self._fields: dict[str, _Field] = {}

    def text_field(self, name: str) -> _Field:
        if name not in self._fields:
            value = self.value(name)
            self._fields[name] = _Field.of(value if isinstance(value, str) else "")
        return self._fields[name]

    def value(self, path: str) -> Any:
        current: Any = self.data
        for part in path.split("."):
            if not isinstance(current, dict):
                return None
            current = current.get(part)
        return current

    def values(self, path: str) -> list[Any]:
        value = self.value(path)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


def matches(query: str | Node, mention: Any, now: datetime | None = None) -> bool:
    """Whether ``mention`` matches ``query`` (text or an already parsed node)."""
    node = parse_query(query) if isinstance(query, str) else query
    view = mention if isinstance(mention, MentionView) else MentionView(mention, now)
    return evaluate(node, view)


def evaluate(node: Node, view: MentionView) -> bool:
    match node:
        case Term() | Phrase() | Wildcard():
            return any(_operand_in(node, view.text_field(f)) for f in ("text", "title"))
        case Near():
            return any(_near(node, view.text_field(f)) for f in ("text", "title"))
        case FieldMatch():
            return _field_match(node, view)
        case FieldRange():
            return _field_range(node, view)
        case Not(child=child):
            return not evaluate(child, view)
        case Or(children=children):
            return any(evaluate(child, view) for child in children)
        case And(children=children):
            return all(evaluate(child, view) for child in children)
    raise TypeError(f"not a query node: {node!r}")


def _operand_in(operand: Operand, text: _Field) -> bool:
    if isinstance(operand, Term):
        return text.has_all(operand.value)
    return bool(text.spans(operand))


def _near(node: Near, text: _Field) -> bool:
    for left_start, left_end in text.spans(node.left):
        for right_start, right_end in text.spans(node.right):
            gap = right_start - left_end - 1 if right_start > left_end else left_start - right_end - 1
            if gap <= node.distance and not (right_start <= left_end and left_start <= right_end):
                return True
    return False


def _field_match(node: FieldMatch, view: MentionView) -> bool:
    spec = FIELDS[node.field]
    if node.kind == "exists":
        return any(view.values(f) not in ([], [None], [""]) for f in spec.index_fields)
    if spec.kind == "text":
        name = spec.index_fields[0]
        text = view.text_field(name)
        if node.kind == "wildcard":
            return bool(text.spans(Wildcard(node.value)))
        if node.quoted:
            return bool(text.spans(Phrase(node.value)))
        return text.has_all(node.value)
    if spec.kind == "author":
        return _author(node, view)
    (path,) = spec.index_fields
    return any(_keyword_equals(node, str(v), spec.case_insensitive) for v in view.values(path) if v is not None)


def _keyword_equals(node: FieldMatch, actual: str, case_insensitive: bool) -> bool:
    wanted = node.value
    if case_insensitive:
        actual, wanted = actual.lower(), wanted.lower()
    if node.kind == "wildcard":
        return fnmatch.fnmatchcase(actual, wanted)
    return actual == wanted


def _author(node: FieldMatch, view: MentionView) -> bool:
    author_id = view.value("author.id")
    handle = view.value("author.handle")
    if node.kind == "wildcard":
        return (isinstance(author_id, str) and fnmatch.fnmatchcase(author_id, node.value)) or (
            isinstance(handle, str) and fnmatch.fnmatchcase(handle.lower(), node.value.lower()))
    if isinstance(author_id, str) and author_id == node.value:
        return True
    wanted = node.value.removeprefix("@").lower()
    return isinstance(handle, str) and handle.removeprefix("@").lower() == wanted


def _field_range(node: FieldRange, view: MentionView) -> bool:
    spec = FIELDS[node.field]
    (path,) = spec.index_fields
    actual = view.value(path)
    if actual is None:
        return False
    if spec.kind == "date":
        actual_time = parse_iso(actual)
        if actual_time is None:
            return False
        return _within(actual_time, node.lower, node.upper, lambda b, round_up: _bound_time(b, round_up, view.now))
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    return _within(actual, node.lower, node.upper, lambda b, _up: b.value)


def _within(actual: Any, lower: RangeBound | None, upper: RangeBound | None, resolve) -> bool:
    if lower is not None:
        low = resolve(lower, not lower.inclusive)
        if actual < low or (actual == low and not lower.inclusive):
            return False
    if upper is not None:
        high = resolve(upper, upper.inclusive)
        if actual > high or (actual == high and not upper.inclusive):
            return False
    return True


_UNITS = {"y": 365 * 86400, "M": 30 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}
_MATH_STEP = re.compile(r"([+-])(\d+)([yMwdhHms])")


def _bound_time(bound: RangeBound, round_up: bool, now: datetime) -> datetime:
    """A bound's instant; a rounded one (``now/d``, a bare day) rounds up for ``>`` and ``<=``, down
    for ``>=`` and ``<``, as Elasticsearch does."""
    value = str(bound.value)
    if value.startswith("now"):
        moment = now
        rest = value[3:]
        rounding = None
        if "/" in rest:
            rest, rounding = rest.split("/", 1)
        for sign, amount, unit in _MATH_STEP.findall(rest):
            delta = timedelta(seconds=int(amount) * _UNITS[unit])
            moment = moment + delta if sign == "+" else moment - delta
        if rounding in ("d", "w", "M", "y"):
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            if round_up:
                moment += timedelta(days=1) - timedelta(microseconds=1)
        return moment
    parsed = parse_iso(value) or now
    if is_date_only(value):
        # A bare day is the whole day, as Elasticsearch rounds "d||/d".
        if not round_up:
            return parsed
        try:
            return parsed + timedelta(days=1) - timedelta(microseconds=1)
        except OverflowError:  # the end of 9999-12-31 is datetime's last instant
            return datetime.max.replace(tzinfo=UTC)
    return parsed
