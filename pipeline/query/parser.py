"""Parse the query language into :mod:`pipeline.query.ast` nodes, with errors that point at the culprit.

Syntax, loosest binding first::

    a OR b            either
    a AND b, a b      both (juxtaposed terms are ANDed)
    NOT a, -a         exclude
    a NEAR/3 b        within 3 words of each other, either order (terms, phrases or wildcards)
    (…)  "a phrase"  livr*  retar?  field:value  field:"a value"  field:*  field:(a OR b)  followers:>1000
    created:2026-11-01  created:>=2026-11-01  likes:10..100  created:>now-24h

Operators are upper case; a lower-case ``and``/``or``/``not`` is an ordinary word.

A query has at most MAX_QUERY_CHARS characters, MAX_QUERY_WORDS words, operators nested MAX_QUERY_DEPTH
deep, NEAR/MAX_NEAR_DISTANCE and date math MAX_DATE_MATH_YEARS from now; beyond, :class:`QueryTooLarge` names the limit.
"""

from __future__ import annotations

import re
from datetime import datetime

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from pipeline.query.ast import And, FieldMatch, FieldRange, Near, Node, Not, Operand, Or, Phrase, RangeBound, Term, Wildcard
from pipeline.query.fields import FIELDS, FieldSpec, known_field_names

