"""The authors' reads from Elasticsearch, for the web app and ``veille authors``: the requests of
:mod:`pipeline.authors.queries` sent and their answers shaped. An index not created yet reads as no mentions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from pipeline.authors import queries
from pipeline.compare import histogram_interval
from pipeline.query.elasticsearch import Query


async def _search(client: AsyncElasticsearch, index: str, body: dict[str, Any]) -> Mapping[str, Any]:
    try:
        return (await client.search(index=index, **body)).body
    except NotFoundError:
        return {}


async def top_authors(client: AsyncElasticsearch, index: str, query: Query, by: queries.Ranking = "reach",
                      limit: int = queries.TOP_AUTHORS) -> list[queries.TopAuthor]:
    """The ``limit`` authors of the mentions ``query`` finds with the widest reach (or most engagement)."""
    response = await _search(client, index, queries.top_authors_request(query))
    return queries.rank_authors(queries.shape_top_authors(response), by, limit)


async def fake_share(client: AsyncElasticsearch, index: str,
                     query: Query) -> tuple[queries.FakeShare, dict[str, queries.FakeShare]]:
    """The share of the mentions ``query`` finds that come from likely fake accounts, in all and per watch."""
    return queries.shape_fake_share(await _search(client, index, queries.fake_share_request(query)))


async def author(client: AsyncElasticsearch, index: str, platform: str, author_id: str, query: Query,
                 since: datetime | None, until: datetime) -> queries.AuthorView:
    """One author's latest mentions, figures and sentiment over the period."""
    interval = histogram_interval(since, until, max_buckets=30) if since is not None else "1d"
    response = await _search(client, index, queries.author_request(platform, author_id, query, interval))
    return queries.shape_author(platform, author_id, response)
