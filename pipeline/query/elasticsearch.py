"""Compile a parsed query to Elasticsearch 8 query DSL (the ``query=`` argument of the search API).

Free words search ``text``, its stemmed ``text.fr``/``text.en`` sub-fields and ``title``; phrases use
``match_phrase`` on the same fields; NEAR/n is a ``span_near`` on the unstemmed ``text`` field; wildcards
are ``wildcard`` queries (case-insensitive). Fields of the ANDed clauses that only filter (keywords,
numbers, dates) go to ``bool.filter`` so that they are cached and do not change the score.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.query.ast import And, FieldMatch, FieldRange, Near, Node, Not, Operand, Or, Phrase, RangeBound, Term, Wildcard
from pipeline.query.fields import FIELDS, SPAN_FIELD, TEXT_FIELDS
from pipeline.query.parser import QuerySyntaxError, is_date_only, parse_query

Query = dict[str, Any]

SPAN_WILDCARD_REWRITE = "top_terms_256"

# Close to what the standard tokenizer (Unicode word boundaries) keeps in one token: "l'été", "3.5"
# and "u.s.a" stay whole, "e-commerce" splits. NEAR/n needs the tokens exactly as indexed.
_TOKEN = re.compile(r"\w+(?:['’.]\w+)*")


def compile_query(query: str) -> Query:
    """Parse and compile ``query``; raise :class:`QuerySyntaxError` if it is not valid."""
    node = parse_query(query)
    try:
        return to_elasticsearch(node)
    except _NoTokens as exc:
        raise QuerySyntaxError(
            f"'{exc.text}' has no word to search next to another (NEAR/n needs letters or digits)", query, exc.position
        ) from None


def to_elasticsearch(node: Node) -> Query:
    match node:
        case Term(value=value):
            return {"multi_match": {"query": value, "fields": list(TEXT_FIELDS), "operator": "and"}}
        case Phrase(value=value):
            return _any_of([{"match_phrase": {field: value}} for field in TEXT_FIELDS])
        case Wildcard(pattern=pattern):
            return _any_of([_wildcard(field, pattern.lower()) for field in (SPAN_FIELD, "title")])
        case Near():
            return _span_near(node)
        case FieldMatch():
            return _field_match(node)
        case FieldRange():
            return _field_range(node)
        case Not(child=child):
            return {"bool": {"must_not": [to_elasticsearch(child)]}}
        case Or(children=children):
            return _any_of([to_elasticsearch(child) for child in children])
        case And(children=children):
            return _all_of(children)
    raise TypeError(f"not a query node: {node!r}")


def _all_of(children: tuple[Node, ...]) -> Query:
    clauses: dict[str, list[Query]] = {"must": [], "filter": [], "must_not": []}
    for child in children:
        if isinstance(child, Not):
            clauses["must_not"].append(to_elasticsearch(child.child))
        elif _only_filters(child):
            clauses["filter"].append(to_elasticsearch(child))
        else:
            clauses["must"].append(to_elasticsearch(child))
    return {"bool": {occur: queries for occur, queries in clauses.items() if queries}}


def _any_of(queries: list[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _only_filters(node: Node) -> bool:
    if isinstance(node, FieldRange):
        return True
    if isinstance(node, FieldMatch):
        return FIELDS[node.field].kind != "text"
    if isinstance(node, (And, Or)):
        return all(_only_filters(child) for child in node.children)
    if isinstance(node, Not):
        return _only_filters(node.child)
    return False


def _wildcard(field: str, pattern: str, case_insensitive: bool = True) -> Query:
    return {"wildcard": {field: {"value": pattern, "case_insensitive": case_insensitive}}}


def _term(field: str, value: str | float, case_insensitive: bool) -> Query:
    body: dict[str, Any] = {"value": value}
    if case_insensitive:
        body["case_insensitive"] = True
    return {"term": {field: body}}


def _field_match(node: FieldMatch) -> Query:
    spec = FIELDS[node.field]
    if node.kind == "exists":
        return _any_of([{"exists": {"field": field}} for field in spec.index_fields])
    if spec.kind == "text":
        if node.kind == "wildcard":
            return _wildcard(spec.index_fields[0], node.value.lower())
        if node.quoted:
            return _any_of([{"match_phrase": {field: node.value}} for field in spec.index_fields])
        return {"multi_match": {"query": node.value, "fields": list(spec.index_fields), "operator": "and"}}
    if spec.kind == "author":
        return _author(node)
    (field,) = spec.index_fields
    if node.kind == "wildcard":
        return _wildcard(field, node.value, spec.case_insensitive)
    return _term(field, node.value, spec.case_insensitive)


def _author(node: FieldMatch) -> Query:
    if node.kind == "wildcard":
        return _any_of([_wildcard("author.id", node.value, False), _wildcard("author.handle", node.value)])
    handle = node.value.removeprefix("@")
    handles = [handle, f"@{handle}"] if handle else [node.value]
    return _any_of([_term("author.id", node.value, False), *(_term("author.handle", h, True) for h in handles)])


def _field_range(node: FieldRange) -> Query:
    spec = FIELDS[node.field]
    (field,) = spec.index_fields
    bounds: dict[str, Any] = {}
    if node.lower is not None:
        bounds["gte" if node.lower.inclusive else "gt"] = _bound_value(node.lower, spec.kind)
    if node.upper is not None:
        bounds["lte" if node.upper.inclusive else "lt"] = _bound_value(node.upper, spec.kind)
    return {"range": {field: bounds}}


def _bound_value(bound: RangeBound, kind: str) -> Any:
    # A bare day means the whole day: Elasticsearch rounds "d||/d" down for gte/lt and up for gt/lte.
    if kind == "date" and is_date_only(bound.value):
        return f"{bound.value}||/d"
    return bound.value


class _NoTokens(Exception):
    def __init__(self, text: str, position: int):
        super().__init__(text)
        self.text = text
        self.position = position


def _span_near(node: Near) -> Query:
    return {
        "span_near": {
            "clauses": [_span(node.left), _span(node.right)],
            "slop": node.distance,
            "in_order": False,
        }
    }


def _span(operand: Operand) -> Query:
    if isinstance(operand, Wildcard):
        wildcard = _wildcard(SPAN_FIELD, operand.pattern.lower())
        # Without a top_terms rewrite, a span_multi matching more words than the boolean clause limit fails.
        wildcard["wildcard"][SPAN_FIELD]["rewrite"] = SPAN_WILDCARD_REWRITE
        return {"span_multi": {"match": wildcard}}
    text = operand.value
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        raise _NoTokens(text, operand.position)
    if len(tokens) == 1:
        return {"span_term": {SPAN_FIELD: tokens[0]}}
    return {
        "span_near": {
            "clauses": [{"span_term": {SPAN_FIELD: token}} for token in tokens],
            "slop": 0,
            "in_order": True,
        }
    }
