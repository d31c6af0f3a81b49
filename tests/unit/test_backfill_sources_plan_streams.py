"""What a source backfill reads for one watch: the streams the live connector would read, those of the watch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.settings import Settings
from pipeline.sources.http import PoliteClient
from pipeline.trends.backfill_sources import plan_streams, source_specs, tags_of
from pipeline.watches import Watches

WATCHES = """
sources:
  - {name: masto, type: mastodon, base_url: "https://masto.example", hashtags: [aquarelle, lumio, "#LumioHalo"]}
  - {name: reddit, type: reddit}
  - {name: hn, type: hackernews, searches: [Lumio, Nordlys]}
  - {name: news, type: rss, feeds: ["https://news.example/feed.xml"]}
  - {name: other-news, type: rss, feeds: ["https://other.example/feed.xml"]}
watches:
  - {name: Lumio, keywords: [Lumio, "@lumiohome", "Lumio Halo", "livr*"], sources: [masto, reddit, hn, news]}
  - {name: Aquarelle, keywords: [Aquarelle], sources: [masto]}
"""
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def plan(source: str, watch: str = "Lumio", **settings):
    watches = Watches.from_yaml(WATCHES)
    compiled = next(w for w in watches.watches if w.name == watch)
    http = PoliteClient(user_agent="veille-test")
    streams = plan_streams(source, compiled, source_specs(watches, compiled, source), Settings(**settings), watches,
                           http, SINCE)
    return [(s.name, s.url, s.params, s.source_name) for s in streams]


def test_backfill_sources_plan_reads_the_source_hashtags_that_are_the_watch():
    assert [(n, u) for n, u, _, _ in plan("mastodon")] == [
        ("hashtag:lumio", "https://masto.example/api/v1/timelines/tag/lumio"),
        ("hashtag:LumioHalo", "https://masto.example/api/v1/timelines/tag/LumioHalo")]
    searched = plan("mastodon", mastodon={"access_token": "t0ken"})
    assert [n for n, *_ in searched][2:] == ["search:Lumio", "search:@lumiohome", "search:Lumio Halo"]  # no wildcard
    assert searched[2][2] == {"q": "Lumio", "type": "statuses", "limit": 40, "resolve": "false"}


def test_backfill_sources_plan_searches_reddit_by_new_and_hackernews_since_the_window():
    reddit = plan("reddit")
    assert [n for n, *_ in reddit] == ["search:Lumio", "search:@lumiohome", "search:Lumio Halo"]
    assert reddit[0][1] == "https://www.reddit.com/search.json" and reddit[0][2]["sort"] == "new"
    hn = plan("hackernews")
    assert [n for n, *_ in hn] == ["search:Lumio"]  # the source's own searches, those of this watch
    assert hn[0][2]["numericFilters"] == f"created_at_i>{int(SINCE.timestamp())}" and hn[0][3] == "hn"


def test_backfill_sources_plan_reads_the_feeds_of_the_followed_rss_sources_only():
    assert [(n, s) for n, _, _, s in plan("rss")] == [("https://news.example/feed.xml", "news")]
    with pytest.raises(ValueError, match="follows none of the rss sources"):
        plan("rss", watch="Aquarelle")


def test_backfill_sources_tags_are_single_words_or_hashtags():
    assert tags_of(["#Boycott", "Lumio", "Lumio Halo", "@lumio", "livr*", "lumio"]) == ["Boycott", "Lumio", "lumio"]
