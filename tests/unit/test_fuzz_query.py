"""Fuzzing the query language: any text, and soups of its operators, fields and values, either parses
(then compiles to Elasticsearch and evaluates against a mention) or raises the parser's own
:class:`QuerySyntaxError` with a position inside the query; never another exception."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.query import QuerySyntaxError, QueryTooLarge, compile_query, parse_query
from pipeline.query.ast import Node
from pipeline.query.match import matches
from pipeline.query.parser import MAX_QUERY_CHARS

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
MENTION = {"id": "forum:1", "platform": "forum", "lang": "fr", "text": "Lumio livraison en retard, remboursement ?",
           "title": "Lumio Hub", "author": {"id": "u1", "handle": "@u1", "followers": 1200},
           "metrics": {"likes": 4}, "created_at": "2026-12-01T08:00:00Z", "categories": ["delivery"],
           "sentiment": "negative"}

# VEILLE_FUZZ_EXAMPLES=5000 for a longer run.
FUZZ = settings(max_examples=int(os.environ.get("VEILLE_FUZZ_EXAMPLES", 500)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

OPERATORS = ["OR", "AND", "NOT", "-", "NEAR", "NEAR/0", "NEAR/3", "NEAR/101", "NEAR/" + "9" * 30, "(", ")", '"',
             '""', "*", "?", "\\", "\\\"", ":", "..", ">", ">=", "<", "<=", "or", "and", "not"]
FIELDS = ["lang:", "platform:", "sentiment:", "author:", "followers:", "likes:", "created:", "text:", "title:",
          "category:", "nosuchfield:", "a.b:", "_:"]
VALUES = ["fr", "x", "*", "livr*", "retar?", "1000", ">1000", ">=1k", "10..100", "..", "1..", "..5", "1e309", "-0",
          "2026-11-01", "2026-13-45", ">now-24h", "now+1d/d", "now-99999999999999999999y", "9" * 400, "nan", "inf",
          '"un mot"', "(fr OR en)", "()", "é", "\u0301", "\U0001f600", "\x00", "\u2028", "日本"]

soup = st.lists(st.one_of(st.sampled_from(OPERATORS), st.sampled_from(FIELDS), st.sampled_from(VALUES),
                          st.tuples(st.sampled_from(FIELDS), st.sampled_from(VALUES)).map("".join),
                          st.text(max_size=6)),
                max_size=40).flatmap(
    lambda parts: st.sampled_from([" ", "", "\t", "\n"]).map(lambda sep: sep.join(parts)))


def _assert_parses_or_explains(query: str) -> None:
    try:
        node = parse_query(query)
    except QuerySyntaxError as error:
        assert error.message.strip(), query
        assert 0 <= error.position <= len(query)
        assert f"(at position {error.position})" in str(error)
        if isinstance(error, QueryTooLarge):
            assert "at most" in error.message
        return
    assert isinstance(node, Node)
    try:
        compiled = compile_query(query)
    except QuerySyntaxError as error:  # NEAR between operands with no word: explained, with a position
        assert 0 <= error.position <= len(query)
    else:
        assert isinstance(compiled, dict) and compiled
    assert matches(node, MENTION, NOW) in (True, False)


@FUZZ
@given(st.text(max_size=120))
def test_fuzz_query_any_text_parses_or_raises_query_syntax_error(query):
    _assert_parses_or_explains(query)


@FUZZ
@given(soup)
def test_fuzz_query_operator_soup_parses_or_raises_query_syntax_error(query):
    _assert_parses_or_explains(query)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(OPERATORS + FIELDS + VALUES), st.integers(min_value=1, max_value=MAX_QUERY_CHARS // 2))
def test_fuzz_query_repeated_operators_stay_within_the_limits(part, times):
    _assert_parses_or_explains(" ".join([part] * times)[: MAX_QUERY_CHARS + 10])


# -- what the fuzzing found ----------------------------------------------------------------------------

import pytest  # noqa: E402

from pipeline.query.parser import MAX_DATE_MATH_YEARS  # noqa: E402


@pytest.mark.parametrize("query", ["created:>now-99999999999999999999y", "created:>now-9999y",
                                   "created:<now+9999999999d", "created:now-1001y..now",
                                   "created:>now-" + "9" * 1500 + "s"])
def test_fuzz_query_date_math_beyond_the_limit_is_refused(query):
    # They parsed, then matching a mention raised OverflowError (Python int too large / date value out of range).
    with pytest.raises(QueryTooLarge) as error:
        parse_query(query)
    assert f"at most {MAX_DATE_MATH_YEARS} years" in error.value.message
    assert error.value.position == query.index(":") + 1 + (1 if query[query.index(":") + 1] in "<>" else 0)


def test_fuzz_query_date_math_at_the_limit_matches():
    assert matches(f"created:>now-{MAX_DATE_MATH_YEARS}y", MENTION, NOW)
    assert not matches(f"created:>now+{MAX_DATE_MATH_YEARS * 365}d", MENTION, NOW)


@pytest.mark.parametrize(("query", "expected"), [("created:<=9999-12-31", True), ("created:>9999-12-31", False),
                                                 ("created:0001-01-01..9999-12-31", True)])
def test_fuzz_query_last_day_of_the_calendar_as_a_bound_matches(query, expected):
    # A bare day as an upper bound is its last instant: for 9999-12-31 that overflowed datetime.
    assert matches(query, MENTION, NOW) is expected
