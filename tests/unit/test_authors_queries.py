"""The authors' Elasticsearch requests (terms, filter, sum and date_histogram only) and the shaping of answers."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.authors.queries import (
    LIKELY_FAKE,
    TopAuthor,
    author_request,
    fake_share_request,
    rank_authors,
    shape_author,
    shape_fake_share,
    shape_top_authors,
    top_authors_request,
)

WATCH = {"term": {"watch": "Aquarelle"}}
REAL_AGGREGATIONS = {"terms", "filter", "sum", "date_histogram", "avg"}


def _aggregation_kinds(aggs: dict) -> set[str]:
    kinds = set()
    for body in aggs.values():
        kinds |= {key for key in body if key != "aggs"}
        kinds |= _aggregation_kinds(body.get("aggs", {}))
    return kinds


def test_authors_queries_top_authors_request_is_a_terms_aggregation_with_sums():
    request = top_authors_request(WATCH, size=300)
    authors = request["aggs"]["authors"]
    assert request["size"] == 0 and request["query"] == WATCH
    assert authors["terms"] == {"field": "author.id", "size": 300}
    assert authors["aggs"]["reach"] == {"sum": {"field": "author.followers"}}
    assert {name: body["sum"]["field"] for name, body in authors["aggs"].items() if "sum" in body} == {
        "reach": "author.followers", "likes": "metrics.likes", "shares": "metrics.shares", "replies": "metrics.replies"}
    assert authors["aggs"]["likely_fake"] == {"filter": {"term": {"author_health.likely_fake": True}}}
    assert _aggregation_kinds(request["aggs"]) <= REAL_AGGREGATIONS


def test_authors_queries_every_request_asks_only_real_elasticsearch_aggregations():
    for request in (fake_share_request(WATCH), author_request("mastodon", "42", WATCH, "1h")):
        assert _aggregation_kinds(request["aggs"]) <= REAL_AGGREGATIONS
    assert author_request("mastodon", "42", WATCH, "1h")["query"] == {"bool": {"filter": [
        WATCH, {"bool": {"filter": [{"term": {"platform": "mastodon"}}, {"term": {"author.id": "42"}}]}}]}}


def _bucket(key, count, reach, likes=0, fake=0, handle=None, negative=0):
    return {"key": key, "doc_count": count, "reach": {"value": reach}, "likes": {"value": likes},
            "shares": {"value": 0}, "replies": {"value": 1}, "likely_fake": {"doc_count": fake},
            "handle": {"buckets": [{"key": handle, "doc_count": count}] if handle else []},
            "platform": {"buckets": [{"key": "mastodon", "doc_count": count}]},
            "sentiment": {"buckets": [{"key": "negative", "doc_count": negative}]}}


def test_authors_queries_shape_and_rank_top_authors_by_reach_or_engagement():
    response = {"aggregations": {"authors": {"buckets": [
        _bucket("a", 9, 90, likes=2, handle="ana"), _bucket("b", 2, 40_000, likes=0),
        _bucket("c", 4, 400, likes=500, fake=4, negative=3)]}}}
    authors = shape_top_authors(response)
    assert authors[0] == TopAuthor("a", "mastodon", "ana", 9, 90, 3, 0, 0)
    assert authors[2].likely_fake == 4 and authors[2].negative == 3
    assert [a.id for a in rank_authors(authors, "reach")] == ["b", "c", "a"]
    assert [a.id for a in rank_authors(authors, "engagement", limit=2)] == ["c", "a"]
    assert authors[1].to_json()["name"] == "b"  # no handle: the id
    assert shape_top_authors({}) == []


def test_authors_queries_fake_share_overall_and_per_watch():
    request = fake_share_request(WATCH)
    assert request["aggs"]["likely_fake"] == {"filter": LIKELY_FAKE}
    assert request["aggs"]["watches"]["aggs"]["likely_fake"] == {"filter": LIKELY_FAKE}
    overall, per_watch = shape_fake_share({"hits": {"total": {"value": 200}}, "aggregations": {
        "likely_fake": {"doc_count": 30},
        "watches": {"buckets": [{"key": "Aquarelle", "doc_count": 150, "likely_fake": {"doc_count": 30}},
                                {"key": "Lumio", "doc_count": 50, "likely_fake": {"doc_count": 0}}]}}})
    assert overall.to_json() == {"mentions": 200, "likely_fake": 30, "share": 0.15}
    assert per_watch["Aquarelle"].share == 0.2 and per_watch["Lumio"].share == 0.0
    assert shape_fake_share({})[0].share == 0.0


def test_authors_queries_shape_one_author_with_sentiment_over_time():
    latest = {"id": "mastodon:1", "author": {"id": "42", "handle": "bot", "followers": 3},
              "author_health": {"score": 1.0, "likely_fake": True, "reasons": ["few_followers"]}}
    view = shape_author("mastodon", "42", {
        "hits": {"total": {"value": 7}, "hits": [{"_source": latest}]},
        "aggregations": {"reach": {"value": 21}, "likes": {"value": 1}, "shares": {"value": 2}, "replies": {"value": 0},
                         "likely_fake": {"doc_count": 7},
                         "sentiment": {"buckets": [{"key": "negative", "doc_count": 5}, {"key": "neutral", "doc_count": 2}]},
                         "over_time": {"buckets": [{"key": 1_795_000_000_000, "doc_count": 7, "sentiment": {
                             "buckets": [{"key": "negative", "doc_count": 5}]}}]}}})
    assert (view.handle, view.followers, view.mentions, view.reach, view.interactions) == ("bot", 3, 7, 21, 3)
    assert view.sentiment == {"negative": 5, "neutral": 2, "positive": 0}
    assert view.sentiment_over_time == [(datetime.fromtimestamp(1_795_000_000, UTC),
                                         {"negative": 5, "neutral": 0, "positive": 0})]
    assert view.health["likely_fake"] and view.to_json()["latest"] == [latest]

