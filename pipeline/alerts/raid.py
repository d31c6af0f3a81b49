"""Organic buzz or coordinated troll raid? A pure verdict on the mentions of one spike, with its evidence.

Three signals, each a share of the spike, each easy to explain to a community manager:

- **copy-paste**: the share of mentions that belong to a group of near-identical texts posted by at
  least ``min_cluster_authors`` different accounts. Texts are normalised (case, accents, links,
  @handles, digits and punctuation removed) and compared on 5-shingles through a **sketch**: a b-bit
  MinHash (:func:`text_sketch`: 32 minima, one byte each, 64 hex characters) that estimates the Jaccard
  similarity of two texts without keeping them. The crisis monitor keeps sketches, not texts, in its
  state (bounded whatever the length of the posts, and nothing an erased author wrote can be read back);
  candidates come from banding the sketches (LSH), so the cost stays close to linear in the mentions;
- **new or tiny accounts**: the share of distinct authors with fewer than ``tiny_followers`` followers
  or an account younger than ``new_account_age``, among those whose followers or age is known;
- **synchronised timing**: the largest share of the spike posted within any ``sync_window``.

A news headline shared by established accounts gives copy-paste alone; a TV moment gives synchronised
timing alone: both stay organic. A raid is called when at least ``signals_needed`` signals fire.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.mention import Mention

SHINGLE_CHARS = 5
NUM_PERM = 64

_LINK = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#]\w+")
_NOT_LETTER = re.compile(r"[\W\d_]+")


@dataclass(frozen=True, slots=True)
class SpikeMention:
    """What the verdict needs of one mention. ``followers`` and ``account_created_at`` may be unknown."""

    id: str
    text: str
    author_id: str
    created_at: datetime
    followers: int | None = None
    account_created_at: datetime | None = None
    sketch: str = ""  # text_sketch(text); computed from ``text`` when empty

    @classmethod
    def from_mention(cls, mention: Mention, account_created_at: datetime | None = None) -> SpikeMention:
        return cls(mention.id, mention.text, mention.author.id, mention.created_at,
                   mention.author.followers, account_created_at)


@dataclass(frozen=True, slots=True)
class RaidConfig:
    similarity: float = 0.6
    min_cluster_authors: int = 3
    duplicate_share: float = 0.3
    tiny_followers: int = 20
    new_account_age: timedelta = timedelta(days=30)
    new_account_share: float = 0.5
    sync_window: timedelta = timedelta(minutes=2)
    synchronised_share: float = 0.5
    signals_needed: int = 2
    min_mentions: int = 8


@dataclass(frozen=True, slots=True)
class RaidEvidence:
    mentions: int
    authors: int
    duplicate_share: float
    largest_cluster: int
    largest_cluster_authors: int
    accounts_known: int
    new_account_share: float | None
    synchronised_share: float
    signals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RaidVerdict:
    verdict: str | None  # "organic" | "troll_raid" | None when the spike is too small to tell
    evidence: RaidEvidence

    def explanation(self) -> str:
        e = self.evidence
        if self.verdict is None:
            return f"Too few mentions ({e.mentions}) to tell an organic buzz from a raid."
        accounts = ("account ages and followers unknown" if e.new_account_share is None
                    else f"{e.new_account_share:.0%} of {e.accounts_known} known accounts are new or tiny")
        facts = (f"{e.mentions} mentions from {e.authors} accounts; {e.duplicate_share:.0%} are near-copies "
                 f"(largest group: {e.largest_cluster} posts by {e.largest_cluster_authors} accounts); "
                 f"{accounts}; {e.synchronised_share:.0%} posted within the same short window.")
        if self.verdict == "troll_raid":
            return f"Looks like a coordinated raid ({', '.join(e.signals)}). {facts}"
        return f"Looks organic. {facts}"


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _HANDLE.sub(" ", _LINK.sub(" ", text))
    return " ".join(_NOT_LETTER.sub(" ", text).split())


def shingles(normalised: str, size: int = SHINGLE_CHARS) -> set[str]:
    if len(normalised) <= size:
        return {normalised} if normalised else set()
    return {normalised[i:i + size] for i in range(len(normalised) - size + 1)}


SKETCH_HASHES = 32
SKETCH_BANDS = 8
SKETCH_TEXT_CHARS = 1000  # a near-copy shows in its first thousand characters; longer posts cost no more
_SEEDS = np.random.default_rng(20261202)  # fixed: every process (tag pool, agents) computes the same sketches
_MULTIPLIERS = _SEEDS.integers(1, 2**63, SKETCH_HASHES, dtype=np.uint64) | np.uint64(1)
_OFFSETS = _SEEDS.integers(0, 2**63, SKETCH_HASHES, dtype=np.uint64)
_SHIFTS = [np.uint64(8 * k) for k in range(SHINGLE_CHARS)]


def text_sketch(text: str) -> str:
    """The b-bit MinHash of a text's normalised 5-byte shingles: 32 one-byte minima as 64 hex characters
    ("" for a text with no letters). Two sketches agree on a position with probability about their texts'
    Jaccard similarity (plus 1/256 by chance): see :func:`sketch_similarity`."""
    normalised = normalise_text(text[:SKETCH_TEXT_CHARS]).encode("utf-8")
    if not normalised:
        return ""
    data = np.frombuffer(normalised.ljust(SHINGLE_CHARS), dtype=np.uint8).astype(np.uint64)
    count = len(data) - SHINGLE_CHARS + 1
    shingles = data[:count].copy()  # each 5-byte shingle as one integer (a repeated one changes no minimum)
    for offset in range(1, SHINGLE_CHARS):
        shingles |= data[offset:offset + count] << _SHIFTS[offset]
    with np.errstate(over="ignore"):
        shingles *= np.uint64(0x9E3779B97F4A7C15)
        hashed = (_MULTIPLIERS[:, None] * shingles[None, :] + _OFFSETS[:, None]) >> np.uint64(32)
    return (hashed.min(axis=1) & np.uint64(0xFF)).astype(np.uint8).tobytes().hex()


def sketch_similarity(first: str, second: str) -> float:
    """Estimated Jaccard similarity of the texts behind two sketches (0 when either is empty)."""
    if not first or not second:
        return 0.0
    a, b = bytes.fromhex(first), bytes.fromhex(second)
    agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
    return max(0.0, (agree - 1 / 256) / (1 - 1 / 256))


class _Linkage:
    """Indices 0..size-1 joined pairwise into groups (a union-find forest with path halving)."""

    def __init__(self, size: int):
        self.parent = list(range(size))

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        """``i``'s group joins ``j``'s: its root now points at ``j``'s root."""
        self.parent[self.root(i)] = self.root(j)

    def groups(self) -> list[list[int]]:
        """Every group, in the order of its first index; each lists its indices in order."""
        groups: dict[int, list[int]] = defaultdict(list)
        for index in range(len(self.parent)):
            groups[self.root(index)].append(index)
        return list(groups.values())