# Keywords must stand alone: "ORANGE", "NOTE" and "ANDROID" are words. FIELD outranks TERM so that
# "lang:fr" is a field, while "3:0" (not starting with a letter) stays a word.
GRAMMAR = r"""
start: or_expr

?or_expr: and_expr (_OR and_expr)+   -> or_
        | and_expr
?and_expr: unary (_AND? unary)+      -> and_
         | unary
?unary: _NOT unary                   -> not_
      | _MINUS unary                 -> not_
      | near
?near: operand NEAR operand          -> near
     | atom
?atom: "(" or_expr ")"
     | operand
     | FIELD _field_value            -> field
     | FIELD "(" _field_value (_OR _field_value)* ")" -> field
_field_value: VALUE | PHRASE
?operand: TERM                       -> term
        | PHRASE                     -> phrase

_OR.2: /OR(?![^\s()"])/
_AND.2: /AND(?![^\s()"])/
_NOT.2: /NOT(?![^\s()"])/
NEAR.2: /NEAR(\/\d+)?(?![^\s()"])/
FIELD.3: /[A-Za-z_][A-Za-z0-9_.]*:/
_MINUS: /-(?=[^\s])/
PHRASE: /"(?:[^"\\]|\\.)*"/
TERM: /[^\s()"\-][^\s()"]*/
VALUE: /[^\s()"]+/

%ignore /\s+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False, propagate_positions=True)

_FRIENDLY_TOKENS = {
    "_OR": "OR",
    "_AND": "AND",
    "_NOT": "NOT",
    "_MINUS": "'-'",
    "NEAR": "NEAR/n",
    "LPAR": "'('",
    "RPAR": "')'",
    "TERM": "a word",
    "PHRASE": 'a "phrase"',
    "FIELD": "field:",
    "VALUE": "a value",
    "$END": "the end of the query",
}

# Limits that keep one query from freezing Elasticsearch (a 500-word filter blocked indexing for
# minutes) and the parser's recursion within Python's stack. Every refusal names the limit.
MAX_QUERY_CHARS = 2_000
MAX_QUERY_WORDS = 100  # words of terms, phrases, wildcards and field values together
MAX_QUERY_DEPTH = 12  # operators (AND, OR, NOT, NEAR) nested inside one another
MAX_NEAR_DISTANCE = 100
MAX_DATE_MATH_YEARS = 1_000  # now-1000y and now+1000y stay far inside the years datetime can hold (1 to 9999)

_SHOWN_CHARS = 120

_DATE_MATH = re.compile(r"now(?:[+-]\d+[yMwdhHms])*(?:/[yMwdhHms])?$")
_DATE_MATH_STEP = re.compile(r"[+-](\d+)([yMwdhHms])")
_UNIT_SECONDS = {"y": 365 * 86400, "M": 30 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "H": 3600, "m": 60, "s": 1}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)([kKmM]?)$")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}$")
_WILDCARD_CHARS = re.compile(r"[*?]")
_OPERATOR_WORD = re.compile(r"(?:OR|AND|NOT|NEAR(?:/\d+)?)$")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed or names something unknown.

    ``position`` is the 0-based offset of the culprit in ``query``; ``str()`` shows the query with a caret.
    """

    def __init__(self, message: str, query: str, position: int):
        self.message = message
        self.query = query
        self.position = max(0, min(position, len(query)))
        super().__init__(self.render())

    def render(self) -> str:
        line_start = self.query.rfind("\n", 0, self.position) + 1
        line_end = self.query.find("\n", self.position)
        line = self.query[line_start : line_end if line_end != -1 else len(self.query)]
        column = self.position - line_start
        if len(line) > _SHOWN_CHARS:  # an excerpt around the culprit, not the whole of a huge query
            start = max(0, min(column - _SHOWN_CHARS // 2, len(line) - _SHOWN_CHARS))
            line = ("…" if start else "") + line[start : start + _SHOWN_CHARS] + ("…" if start + _SHOWN_CHARS < len(line) else "")
            column = column - start + (1 if start else 0)
        # Tabs would shift the caret; every other character is one column wide.
        shown = line.replace("\t", " ")
        return f"{self.message} (at position {self.position})\n  {shown}\n  {' ' * column}^"


class QueryTooLarge(QuerySyntaxError):
    """A query over one of the size limits (characters, words, nesting, NEAR distance); the message names it."""

    def one_line(self) -> str:
        return f"{self.message} (at position {self.position})"


class _SemanticError(Exception):
    def __init__(self, message: str, position: int, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.position = position
        self.too_large = too_large


def parse_query(query: str) -> Node:
    """Parse ``query`` into an AST; raise :class:`QuerySyntaxError` with the position of the first problem."""
    if not query.strip():
        raise QuerySyntaxError("the query is empty", query, 0)
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(f"the query is {len(query)} characters long; a query has at most "
                            f"{MAX_QUERY_CHARS} characters", query, MAX_QUERY_CHARS)
    try:
        tree = _PARSER.parse(query)
    except UnexpectedInput as exc:
        message, position = _describe_parse_error(query, exc)
        raise QuerySyntaxError(message, query, position) from None
    try:
        _check_size(tree)
    except _SemanticError as exc:
        raise QueryTooLarge(exc.message, query, exc.position) from None
    try:
        return _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SemanticError):
            error = QueryTooLarge if exc.orig_exc.too_large else QuerySyntaxError
            raise error(exc.orig_exc.message, query, exc.orig_exc.position) from None
        raise


_NESTING_RULES = frozenset({"or_", "and_", "not_", "near", "field"})


def _check_size(tree: Tree) -> None:
    """Refuse a parse tree over the word or nesting limits, walking it without recursion (the
    transformer recurses, so a NOT repeated a thousand times must be stopped here)."""
    words = 0
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Token):
            if node.type in ("TERM", "PHRASE", "VALUE"):
                words += max(1, len(str(node).strip('"').split()))
                if words > MAX_QUERY_WORDS:
                    raise _SemanticError(f"the query has more than {MAX_QUERY_WORDS} words; a query has at most "
                                         f"{MAX_QUERY_WORDS} words (split it, or use a watch)", node.start_pos)
            continue
        if node.data in _NESTING_RULES:
            depth += 1
            if depth > MAX_QUERY_DEPTH:
                raise _SemanticError(f"the query nests operators more than {MAX_QUERY_DEPTH} deep; AND, OR, NOT "
                                     f"and NEAR nest at most {MAX_QUERY_DEPTH} deep", _first_position(node))
        stack.extend((child, depth) for child in reversed(node.children))


def _first_position(node: Tree) -> int:
    while isinstance(node, Tree):
        if node.meta and not node.meta.empty:
            return node.meta.start_pos
        if not node.children:
            return 0
        node = node.children[0]
    return node.start_pos if isinstance(node, Token) else 0


@v_args(inline=True)
class _ToAst(Transformer):
    def start(self, node: Node) -> Node:
        return node

    def or_(self, *children: Node) -> Node:
        flat: list[Node] = []
        for child in children:
            flat.extend(child.children if isinstance(child, Or) else (child,))
        return Or(tuple(flat))

    def and_(self, *children: Node) -> Node:
        flat: list[Node] = []
        for child in children:
            flat.extend(child.children if isinstance(child, And) else (child,))
        return And(tuple(flat))

    def not_(self, child: Node) -> Node:
        return child.child if isinstance(child, Not) else Not(child)

    def term(self, token: Token) -> Operand:
        text = str(token)
        if _OPERATOR_WORD.match(text):
            # The contextual lexer reads an operator as a word where no operator may stand ("OR a").
            raise _SemanticError(
                f'{text} needs a word, phrase or field:value on each side (quote it, "{text}", to search the word)',
                token.start_pos,
            )
        if _WILDCARD_CHARS.search(text):
            return Wildcard(text, token.start_pos)
        return Term(text, token.start_pos)

    def phrase(self, token: Token) -> Phrase:
        value = _unquote(str(token))
        if not value.strip():
            raise _SemanticError('an empty "" phrase matches nothing', token.start_pos)
        return Phrase(value, token.start_pos)

    def near(self, left: Operand, op: Token, right: Operand) -> Near:
        _, _, distance = str(op).partition("/")
        if not distance:
            raise _SemanticError("NEAR needs a distance in words, e.g. NEAR/3", op.start_pos)
        if len(distance) > 6 or int(distance) > MAX_NEAR_DISTANCE:
            shown = distance if len(distance) <= 6 else distance[:6] + "…"
            raise _SemanticError(f"NEAR/{shown} is too far apart: at most NEAR/{MAX_NEAR_DISTANCE}", op.start_pos,
                                 too_large=True)
        return Near(left, right, int(distance), op.start_pos)

    def field(self, name_token: Token, *value_tokens: Token) -> Node:
        name = str(name_token)[:-1]
        spec = FIELDS.get(name.lower())
        if spec is None:
            raise _SemanticError(f"unknown field '{name}'; known fields: {known_field_names()}", name_token.start_pos)
        nodes = []
        for token in value_tokens:
            quoted = token.type == "PHRASE"
            raw = _unquote(str(token)) if quoted else str(token)
            nodes.append(_field_node(name.lower(), spec, raw, quoted, name_token.start_pos, token.start_pos))
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1])


