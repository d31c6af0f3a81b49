"""The likely-fake/automated score of an author, with its reasons, from account facts and a batch's texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.authors.health import author_health, batch_health
from pipeline.mention import Author, Mention

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _mention(n: int, text: str, author: Author, minutes: int = 0) -> Mention:
    return Mention(platform="mastodon", native_id=str(n), source="mastodon.social", author=author, text=text,
                   created_at=NOW + timedelta(minutes=minutes))


def test_authors_health_fresh_account_with_three_followers_posting_200_a_day_is_likely_fake():
    fresh = Author(id="b1", followers=3, created_at=NOW - timedelta(days=2), posts=400, following=15)
    health = author_health(fresh, NOW)
    assert health.likely_fake
    assert health.score == 1.0
    assert health.reasons == ["very_new_account", "few_followers", "high_posting_rate"]


def test_authors_health_old_account_with_20k_followers_is_not():
    established = Author(id="o1", followers=20_000, created_at=NOW - timedelta(days=3000), posts=9000, following=300)
    health = author_health(established, NOW)
    assert not health.likely_fake
    assert (health.score, health.reasons) == (0.0, [])


def test_authors_health_one_weak_sign_alone_is_not_likely_fake():
    assert not author_health(Author(id="n1", followers=500, created_at=NOW - timedelta(days=3)), NOW).likely_fake
    assert not author_health(Author(id="q1", followers=5), NOW).likely_fake
    assert author_health(Author(id="u1"), NOW).reasons == []  # nothing known: nothing said


def test_authors_health_following_many_with_few_followers_is_a_reason():
    health = author_health(Author(id="f1", followers=40, following=4000), NOW)
    assert health.reasons == ["follows_many"]


def test_authors_health_near_duplicate_burst_across_new_accounts_is_likely_fake():
    text = "Lumio is a scam, they stole my money, never buy Lumio!!! {}"
    raid = [_mention(n, text.format(n), Author(id=f"r{n}", followers=150, created_at=NOW - timedelta(days=10, hours=n)),
                     minutes=n) for n in range(6)]
    organic = [_mention(100, "My Lumio hub stopped connecting to the wifi after the update",
                        Author(id="o1", followers=2000, created_at=NOW - timedelta(days=900)))]
    scored = batch_health([*raid, *organic])
    for mention in raid:
        assert scored[mention.id].likely_fake
        assert scored[mention.id].reasons == ["new_account", "near_duplicates", "new_account_burst"]
    assert not scored["mastodon:100"].likely_fake and scored["mastodon:100"].reasons == []


def test_authors_health_a_headline_pasted_by_established_accounts_stays_healthy():
    headline = "Lumio recalls its X2 hub after overheating reports"
    shared = [_mention(n, headline, Author(id=f"e{n}", followers=5000, created_at=NOW - timedelta(days=2000)),
                       minutes=n) for n in range(5)]
    scored = batch_health(shared)
    assert all(h.reasons == ["near_duplicates"] and not h.likely_fake for h in scored.values())


def test_authors_health_near_copies_hours_apart_are_not_a_burst_of_duplicates():
    spread = [_mention(n, "Lumio is a scam never buy", Author(id=f"s{n}"), minutes=120 * n) for n in range(4)]
    assert all(h.reasons == [] for h in batch_health(spread).values())


def test_authors_health_tagged_documents_carry_the_score_of_their_author():
    import orjson

    from pipeline.processing import RawRecord, process_raw_batch
    from pipeline.tagging.rules import RuleTagger

    def record(n: int, author: dict) -> RawRecord:
        value = orjson.dumps({"platform": "mastodon", "native_id": str(n), "source": "mastodon.social",
                              "author": author, "text": f"Lumio lamp number {n} is great",
                              "created_at": "2026-11-21T09:00:00Z"})
        return RawRecord(value=value, topic="mentions.raw", partition=0, offset=n)

    documents = process_raw_batch([
        record(1, {"id": "bot", "followers": 3, "created_at": "2026-11-20T09:00:00Z", "posts": 300}),
        record(2, {"id": "old", "followers": 20_000, "created_at": "2018-01-01T00:00:00Z"}),
    ], RuleTagger()).enriched
    assert [d["author_health"]["likely_fake"] for d in documents] == [True, False]
    assert documents[0]["author_health"]["reasons"] == ["very_new_account", "few_followers", "high_posting_rate"]
    assert documents[0]["author"]["created_at"] == "2026-11-20T09:00:00Z"
