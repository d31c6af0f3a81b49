"""The query language parser: operators, precedence, fields, values, and errors that point at the culprit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.query import QuerySyntaxError, parse_query
from pipeline.query.ast import And, FieldMatch, FieldRange, Near, Not, Or, Phrase, RangeBound, Term, Wildcard


def words(node) -> list[str]:
    """The terms of a node tree, left to right, to compare shapes without positions."""
    match node:
        case Term(value=v) | Phrase(value=v) | Wildcard(pattern=v):
            return [v]
        case And(children=c) | Or(children=c):
            return [w for child in c for w in words(child)]
        case Not(child=c):
            return words(c)
        case Near(left=left, right=right):
            return words(left) + words(right)
    return []


def test_query_parser_juxtaposed_terms_are_anded():
    node = parse_query("livraison retard")
    assert isinstance(node, And)
    assert [child.value for child in node.children] == ["livraison", "retard"]


def test_query_parser_and_binds_tighter_than_or():
    node = parse_query("a b OR c AND d")
    assert isinstance(node, Or)
    assert [type(child) for child in node.children] == [And, And]
    assert [words(child) for child in node.children] == [["a", "b"], ["c", "d"]]


def test_query_parser_parentheses_override_precedence():
    node = parse_query("a (b OR c)")
    assert isinstance(node, And)
    assert isinstance(node.children[1], Or)


def test_query_parser_nested_same_operator_is_flattened():
    node = parse_query("a OR (b OR (c OR d))")
    assert isinstance(node, Or)
    assert words(node) == ["a", "b", "c", "d"]
    assert all(isinstance(child, Term) for child in node.children)


@pytest.mark.parametrize("query", ["NOT remboursement", "-remboursement"])
def test_query_parser_not_and_minus_negate(query):
    node = parse_query(query)
    assert node == Not(Term("remboursement", query.index("remboursement")))


def test_query_parser_double_negation_cancels():
    assert parse_query("NOT -promo") == Term("promo", 5)


def test_query_parser_minus_inside_a_word_is_not_negation():
    node = parse_query("e-commerce")
    assert node == Term("e-commerce", 0)


@pytest.mark.parametrize("word", ["ORANGE", "NOTE", "ANDROID", "or", "and", "not", "NEARBY"])
def test_query_parser_words_that_start_like_operators_are_words(word):
    node = parse_query(f"{word} livraison")
    assert isinstance(node, And)
    assert node.children[0] == Term(word, 0)


def test_query_parser_quoted_phrase_keeps_spaces_and_escapes():
    node = parse_query(r'"retard de \"livraison\""')
    assert node == Phrase('retard de "livraison"', 0)


@pytest.mark.parametrize("pattern", ["livr*", "retar?", "*vraison"])
def test_query_parser_wildcards_are_recognised(pattern):
    assert parse_query(pattern) == Wildcard(pattern, 0)


def test_query_parser_near_takes_distance_and_binds_tighter_than_and():
    node = parse_query("colis livraison NEAR/3 retard")
    assert isinstance(node, And)
    near = node.children[1]
    assert isinstance(near, Near)
    assert near.distance == 3
    assert (near.left, near.right) == (Term("livraison", 6), Term("retard", 23))


def test_query_parser_near_accepts_phrases_and_wildcards():
    near = parse_query('"service client" NEAR/5 nul*')
    assert isinstance(near, Near)
    assert isinstance(near.left, Phrase)
    assert isinstance(near.right, Wildcard)


def test_query_parser_field_names_are_case_insensitive():
    node = parse_query("LANG:fr")
    assert node == FieldMatch("lang", "fr", "exact", False, 0)


def test_query_parser_field_value_may_be_quoted():
    node = parse_query('watch:"Acme Corp"')
    assert node == FieldMatch("watch", "Acme Corp", "exact", True, 0)


def test_query_parser_field_star_means_exists_and_pattern_means_wildcard():
    assert parse_query("action:*").kind == "exists"
    assert parse_query("watch:acme*").kind == "wildcard"


def test_query_parser_field_group_is_an_or_of_values():
    node = parse_query('watch:(acme OR "Acme Corp" OR acme*)')
    assert isinstance(node, Or)
    assert [(child.value, child.kind, child.quoted) for child in node.children] == [
        ("acme", "exact", False),
        ("Acme Corp", "exact", True),
        ("acme*", "wildcard", False),
    ]
    assert {child.field for child in node.children} == {"watch"}


def test_query_parser_field_value_keeps_colons():
    node = parse_query("source:https://example.org/feed")
    assert node == FieldMatch("source", "https://example.org/feed", "exact", False, 0)


@pytest.mark.parametrize(
    ("query", "lower", "upper"),
    [
        ("followers:>1000", RangeBound(1000, False), None),
        ("followers:>=1k", RangeBound(1000, True), None),
        ("likes:<10", None, RangeBound(10, False)),
        ("score:<=-0.5", None, RangeBound(-0.5, True)),
        ("likes:10..100", RangeBound(10, True), RangeBound(100, True)),
        ("views:..2.5m", None, RangeBound(2_500_000, True)),
        ("likes:7", RangeBound(7, True), RangeBound(7, True)),
        ("created:>2026-11-01", RangeBound("2026-11-01", False), None),
        ("created:>now-24h", RangeBound("now-24h", False), None),
        ("reply_by:2026-11-01T08:30:00Z..", RangeBound("2026-11-01T08:30:00Z", True), None),
    ],
)
def test_query_parser_ranges(query, lower, upper):
    node = parse_query(query)
    assert isinstance(node, FieldRange)
    assert (node.lower, node.upper) == (lower, upper)


def caret_column(error: QuerySyntaxError) -> int:
    query_line, caret_line = str(error).splitlines()[1:3]
    assert query_line.strip() == error.query.strip()
    return caret_line.index("^") - 2


@pytest.mark.parametrize(
    ("query", "position", "says"),
    [
        ("(livraison OR retard", 0, "never closed"),
        ("livraison OR", 12, "ends too early"),
        ("livraison )", 10, "no matching '('"),
        ("()", 1, "before ')'"),
        ("OR livraison", 0, "OR needs"),
        ("a AND OR b", 6, "OR needs"),
        ('livraison "retard', 10, "quote"),
        ("livraison - retard", 10, "'-' must be followed"),
        ("lang:", 5, "value"),
        ("lang: )", 6, "value"),
        ("lang:()", 6, "value"),
        ("lang:(fr OR en", 5, "never closed"),
        ("lang:(fr en)", 9, "with OR"),
        ("platform:(mastodon OR mastodn)", 22, "not a known platform"),
        ("a NEAR b", 2, "NEAR needs a distance"),
        ("a NEAR/2 b NEAR/2 c", 11, "NEAR/n must join"),
        ("NEAR/3 x", 0, "NEAR/3 needs"),
        ('""', 0, "empty"),
        ("   ", 0, "empty"),
        # a bad field value is reported at the value
        ("platform:mastodn", 9, "mastodon"),
        ("sentiment:angry", 10, "negative"),
        ("followers:>lots", 11, "number"),
        ("created:yesterday", 8, "date"),
        ("likes:..", 6, "bound"),
    ],
)
def test_query_parser_syntax_error_points_at_the_culprit(query, position, says):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    error = caught.value
    assert error.position == position
    assert says in error.message
    assert caret_column(error) == position


def test_query_parser_unknown_field_names_the_known_ones():
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("livraison colour:red")
    assert caught.value.position == 10
    assert "colour" in caught.value.message
    for known in ("lang", "platform", "category", "sentiment", "author", "watch", "source", "priority", "action"):
        assert known in caught.value.message


def test_query_parser_caret_lands_on_the_right_line_of_a_multiline_query():
    query = "livraison\nOR (retard"
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(query)
    lines = str(caught.value).splitlines()
    assert lines[1].strip() == "OR (retard"
    assert lines[2].index("^") == lines[1].index("(")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab -()"*?:ORANDTNE/3lg\\\t', max_size=30))
def test_query_parser_any_input_parses_or_raises_query_syntax_error(query):
    try:
        parse_query(query)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(query)
        assert "^" in str(error)


# --- size and depth limits: one request must not be able to freeze Elasticsearch -----------------

from pipeline.query.parser import MAX_NEAR_DISTANCE, MAX_QUERY_CHARS, MAX_QUERY_DEPTH, MAX_QUERY_WORDS  # noqa: E402


@pytest.mark.parametrize("query", ["NOT " * 1000 + "a", "a NEAR/" + "9" * 5000 + " b", "(" * 5000 + "a" + ")" * 5000])
def test_query_parser_inputs_that_crashed_it_give_a_query_syntax_error(query):
    # They used to raise RecursionError and ValueError (Python's 4,300-digit int limit).
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert "at most" in error.value.message


@pytest.mark.parametrize("query", ["NOT " * 400 + "a", "-" * 1000 + "a",
                                   "a OR (b " * 200 + "c" + ")" * 200])
def test_query_parser_deep_nesting_is_refused_with_the_limit(query):
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert f"at most {MAX_QUERY_DEPTH}" in error.value.message


def test_query_parser_nesting_at_the_limit_parses():
    node = parse_query("NOT (" * MAX_QUERY_DEPTH + "a" + ")" * MAX_QUERY_DEPTH)
    assert words(node) == ["a"]


def test_query_parser_huge_near_distance_is_refused_with_the_limit():
    with pytest.raises(QuerySyntaxError) as error:
        parse_query("livraison NEAR/" + "9" * 1500 + " retard")
    assert f"at most NEAR/{MAX_NEAR_DISTANCE}" in error.value.message
    assert error.value.position == len("livraison ")
    assert parse_query(f"a NEAR/{MAX_NEAR_DISTANCE} b").distance == MAX_NEAR_DISTANCE


@pytest.mark.parametrize("query", [" ".join(f"w{n}" for n in range(MAX_QUERY_WORDS + 1)),
                                   '"' + " ".join(f"w{n}" for n in range(MAX_QUERY_WORDS + 1)) + '"',
                                   "lang:(" + " OR ".join(["fr"] * (MAX_QUERY_WORDS + 1)) + ")"])
def test_query_parser_too_many_words_is_refused_with_the_limit(query):
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert f"at most {MAX_QUERY_WORDS} words" in error.value.message


def test_query_parser_words_at_the_limit_parse():
    assert len(words(parse_query(" ".join(f"w{n}" for n in range(MAX_QUERY_WORDS))))) == MAX_QUERY_WORDS


def test_query_parser_overlong_query_is_refused_before_parsing():
    import time

    query = " ".join(["retard"] * 20_000)
    started = time.perf_counter()
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert time.perf_counter() - started < 0.5
    assert f"at most {MAX_QUERY_CHARS} characters" in error.value.message
    assert len(str(error.value)) < 1000  # the caret line shows an excerpt, not the 140,000 characters
