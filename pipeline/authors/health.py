"""Healthy communities: how likely an author is a fake or automated account, with the reasons, from what the
sources give.

Account facts (known only where the source sends them, see :class:`pipeline.mention.Author`):

- **new account**: created less than the raid verdict's ``new_account_age`` ago (``very_new_account_age``:
  more weight);
- **few followers**: fewer than the raid verdict's ``tiny_followers``;
- **high posting rate**: more than ``high_posts_per_day`` posts a day over the account's life;
- **follows many**: follows at least ``many_following`` accounts and is followed by under a tenth as many.

Facts of a batch of mentions (what the tag stage tags together, a few seconds of the stream):

- **near duplicates**: the text is a near-copy of texts posted by at least ``min_cluster_authors`` accounts
  within ``duplicate_window`` (the crisis monitor's sketches, :func:`pipeline.alerts.raid.text_sketch`: five
  times faster than comparing the texts' shingles, which the tag stage could not afford on every batch);
- **new-account burst**: at least ``burst`` new accounts, all created within ``burst``'s time of one another,
  post in the batch.

Each reason adds its weight; the score is their sum capped at 1, and ``likely_fake`` is a score of at least
``likely_fake_score``: one weak sign alone (a new account, or a news headline many people paste) never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipeline.alerts.raid import RaidConfig, near_duplicate_groups_of_sketches, text_sketch
from pipeline.mention import Author, AuthorHealth, Mention

NEW_ACCOUNT = "new_account"
VERY_NEW_ACCOUNT = "very_new_account"
FEW_FOLLOWERS = "few_followers"
HIGH_POSTING_RATE = "high_posting_rate"
FOLLOWS_MANY = "follows_many"
NEAR_DUPLICATES = "near_duplicates"
NEW_ACCOUNT_BURST = "new_account_burst"
REASONS = (VERY_NEW_ACCOUNT, NEW_ACCOUNT, FEW_FOLLOWERS, HIGH_POSTING_RATE, FOLLOWS_MANY, NEAR_DUPLICATES,
           NEW_ACCOUNT_BURST)


WEIGHTS = {VERY_NEW_ACCOUNT: 0.4, NEW_ACCOUNT: 0.3, FEW_FOLLOWERS: 0.25, HIGH_POSTING_RATE: 0.35, FOLLOWS_MANY: 0.2,
           NEAR_DUPLICATES: 0.35, NEW_ACCOUNT_BURST: 0.3}


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """The raid verdict's thresholds say what a new or tiny account and a near-copy are (``raid``); the rest
    is the score's own."""

    raid: RaidConfig = field(default_factory=RaidConfig)
    very_new_account_age: timedelta = timedelta(days=7)
    high_posts_per_day: float = 50.0
    many_following: int = 1000
    duplicate_window: timedelta = timedelta(minutes=30)
    burst: tuple[int, timedelta] = (5, timedelta(days=2))  # so many new accounts created within so long
    likely_fake_score: float = 0.6
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))


DEFAULT = HealthConfig()


def account_age(author: Author, at: datetime) -> timedelta | None:
    return None if author.created_at is None else max(at - author.created_at, timedelta(0))


def posts_per_day(author: Author, at: datetime) -> float | None:
    """Posts a day over the account's life until ``at`` (its first day counts as a whole day)."""
    age = account_age(author, at)
    if age is None or author.posts is None:
        return None
    return author.posts / max(age / timedelta(days=1), 1.0)


def account_reasons(author: Author, at: datetime, config: HealthConfig = DEFAULT) -> list[str]:
    """What the account alone says at ``at``: new, few followers, posting fast, following many."""
    reasons = []
    age = account_age(author, at)
    if age is not None and age < config.very_new_account_age:
        reasons.append(VERY_NEW_ACCOUNT)
    elif age is not None and age < config.raid.new_account_age:
        reasons.append(NEW_ACCOUNT)
    if author.followers is not None and author.followers < config.raid.tiny_followers:
        reasons.append(FEW_FOLLOWERS)
    rate = posts_per_day(author, at)
    if rate is not None and rate > config.high_posts_per_day:
        reasons.append(HIGH_POSTING_RATE)
    if (author.following is not None and author.following >= config.many_following
            and (author.followers or 0) * 10 < author.following):
        reasons.append(FOLLOWS_MANY)
    return reasons


def health_of(reasons: Sequence[str], config: HealthConfig = DEFAULT) -> AuthorHealth:
    ordered = [reason for reason in REASONS if reason in reasons]
    score = round(min(1.0, sum(config.weights[reason] for reason in ordered)), 4)
    return AuthorHealth(score=score, likely_fake=score >= config.likely_fake_score, reasons=ordered)


def author_health(author: Author, at: datetime, config: HealthConfig = DEFAULT) -> AuthorHealth:
    """The score of one account from its own facts, as they were at ``at``."""
    return health_of(account_reasons(author, at, config), config)


def _near_duplicate_ids(mentions: Sequence[Mention], sketches: Sequence[str], config: HealthConfig) -> set[str]:
    """Mentions whose text is a near-copy of texts by ``min_duplicate_authors`` accounts within the window."""
    found: set[str] = set()
    for group in near_duplicate_groups_of_sketches(sketches, config.raid.similarity):
        members = sorted((mentions[i] for i in group), key=lambda m: m.created_at)
        start = 0
        for end, mention in enumerate(members):
            while mention.created_at - members[start].created_at > config.duplicate_window:
                start += 1
            window = members[start:end + 1]
            if len({m.author.id for m in window}) >= config.raid.min_cluster_authors:
                found.update(m.id for m in window)
    return found


def _burst_author_ids(mentions: Sequence[Mention], config: HealthConfig) -> set[str]:
    """New accounts created close together, when there are enough of them (``burst``)."""
    new = {m.author.id: m.author.created_at for m in mentions if m.author.created_at is not None
           and m.created_at - m.author.created_at < config.raid.new_account_age}
    created = sorted(new.items(), key=lambda item: item[1])
    accounts, within = config.burst
    found: set[str] = set()
    start = 0
    for end, (_, moment) in enumerate(created):
        while moment - created[start][1] > within:
            start += 1
        if end - start + 1 >= accounts:
            found.update(author_id for author_id, _ in created[start:end + 1])
    return found


def batch_health(mentions: Sequence[Mention], config: HealthConfig = DEFAULT,
                 sketches: Sequence[str] | None = None) -> dict[str, AuthorHealth]:
    """The score of each mention's author (by mention id), its account's facts with what the batch shows:
    near-duplicate texts across accounts and bursts of new accounts. Ages and rates are measured when each
    mention was posted, so a replay or a reprocess scores alike. ``sketches``: the texts' ``text_sketch``, in
    order, when the caller has them already."""
    if sketches is None:
        sketches = [text_sketch(m.text) for m in mentions]
    duplicates = _near_duplicate_ids(mentions, sketches, config)
    burst = _burst_author_ids(mentions, config)
    scored = {}
    for mention in mentions:
        reasons = account_reasons(mention.author, mention.created_at, config)
        if mention.id in duplicates:
            reasons.append(NEAR_DUPLICATES)
        if mention.author.id in burst:
            reasons.append(NEW_ACCOUNT_BURST)
        scored[mention.id] = health_of(reasons, config)
    return scored