def _field_node(name: str, spec: FieldSpec, raw: str, quoted: bool, position: int, value_position: int) -> Node:
    if spec.kind in ("number", "date"):
        if raw == "*" and not quoted:
            return FieldMatch(name, raw, "exists", quoted, position)
        return _range_node(name, spec, raw, position, value_position)
    if not raw:
        raise _SemanticError(f"'{name}:' needs a value", value_position)
    if not quoted and raw == "*":
        return FieldMatch(name, raw, "exists", quoted, position)
    if not quoted and _WILDCARD_CHARS.search(raw):
        return FieldMatch(name, raw, "wildcard", quoted, position)
    if spec.allowed_values and raw.lower() not in spec.allowed_values:
        allowed = ", ".join(spec.allowed_values)
        raise _SemanticError(f"'{raw}' is not a known {name}; expected one of: {allowed}", value_position)
    return FieldMatch(name, raw, "exact", quoted, position)


def _range_node(name: str, spec: FieldSpec, raw: str, position: int, value_position: int) -> FieldRange:
    def bound(text: str, inclusive: bool, offset: int) -> RangeBound:
        return RangeBound(_range_value(name, spec, text, value_position + offset), inclusive)

    for operator, inclusive in ((">=", True), ("<=", True), (">", False), ("<", False)):
        if raw.startswith(operator):
            value = bound(raw[len(operator) :], inclusive, len(operator))
            lower_side = operator.startswith(">")
            return FieldRange(name, value if lower_side else None, None if lower_side else value, position)
    if ".." in raw:
        low, _, high = raw.partition("..")
        if not low and not high:
            raise _SemanticError(f"'{name}:..' needs at least one bound", value_position)
        lower = bound(low, True, 0) if low else None
        upper = bound(high, True, len(low) + 2) if high else None
        return FieldRange(name, lower, upper, position)
    exact = bound(raw, True, 0)
    return FieldRange(name, exact, exact, position)


