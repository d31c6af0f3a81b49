"""watches.yaml: loading, errors that name the culprit, and which watches a mention belongs to."""

from pathlib import Path

import orjson
import pytest

from pipeline.watches import Watches, WatchesError

ROOT = Path(__file__).resolve().parents[2]

SMALL = """
sources:
  - {name: feeds, type: rss, feeds: [http://example.test/feed]}
  - {name: page, type: webhook, provider: meta, owned: true}
watches:
  - name: Aquarelle
    keywords: [Aquarelle, "Crème Nuage", "livr*"]
    exclude: 'peinture -cosmétique*'
    sources: [feeds, page]
  - name: Nordlys
    kind: competitor
    keywords: [Nordlys]
    query: 'Aurora NEAR/3 lampe'
    sources: [feeds]
"""


def mention(text, **extra):
    return {"id": "rss:1", "platform": "rss", "native_id": "1", "source": "s", "author": {"id": "a"},
            "text": text, "created_at": "2026-11-20T08:00:00Z", **extra}


def test_watches_project_file_loads():
    watches = Watches.load(ROOT / "watches.yaml")
    assert [w.name for w in watches.watches] == ["Aquarelle", "Lumio", "Nordlys"]
    assert {s.type for s in watches.spec.sources} >= {"rss", "mastodon", "bluesky", "reddit", "hackernews", "webhook"}


def test_watches_project_file_agrees_with_the_sample_stream():
    """The demo watches give the sample stream's own watch labels to almost every mention."""
    watches = Watches.load(ROOT / "watches.yaml")
    rows = [orjson.loads(line) for line in (ROOT / "data/sample/mentions.jsonl").read_bytes().splitlines()]
    agree = sum(set(watches.match(row, "bluesky")) == set(row["watch"]) for row in rows)
    assert agree / len(rows) >= 0.95


def test_watches_keywords_query_and_exclude():
    watches = Watches.from_yaml(SMALL)
    assert watches.match(mention("J'adore la crème nuage"), "feeds") == ["Aquarelle"]
    assert watches.match(mention("aquarelle et peinture à l'eau"), "feeds") == []
    assert watches.match(mention("peinture Aquarelle, la gamme cosmétique"), "feeds") == ["Aquarelle"]
    assert watches.match(mention("la lampe Aurora de chez eux"), "feeds") == ["Nordlys"]
    assert watches.match(mention("Nordlys ou Aquarelle ?"), "feeds") == ["Aquarelle", "Nordlys"]


def test_watches_only_the_watches_following_a_source():
    watches = Watches.from_yaml(SMALL)
    assert watches.match(mention("Nordlys"), "page") == ["Aquarelle"]  # owned: every item; Nordlys does not follow
    assert watches.match(mention("hello"), "page") == ["Aquarelle"]
    assert watches.match(mention("hello"), "feeds") == []


def test_watches_replies_inherit_their_thread():
    watches = Watches.from_yaml(SMALL)
    assert watches.match(mention("Aquarelle a changé sa formule", id="rss:p", native_id="p"), "feeds") == ["Aquarelle"]
    reply = mention("ah bon ? depuis quand ?", id="rss:r", native_id="r", parent_id="rss:p")
    assert watches.match(reply, "feeds") == ["Aquarelle"]
    assert watches.match(mention("ah bon ?", id="rss:x", native_id="x", parent_id="rss:other"), "feeds") == []


@pytest.mark.parametrize("text, message", [
    ("watches: [{name: A, keywords: [a], query: '(a OR'}]", "watch A: query"),
    ("watches: [{name: A, keywords: [a], sources: [nowhere]}]", "unknown source(s) nowhere"),
    ("watches: [{name: A}]", "give 'keywords' or a 'query'"),
    ("watches: [{name: A, keywords: [a]}, {name: A, keywords: [b]}]", "declared twice: A"),
    ("sources: [{name: s, type: rss}]\nwatches: []", "needs 'feeds'"),
    ("sources: [{name: s, type: rss, feeds: [x], colour: red}]\nwatches: []", "colour"),
    ("watches: [{name: A, keywords: [a]", "not valid YAML"),
])
def test_watches_errors_name_the_culprit(text, message):
    with pytest.raises(WatchesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Watches.from_yaml(text)


def test_watches_missing_file_says_which(tmp_path):
    with pytest.raises(WatchesError, match="does not exist"):
        Watches.load(tmp_path / "watches.yaml")
