"""Every normaliser over every real recorded payload in ../shared/payloads (skipped when absent).

For each file: nothing crashes, every reject has a reason, ids are well formed and unique; for the
files listed in EXPECTED, the named mentions come out with the fields the recording shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.sources.registry import normalizers

NORMALIZERS = normalizers()

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "payloads"
FETCHED = datetime(2026, 11, 21, tzinfo=UTC)
NOT_PAYLOADS = {"README.txt", "README.md", "manifest.json"}


def _payload_files() -> list[tuple[str, Path]]:
    if not SHARED.is_dir():
        return []
    return [
        (source, path)
        for source in sorted(NORMALIZERS)
        for path in sorted((SHARED / source).glob("*"))
        if path.is_file()
        and path.name not in NOT_PAYLOADS
        and not path.name.startswith("README")
        and path.suffix != ".zst"
    ]


FILES = _payload_files()

# file -> {mention id: {field: expected}}; dotted fields read nested attributes.
EXPECTED: dict[str, dict[str, dict]] = {
    "hackernews/item_8863_story.json": {
        "hackernews:8863": {
            "title": "My YC app: Dropbox - Throw away your USB drive",
            "author.id": "dhouston",
            "metrics.likes": 111,
            "metrics.replies": 71,
            "created_at": datetime(2007, 4, 4, 19, 16, 40, tzinfo=UTC),
        }
    },
    "hackernews/item_2921983_comment.json": {
        "hackernews:2921983": {"author.id": "norvig", "parent_id": "hackernews:2921506"}
    },
    "hackernews/item_160705_pollopt.json": {
        "hackernews:160705": {"parent_id": "hackernews:160704", "metrics.likes": 335}
    },
    "hackernews/item_192327_job.json": {"hackernews:192327": {"author.id": "justin"}},
    "facebook/feed-comment-add-211.json": {
        "facebook:901097836652708_903438993085259": {
            "text": "and the next one",
            "author.id": "1234567890321",
            "source": "1234567890321",
            "parent_id": "facebook:1234567890321_901097836652708",
            "created_at": datetime.fromtimestamp(1449135003, tz=UTC),
        }
    },
    "facebook/feed-comment-edited-25.json": {
        "facebook:900728623356296_900744590021366": {
            "text": "Let's see the Webhooks in action :D",
            "author.name": "Tester",
        }
    },
    "facebook/feed-status-add-25.json": {
        "facebook:1234567890321_930145403745849": {"text": "This is just a short test message"}
    },
    "facebook/mention-comment-add.json": {"facebook:7363534231324_3754798971271444": {"text": "Just a test message"}},
    "youtube/comments_single.json": {
        "youtube:UgyUBI0HsgL9emxcZpR4AaABAg": {
            "text": "Hello",
            "author.id": "UCTWlvHQQXUs-4IVfdnGOUbw",
            "author.name": "DevRagz",
            "created_at": datetime(2019, 6, 23, 2, 49, tzinfo=UTC),
        }
    },
    "youtube/comments_by_parent_paged_1.json": {
        "youtube:Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh": {
            "text": "this is the third reply!",
            "parent_id": "youtube:Ugw5zYU6n9pmIgAZWvN4AaABAg",
        }
    },
    "youtube/comment_threads_multi.json": {
        "youtube:UgxKREWxIgDrw8w2e_Z4AaABAg": {"source": "D-lhorsDlUQ", "author.name": "Hieu Nguyen"},
        "youtube:UgyrVQaFfEdvaSzstj14AaABAg": {"text": "super"},
    },
    "mastodon/test_status.yaml": {
        "mastodon:117020583223442465": {
            "text": "Toot!",
            "language": "en",
            "author.handle": "mastodonpy_test",
            "author.name": "John Lennon",
            "url": "http://localhost:3000/@mastodonpy_test/117020583223442465",
            "author.created_at": datetime(2026, 8, 1, tzinfo=UTC),
            "author.following": 0,
            "author.posts": 23,
        }
    },
    "mastodon/test_status_reply.yaml": {
        "mastodon:117020583258292382": {"parent_id": "mastodon:117020583245459824", "text": "@mastodonpy_test_2 same!"}
    },
    "mastodon/test_notifications.yaml": {"mastodon:117020576916218297": {"text": "@mastodonpy_test hello!"}},
    "mastodon/test_stream_user_direct.yaml": {"mastodon:117024236332527350": {"language": "ja"}},
    "bluesky/golden_v1.jsonl": {
        "bluesky:at://did:plc:q235v55g5unth4zjjdpacfdr/app.bsky.feed.post/3mmoojp4cd223": {
            "text": "Try RSV for a good time !!",
            "language": "en",
            "author.id": "did:plc:q235v55g5unth4zjjdpacfdr",
            "parent_id": "bluesky:at://did:plc:j76trmiofvaxxpvx2vnb2vwf/app.bsky.feed.post/3mmojbrjwbs26",
        }
    },
    "reddit/TestSubredditStreams.test_comments__with_pause.json": {
        "reddit:t1_dgauydy": {
            "source": "r/kakapo",
            "parent_id": "reddit:t1_dg7dqfd",
            "conversation_id": "reddit:t3_654eqk",
        }
    },
    "reddit/TestMore.test_comments.json": {
        "reddit:t3_3hahrw": {"title": "Ba Dum Tsss", "source": "r/funny", "author.handle": "your_local_librarian"},
        "reddit:t1_cu5pebp": {"text": "Man I am glad there isn't someone on a drum set every time I fall over."},
    },
    "rss/rss2.0NSwithModulesNoDefNSLocalNameClash.xml": {
        "rss:http://www.pocketsoap.com/weblog/rssTests/rss2.0NSwithModulesNoDefNSLocalNameClash.xml#1": {
            "language": "en-gb"
        }
    },
    "rss/atomthreadingwithentry.xml": {
        "rss:tag:blogger.com,1999:blog-893591374313312737.post-4788628857625737701": {
            "parent_id": "rss:tag:blogger.com,1999:blog-893591374313312737.post-3861663258538857954"
        }
    },
    "rss/example.json": {
        "rss:1": {"text": "Hello, world!"},
        "rss:2": {"title": "post 2", "url": "https://example.org/second-item"},
    },
}
EXPECTED_DELETIONS = {
    "facebook/feed-comment-remove-25.json": ["facebook:905578656204626_905579239537901"],
    "mastodon/test_status.yaml": ["mastodon:117020583223442465"],
}


def _field(mention, dotted: str):
    value = mention
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.skipif(not FILES, reason=f"shared payloads not found at {SHARED}")
@pytest.mark.parametrize(("source", "path"), FILES, ids=[f"{s}/{p.name}" for s, p in FILES])
def test_shared_payloads_normalize_without_crash_and_with_reasons(source, path):
    result = NORMALIZERS[source](path.read_bytes(), fetched_at=FETCHED)
    assert all(reject.reason.strip() for reject in result.rejects)
    ids = [m.id for m in result.mentions]
    assert len(ids) == len(set(ids))
    for mention in result.mentions:
        assert mention.id == f"{mention.platform.value}:{mention.native_id}"
        assert mention.text.strip()
        assert mention.created_at.tzinfo is not None
    key = f"{source}/{path.name}"
    for mention_id, fields in EXPECTED.get(key, {}).items():
        by_id = {m.id: m for m in result.mentions}
        assert mention_id in by_id, f"{mention_id} missing from {key}"
        for name, expected in fields.items():
            assert _field(by_id[mention_id], name) == expected, f"{mention_id}.{name}"
    if key in EXPECTED_DELETIONS:
        assert result.deletions == EXPECTED_DELETIONS[key]


@pytest.mark.skipif(not FILES, reason=f"shared payloads not found at {SHARED}")
def test_shared_payloads_yield_mentions_for_every_source():
    counts = {source: 0 for source in NORMALIZERS if (SHARED / source).is_dir()}  # x has no recorded folder
    for source, path in FILES:
        counts[source] += len(NORMALIZERS[source](path.read_bytes(), fetched_at=FETCHED).mentions)
    assert all(counts.values()), counts


@pytest.mark.skipif(not (SHARED / "rss").is_dir(), reason="shared RSS payloads absent")
def test_shared_payloads_rss_recovers_entries_from_ill_formed_feeds():
    linenoise = NORMALIZERS["rss"]((SHARED / "rss" / "bozo_linenoise.xml").read_bytes(), fetched_at=FETCHED)
    assert linenoise.mentions[0].text == "\xe2\u20ac\u2122<>\xe2\u20ac\x9d\u0160"
    double = NORMALIZERS["rss"]((SHARED / "rss" / "bozo_double-encoded-html.xml").read_bytes(), fetched_at=FETCHED)
    assert double.mentions[0].text == "\u2026"
    empty = NORMALIZERS["rss"]((SHARED / "rss" / "rss_empty_document.xml").read_bytes(), fetched_at=FETCHED)
    assert not empty.mentions and empty.rejects[0].reason.startswith("malformed feed")
    koi8 = NORMALIZERS["rss"]((SHARED / "rss" / "illformed_chardet_koi8r.xml").read_bytes(), fetched_at=FETCHED)
    assert koi8.mentions[0].title == "Как пережить новогоднюю ночь"


@pytest.mark.skipif(not (SHARED / "reddit").is_dir(), reason="shared Reddit payloads absent")
def test_shared_payloads_reddit_listing_counts():
    new = NORMALIZERS["reddit"]((SHARED / "reddit" / "TestSubredditListings.test_new.json").read_bytes())
    assert len(new.mentions) == 100
    assert all(m.id.startswith("reddit:t3_") and m.source == "r/AskReddit" for m in new.mentions)
