"""The query compiler and ``veille search`` against the session's embedded Elasticsearch API.

Each test module run creates its own throwaway index ``qtest-<random>-mentions`` with the sink's mapping,
and deletes it afterwards.
"""

from __future__ import annotations

import uuid

import orjson
import pytest
from typer.testing import CliRunner

import pipeline.commands.search  # noqa: F401  (registers the command)
from pipeline.cli import app
from pipeline.query import compile_query
from pipeline.settings import get_settings

pytestmark = pytest.mark.integration

def _mention(mention_id: str, lang: str, sentiment: str, category: str, author: dict, likes: int, text: str,
             created_at: str, **more) -> dict:
    return {"id": mention_id, "platform": mention_id.split(":")[0], "lang": lang, "sentiment": sentiment,
            "categories": [category], "author": author, "metrics": {"likes": likes}, "text": text,
            **more, "created_at": created_at}


MENTIONS = [
    _mention("mastodon:1", "fr", "negative", "complaint", {"id": "m-1", "handle": "@alice", "followers": 5000}, 3,
             "Encore un retard de livraison, inadmissible. Le colis est perdu", "2026-11-20T10:00:00Z"),
    _mention("twitter:2", "fr", "positive", "positive", {"id": "t-2", "handle": "bob", "followers": 10}, 50,
             "Les livraisons sont rapides, merci !", "2026-11-21T09:00:00Z"),
    _mention("reddit:3", "en", "negative", "complaint", {"id": "r-3", "handle": "carol", "followers": 200}, 7,
             "Delivery was late again, shipping delays everywhere", "2026-11-19T10:00:00Z", title="Late delivery"),
    _mention("bluesky:4", "fr", "negative", "complaint", {"id": "b-4", "handle": "dave"}, 0,
             "Demande de remboursement, le service client est nul", "2026-11-18T10:00:00Z"),
    _mention("mastodon:5", "fr", "negative", "complaint", {"id": "m-5", "handle": "erin"}, 1,
             "Retard énorme et la livraison n'est jamais arrivée", "2026-11-17T10:00:00Z"),
]


@pytest.fixture(scope="module")
def live_index(stack, settings):
    """A throwaway index on the session's embedded Elasticsearch API; ``veille search`` pointed at it."""
    from elasticsearch import Elasticsearch

    from pipeline.sinks.elasticsearch import MENTION_PROPERTIES

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VEILLE_ELASTICSEARCH_URL", settings.elasticsearch.url)
        get_settings.cache_clear()
        yield from _live_index(Elasticsearch(settings.elasticsearch.url, request_timeout=10, max_retries=0),
                               MENTION_PROPERTIES)
    get_settings.cache_clear()


def _live_index(client, mention_properties):
    prefix = f"qtest-{uuid.uuid4().hex[:8]}"
    index = f"{prefix}-mentions"
    client.indices.create(index=index, mappings={"dynamic": False, "properties": mention_properties})
    try:
        for mention in MENTIONS:
            client.index(index=index, id=mention["id"], document=mention)
        client.indices.refresh(index=index)
        yield client, prefix, index
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)
        client.close()


def found(live_index, query: str) -> set[str]:
    client, _, index = live_index
    response = client.search(index=index, query=compile_query(query), size=50)
    return {hit["_id"] for hit in response["hits"]["hits"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("livraison", {"mastodon:1", "twitter:2", "mastodon:5"}),  # "livraisons" through text.fr
        ('"retard de livraison"', {"mastodon:1"}),
        ("livraison NEAR/3 retard", {"mastodon:1", "mastodon:5"}),  # 1 and 3 words apart
        ("livraison NEAR/2 retard", {"mastodon:1"}),
        ('"service client" NEAR/2 nul', {"bluesky:4"}),
        ("livr* NEAR/1 retard", {"mastodon:1"}),
        ("livr*", {"mastodon:1", "twitter:2", "mastodon:5"}),
        ("livraison -rapides", {"mastodon:1", "mastodon:5"}),
        ("lang:FR category:complaint", {"mastodon:1", "bluesky:4", "mastodon:5"}),
        ("NOT lang:fr", {"reddit:3"}),
        ("platform:mastodon OR platform:reddit", {"mastodon:1", "reddit:3", "mastodon:5"}),
        ("platform:(mastodon OR reddit) -livraison", {"reddit:3"}),
        ("author:alice", {"mastodon:1"}),
        ("author:@bob", {"twitter:2"}),
        ("author:r-3", {"reddit:3"}),
        ("followers:>1000", {"mastodon:1"}),
        ("likes:3..50", {"mastodon:1", "twitter:2", "reddit:3"}),
        ("created:2026-11-20", {"mastodon:1"}),
        ("created:<2026-11-19", {"bluesky:4", "mastodon:5"}),
        ("title:delivery", {"reddit:3"}),
        ("title:*", {"reddit:3"}),
        ("delays OR remboursement", {"reddit:3", "bluesky:4"}),
    ],
)
def test_search_live_query_finds_the_expected_mentions(live_index, query, expected):
    assert found(live_index, query) == expected


def test_search_live_command_prints_human_lines(live_index, monkeypatch):
    _, prefix, _ = live_index
    monkeypatch.setenv("VEILLE_INDEX_PREFIX", prefix)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["search", "retard", "--since", "2026-11-01", "--until", "2026-11-30"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("2026-")]
    assert len(lines) == 2
    assert lines[0].startswith("2026-11-20 10:00")
    assert "@alice" in lines[0] and "complaint" in lines[0]


def test_search_live_command_prints_newest_first_as_json_lines(live_index, monkeypatch):
    _, prefix, _ = live_index
    monkeypatch.setenv("VEILLE_INDEX_PREFIX", prefix)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["search", "livraison", "--since", "all", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert [orjson.loads(line)["id"] for line in lines] == ["twitter:2", "mastodon:1", "mastodon:5"]
