"""Top authors, one author's mentions and the share of likely fake accounts: Elasticsearch requests (keyword
arguments for ``AsyncElasticsearch.search``) and the shaping of their answers, as pure functions.

Only what a real Elasticsearch and the embedded one both answer: ``terms``, ``filter``, ``sum`` and
``date_histogram`` aggregations. The terms aggregation lists the most active authors (by mentions) as
candidates, ranked here by reach or engagement, rather than ordered by a sub-aggregation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from pipeline.compare import SENTIMENTS
from pipeline.query.elasticsearch import Query
from pipeline.timestamps import from_epoch_ms

AUTHOR_CANDIDATES = 500
TOP_AUTHORS = 20
AUTHOR_MENTIONS = 50
INTERACTION_METRICS = ("likes", "shares", "replies")
LIKELY_FAKE: Query = {"term": {"author_health.likely_fake": True}}
Ranking = Literal["reach", "engagement"]
RANKINGS: tuple[str, ...] = ("reach", "engagement")


def _in(query: Query, *extra: Query) -> Query:
    return {"bool": {"filter": [query, *extra]}}


def _sums() -> dict[str, Any]:
    return {"reach": {"sum": {"field": "author.followers"}},
            **{metric: {"sum": {"field": f"metrics.{metric}"}} for metric in INTERACTION_METRICS}}


def _value(aggregation: Mapping[str, Any] | None) -> int:
    return int((aggregation or {}).get("value") or 0)


def _keys(aggregation: Mapping[str, Any] | None) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in (aggregation or {}).get("buckets", [])}


def _interactions(aggregations: Mapping[str, Any]) -> int:
    return sum(_value(aggregations.get(metric)) for metric in INTERACTION_METRICS)


# -- top authors ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TopAuthor:
    id: str
    platform: str
    handle: str
    mentions: int
    reach: int  # followers summed over their mentions: how many could have seen them
    interactions: int  # likes, shares and replies of their mentions
    negative: int
    likely_fake: int  # of their mentions, those tagged as from a likely fake or automated account

    @property
    def name(self) -> str:
        return self.handle or self.id

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}


def top_authors_request(query: Query, size: int = AUTHOR_CANDIDATES) -> dict[str, Any]:
    """The ``size`` most active authors of the mentions ``query`` finds, each with their figures."""
    return {
        "size": 0,
        "query": query,
        "aggs": {"authors": {"terms": {"field": "author.id", "size": size}, "aggs": {
            **_sums(),
            "sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}},
            "handle": {"terms": {"field": "author.handle", "size": 1}},
            "platform": {"terms": {"field": "platform", "size": 1}},
            "likely_fake": {"filter": LIKELY_FAKE},
        }}},
    }


def shape_top_authors(response: Mapping[str, Any]) -> list[TopAuthor]:
    authors = []
    for bucket in ((response.get("aggregations") or {}).get("authors") or {}).get("buckets", []):
        authors.append(TopAuthor(
            id=str(bucket["key"]), platform=next(iter(_keys(bucket.get("platform"))), ""),
            handle=next(iter(_keys(bucket.get("handle"))), ""), mentions=int(bucket["doc_count"]),
            reach=_value(bucket.get("reach")), interactions=_interactions(bucket),
            negative=_keys(bucket.get("sentiment")).get("negative", 0),
            likely_fake=int((bucket.get("likely_fake") or {}).get("doc_count") or 0),
        ))
    return authors


def rank_authors(authors: Iterable[TopAuthor], by: Ranking = "reach", limit: int = TOP_AUTHORS) -> list[TopAuthor]:
    """The first ``limit`` by reach then engagement (or engagement then reach), then mentions."""
    def key(a: TopAuthor) -> tuple:
        first, second = (a.reach, a.interactions) if by == "reach" else (a.interactions, a.reach)
        return -first, -second, -a.mentions, a.id

    return sorted(authors, key=key)[:limit]


# -- the share of likely fake accounts --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FakeShare:
    mentions: int
    likely_fake: int

    @property
    def share(self) -> float:
        return round(self.likely_fake / self.mentions, 4) if self.mentions else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"mentions": self.mentions, "likely_fake": self.likely_fake, "share": self.share}


def fake_share_request(query: Query, watches: int = 50) -> dict[str, Any]:
    """How many of the mentions ``query`` finds come from likely fake accounts, in all and per watch."""
    return {"size": 0, "track_total_hits": True, "query": query, "aggs": {
        "likely_fake": {"filter": LIKELY_FAKE},
        "watches": {"terms": {"field": "watch", "size": watches}, "aggs": {"likely_fake": {"filter": LIKELY_FAKE}}},
    }}


def shape_fake_share(response: Mapping[str, Any]) -> tuple[FakeShare, dict[str, FakeShare]]:
    aggregations = response.get("aggregations") or {}
    total = (response.get("hits") or {}).get("total") or {}
    overall = FakeShare(int(total.get("value", 0)), int((aggregations.get("likely_fake") or {}).get("doc_count") or 0))
    per_watch = {str(b["key"]): FakeShare(int(b["doc_count"]), int((b.get("likely_fake") or {}).get("doc_count") or 0))
                 for b in (aggregations.get("watches") or {}).get("buckets", [])}
    return overall, per_watch


# -- one author -------------------------------------------------------------------------------------

def author_query(platform: str, author_id: str) -> Query:
    return {"bool": {"filter": [{"term": {"platform": platform}}, {"term": {"author.id": author_id}}]}}


def author_request(platform: str, author_id: str, query: Query, interval: str,
                   size: int = AUTHOR_MENTIONS) -> dict[str, Any]:
    """One author's latest mentions among those ``query`` finds, with their figures and sentiment over time."""
    return {
        "size": size,
        "track_total_hits": True,
        "query": _in(query, author_query(platform, author_id)),
        "sort": [{"created_at": {"order": "desc"}}],
        "aggs": {
            **_sums(),
            "likely_fake": {"filter": LIKELY_FAKE},
            "sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}},
            "over_time": {"date_histogram": {"field": "created_at", "fixed_interval": interval, "min_doc_count": 0},
                          "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}}}},
        },
    }


@dataclass(frozen=True, slots=True)
class AuthorView:
    platform: str
    id: str
    handle: str
    name: str
    followers: int | None
    mentions: int
    reach: int
    interactions: int
    likely_fake: int
    health: dict[str, Any] | None  # the latest mention's author_health
    sentiment: dict[str, int]
    sentiment_over_time: list[tuple[datetime, dict[str, int]]]
    latest: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "id": self.id, "handle": self.handle, "name": self.name,
                "followers": self.followers, "mentions": self.mentions, "reach": self.reach,
                "interactions": self.interactions, "likely_fake": self.likely_fake, "health": self.health,
                "sentiment": self.sentiment,
                "sentiment_over_time": [{"at": at.isoformat(), **counts} for at, counts in self.sentiment_over_time],
                "latest": self.latest}


def shape_author(platform: str, author_id: str, response: Mapping[str, Any]) -> AuthorView:
    aggregations = response.get("aggregations") or {}
    latest = [hit["_source"] for hit in (response.get("hits") or {}).get("hits", [])]
    author = (latest[0].get("author") or {}) if latest else {}
    over_time = [(from_epoch_ms(b["key"]), {name: _keys(b.get("sentiment")).get(name, 0) for name in SENTIMENTS})
                 for b in (aggregations.get("over_time") or {}).get("buckets", [])]
    return AuthorView(
        platform=platform, id=author_id, handle=str(author.get("handle") or ""), name=str(author.get("name") or ""),
        followers=author.get("followers"), mentions=int(((response.get("hits") or {}).get("total") or {}).get("value", 0)),
        reach=_value(aggregations.get("reach")), interactions=_interactions(aggregations),
        likely_fake=int((aggregations.get("likely_fake") or {}).get("doc_count") or 0),
        health=latest[0].get("author_health") if latest else None,
        sentiment={name: _keys(aggregations.get("sentiment")).get(name, 0) for name in SENTIMENTS},
        sentiment_over_time=over_time, latest=latest,
    )