def _range_value(name: str, spec: FieldSpec, text: str, position: int) -> int | float | str:
    if spec.kind == "number":
        match = _NUMBER.match(text)
        if not match:
            raise _SemanticError(
                f"'{name}' takes a number (e.g. {name}:>1000 or {name}:10..100), not '{text}'", position
            )
        suffix = match.group(1).lower()
        number_text = text[: len(text) - len(suffix)] if suffix else text
        value = float(number_text) * {"": 1, "k": 1_000, "m": 1_000_000}[suffix]
        return int(value) if value.is_integer() else value
    if _DATE_MATH.match(text):
        steps = _DATE_MATH_STEP.findall(text)
        limit = MAX_DATE_MATH_YEARS * _UNIT_SECONDS["y"]
        if any(len(amount) > 12 for amount, _ in steps) or sum(
                int(amount) * _UNIT_SECONDS[unit] for amount, unit in steps) > limit:
            raise _SemanticError(f"'{text[:40]}' reaches too far: date math goes at most {MAX_DATE_MATH_YEARS} "
                                 f"years from now", position, too_large=True)
        return text
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise _SemanticError(
            f"'{name}' takes a date like 2026-11-01, 2026-11-01T08:30:00Z or now-24h, not '{text}'", position
        ) from None
    return text


def is_date_only(value: object) -> bool:
    return isinstance(value, str) and bool(_DATE_ONLY.match(value))


def _describe_parse_error(query: str, exc: UnexpectedInput) -> tuple[str, int]:
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream
        char = query[position]
        if char == '"':
            return 'this quote is never closed; add a closing "', position
        if char == "-":
            return "'-' must be followed directly by the word to exclude, e.g. -remboursement", position
        return f"unexpected character {char!r}", position
    if isinstance(exc, UnexpectedEOF):
        return "the query ends too early", len(query)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = {name for name in exc.expected}
    at_end = token.type == "$END"
    if expected <= {"VALUE", "PHRASE", "LPAR"}:
        return "expected a value right after the field, e.g. lang:fr", len(query) if at_end else token.start_pos
    if at_end:
        unclosed = _unclosed_paren(query)
        if unclosed is not None and "RPAR" in expected:
            return "this '(' is never closed", unclosed
        return "the query ends too early: a word, phrase or field:value must follow", len(query)
    position = token.start_pos
    if token.type == "RPAR":
        if _unclosed_paren(query[:position]) is None:
            return "this ')' has no matching '('", position
        return "expected a word, phrase or field:value before ')'", position
    if token.type in ("_OR", "_AND"):
        operator = str(token)
        return f"{operator} needs a word, phrase or field:value on each side", position
    if token.type == "NEAR":
        return "NEAR/n must join two words, phrases or wildcards, e.g. livraison NEAR/3 retard", position
    if token.type == "VALUE":
        if str(token).startswith("-"):
            return "'-' must be followed directly by the word to exclude, e.g. -remboursement", position
        return f"unexpected {str(token)!r}", position
    if expected == {"RPAR", "_OR"}:
        return "separate the values of field:(…) with OR, e.g. lang:(fr OR en)", position
    wanted = ", ".join(sorted(_FRIENDLY_TOKENS.get(name, name) for name in expected))
    return f"did not expect {_FRIENDLY_TOKENS.get(token.type, repr(str(token)))} here; expected {wanted}", position


def _unclosed_paren(query: str) -> int | None:
    """Offset of the last '(' left open in ``query`` (quotes skipped), or None when all are closed."""
    open_positions: list[int] = []
    in_quote = False
    escaped = False
    for offset, char in enumerate(query):
        if in_quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quote = False
        elif char == '"':
            in_quote = True
        elif char == "(":
            open_positions.append(offset)
        elif char == ")" and open_positions:
            open_positions.pop()
    return open_positions[-1] if open_positions else None