def near_duplicate_groups_of_sketches(sketches: Sequence[str], similarity: float) -> list[list[int]]:
    """Indices of ``sketches`` grouped by near-identity: candidates share one of 8 bands of 4 bytes, and
    are joined (single linkage) when their estimated similarity reaches ``similarity``."""
    linked = _Linkage(len(sketches))
    width = 2 * SKETCH_HASHES // SKETCH_BANDS
    buckets: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, sketch in enumerate(sketches):
        if not sketch:
            continue
        candidates = dict.fromkeys(other for band in range(SKETCH_BANDS)
                                   for other in buckets.get((band, sketch[band * width:(band + 1) * width]), ()))
        for other in candidates:
            if linked.root(other) != linked.root(index) and (sketch == sketches[other]
                                                             or sketch_similarity(sketch, sketches[other]) >= similarity):
                linked.join(index, other)
        for band in range(SKETCH_BANDS):
            bucket = buckets[(band, sketch[band * width:(band + 1) * width])]
            if not bucket or sketches[bucket[-1]] != sketch:  # an identical sketch already stands for this one
                bucket.append(index)
    return linked.groups()


def near_duplicate_groups(texts: Sequence[str], similarity: float) -> list[list[int]]:
    """Indices of ``texts`` grouped by near-identity (single linkage over confirmed similar pairs)."""
    linked = _Linkage(len(texts))
    sets = [shingles(normalise_text(text)) for text in texts]
    by_exact: dict[frozenset[str], int] = {}
    lsh = MinHashLSH(threshold=similarity, num_perm=NUM_PERM)
    for index, items in enumerate(sets):
        if not items:
            continue
        key = frozenset(items)
        if key in by_exact:
            linked.join(index, by_exact[key])
            continue
        by_exact[key] = index
        signature = MinHash(num_perm=NUM_PERM, seed=1)
        signature.update_batch([item.encode() for item in items])
        for other in lsh.query(signature):
            if len(items & sets[other]) / len(items | sets[other]) >= similarity:
                linked.join(index, other)
        lsh.insert(index, signature)
    return linked.groups()


