"""Compiling queries to Elasticsearch 8 DSL: the shape of what is sent, field by field and operator by operator."""

from __future__ import annotations

import pytest

from pipeline.query import QuerySyntaxError, compile_query
from pipeline.query.fields import FIELDS, TEXT_FIELDS


def test_query_elasticsearch_word_searches_text_title_and_stemmed_subfields():
    query = compile_query("livraison")
    assert query == {"multi_match": {"query": "livraison", "fields": list(TEXT_FIELDS), "operator": "and"}}
    assert {"text", "text.fr", "text.en", "title"} <= set(TEXT_FIELDS)


def test_query_elasticsearch_phrase_is_match_phrase_on_each_text_field():
    query = compile_query('"retard de livraison"')
    should = query["bool"]["should"]
    assert query["bool"]["minimum_should_match"] == 1
    assert {field for clause in should for field in clause["match_phrase"]} == set(TEXT_FIELDS)
    assert all(value == "retard de livraison" for clause in should for value in clause["match_phrase"].values())


def test_query_elasticsearch_wildcard_is_case_insensitive_on_text_and_title():
    query = compile_query("Livr*")
    wildcards = [clause["wildcard"] for clause in query["bool"]["should"]]
    assert {field for w in wildcards for field in w} == {"text", "title"}
    assert all(spec == {"value": "livr*", "case_insensitive": True} for w in wildcards for spec in w.values())


def test_query_elasticsearch_and_puts_fields_in_filter_words_in_must_and_negations_in_must_not():
    query = compile_query("lang:fr livraison -remboursement")
    bool_query = query["bool"]
    assert bool_query["filter"] == [{"term": {"lang": {"value": "fr", "case_insensitive": True}}}]
    assert [clause["multi_match"]["query"] for clause in bool_query["must"]] == ["livraison"]
    assert [clause["multi_match"]["query"] for clause in bool_query["must_not"]] == ["remboursement"]


def test_query_elasticsearch_or_of_fields_is_a_filter_inside_and():
    query = compile_query("(platform:mastodon OR platform:bluesky) livraison")
    (field_filter,) = query["bool"]["filter"]
    platforms = [clause["term"]["platform"]["value"] for clause in field_filter["bool"]["should"]]
    assert platforms == ["mastodon", "bluesky"]
    assert field_filter["bool"]["minimum_should_match"] == 1


def test_query_elasticsearch_field_group_equals_the_spelled_out_or():
    assert compile_query("lang:(fr OR en) livraison") == compile_query("(lang:fr OR lang:en) livraison")


def test_query_elasticsearch_or_requires_one_clause():
    query = compile_query("livraison OR colis")
    assert query["bool"]["minimum_should_match"] == 1
    assert [c["multi_match"]["query"] for c in query["bool"]["should"]] == ["livraison", "colis"]


def test_query_elasticsearch_lone_not_is_a_must_not():
    query = compile_query("NOT sentiment:positive")
    assert query == {"bool": {"must_not": [{"term": {"sentiment": {"value": "positive", "case_insensitive": True}}}]}}


def _span_near(words: list[str], slop: int, in_order: bool) -> dict:
    return {"span_near": {"clauses": [{"span_term": {"text": word}} for word in words], "slop": slop, "in_order": in_order}}


def test_query_elasticsearch_near_is_unordered_span_near_with_slop_on_lowercased_text():
    assert compile_query("Livraison NEAR/3 RETARD") == _span_near(["livraison", "retard"], slop=3, in_order=False)


def test_query_elasticsearch_near_phrase_operand_is_an_ordered_exact_span():
    phrase_span = compile_query('"Service Client" NEAR/5 nul')["span_near"]["clauses"][0]
    assert phrase_span == _span_near(["service", "client"], slop=0, in_order=True)


def test_query_elasticsearch_near_word_split_like_the_standard_tokenizer():
    query = compile_query("e-commerce NEAR/2 l'été")
    hyphenated, elided = query["span_near"]["clauses"]
    assert [c["span_term"]["text"] for c in hyphenated["span_near"]["clauses"]] == ["e", "commerce"]
    assert elided == {"span_term": {"text": "l'été"}}


def test_query_elasticsearch_near_wildcard_is_span_multi_with_bounded_rewrite():
    query = compile_query("LIVR* NEAR/3 retard")
    span_multi = query["span_near"]["clauses"][0]["span_multi"]
    wildcard = span_multi["match"]["wildcard"]["text"]
    assert wildcard["value"] == "livr*"
    assert wildcard["case_insensitive"] is True
    assert wildcard["rewrite"].startswith("top_terms_")


def test_query_elasticsearch_near_operand_without_letters_is_an_error():
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query("livraison NEAR/3 !!!")
    assert caught.value.position == 17


def test_query_elasticsearch_category_alias_maps_to_categories():
    assert compile_query("category:complaint") == {
        "term": {"categories": {"value": "complaint", "case_insensitive": True}}
    }


def test_query_elasticsearch_identifier_fields_keep_their_case():
    assert compile_query("id:twitter:AbC") == {"term": {"id": {"value": "twitter:AbC"}}}
    assert FIELDS["url"].case_insensitive is False


@pytest.mark.parametrize(("value", "handles"), [("@alice", ["alice", "@alice"]), ("alice", ["alice", "@alice"])])
def test_query_elasticsearch_author_matches_id_or_handle_with_or_without_at(value, handles):
    query = compile_query(f"author:{value}")
    should = query["bool"]["should"]
    assert {"term": {"author.id": {"value": value}}} in should
    found = [c["term"]["author.handle"]["value"] for c in should if "author.handle" in c["term"]]
    assert sorted(found) == sorted(handles)


def test_query_elasticsearch_field_star_is_exists():
    assert compile_query("action:*") == {"exists": {"field": "action"}}


def test_query_elasticsearch_keyword_wildcard():
    assert compile_query("watch:acme*") == {"wildcard": {"watch": {"value": "acme*", "case_insensitive": True}}}


def test_query_elasticsearch_title_field_searches_only_title():
    query = compile_query("title:livraison")
    assert query["multi_match"]["fields"] == ["title", "title.fr", "title.en"]


def test_query_elasticsearch_numeric_ranges():
    assert compile_query("followers:>1000") == {"range": {"author.followers": {"gt": 1000}}}
    assert compile_query("likes:10..100") == {"range": {"metrics.likes": {"gte": 10, "lte": 100}}}
    assert compile_query("score:<-0.5") == {"range": {"sentiment_score": {"lt": -0.5}}}


def test_query_elasticsearch_bare_day_means_the_whole_day():
    assert compile_query("created:2026-11-01") == {
        "range": {"created_at": {"gte": "2026-11-01||/d", "lte": "2026-11-01||/d"}}
    }
    assert compile_query("created:>2026-11-01") == {"range": {"created_at": {"gt": "2026-11-01||/d"}}}


def test_query_elasticsearch_datetimes_and_date_math_pass_through():
    assert compile_query("tagged:>=2026-11-01T08:30:00Z") == {"range": {"tagged_at": {"gte": "2026-11-01T08:30:00Z"}}}
    assert compile_query("created:>now-24h") == {"range": {"created_at": {"gt": "now-24h"}}}