def _largest_window_share(times: Iterable[datetime], window: timedelta) -> float:
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / len(ordered) if ordered else 0.0


def raid_verdict(mentions: Sequence[SpikeMention], now: datetime, config: RaidConfig | None = None) -> RaidVerdict:
    """Decide whether the mentions of one spike look organic or like a coordinated raid.

    ``now`` is the moment account ages are measured at (the spike's time, for a replay).
    """
    config = config or RaidConfig()
    authors = {m.author_id for m in mentions}

    duplicated, largest, largest_authors = 0, 0, 0
    sketches = [m.sketch or text_sketch(m.text) for m in mentions]
    for group in near_duplicate_groups_of_sketches(sketches, config.similarity):
        group_authors = {mentions[i].author_id for i in group}
        if len(group_authors) >= config.min_cluster_authors:
            duplicated += len(group)
        if len(group) > largest:
            largest, largest_authors = len(group), len(group_authors)
    duplicate_share = duplicated / len(mentions) if mentions else 0.0

    facts_by_author: dict[str, SpikeMention] = {}
    for mention in mentions:
        if mention.followers is not None or mention.account_created_at is not None:
            facts_by_author.setdefault(mention.author_id, mention)
    known, new_or_tiny = 0, 0
    for facts in facts_by_author.values():
        known += 1
        tiny = facts.followers is not None and facts.followers < config.tiny_followers
        young = facts.account_created_at is not None and now - facts.account_created_at < config.new_account_age
        new_or_tiny += tiny or young
    new_account_share = new_or_tiny / known if known else None

    synchronised_share = _largest_window_share((m.created_at for m in mentions), config.sync_window)

    signals = tuple(name for name, fired in (
        ("copy-paste", duplicate_share >= config.duplicate_share),
        ("new or tiny accounts", new_account_share is not None and new_account_share >= config.new_account_share),
        ("synchronised timing", synchronised_share >= config.synchronised_share),
    ) if fired)
    evidence = RaidEvidence(
        mentions=len(mentions), authors=len(authors), duplicate_share=round(duplicate_share, 4),
        largest_cluster=largest, largest_cluster_authors=largest_authors, accounts_known=known,
        new_account_share=None if new_account_share is None else round(new_account_share, 4),
        synchronised_share=round(synchronised_share, 4), signals=signals,
    )
    if len(mentions) < config.min_mentions:
        return RaidVerdict(None, evidence)
    return RaidVerdict("troll_raid" if len(signals) >= config.signals_needed else "organic", evidence)
