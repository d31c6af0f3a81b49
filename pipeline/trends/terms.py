"""Trending terms: what a mention talks about, and which terms are bursting now.

- :func:`extract_terms` pulls the hashtags, @mentions, watched product names and keywords (content
  words and pairs of adjacent content words, French and English stop words removed) out of one
  mention text. Each term counts once per mention, so one post repeating a word cannot make it trend.
- :func:`burst_scores` compares each term's count in the current window with its own baseline (its
  average count per window over the previous windows). On counts, ``2 * (sqrt(observed) -
  sqrt(expected))`` is about a standard normal score when nothing changes (Poisson noise), whatever the
  size of the term. A term needs ``min_count`` mentions in the window to be scored at all; a term
  never seen in the baseline that reaches it is flagged *emerging*.
- :class:`TermHistory` keeps the last windows' counts for the trending agent.

Stop words come from spaCy's French and English lists (loaded once, on first use).
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal, NamedTuple

TermKind = Literal["hashtag", "mention", "product", "keyword"]

URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w#])#(\w*[^\W\d_]\w*)")
MENTION = re.compile(r"(?<![\w@])@(\w{1,64})")
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
FRENCH_ELISION = re.compile(r"^(?:qu|jusqu|lorsqu|puisqu|quoiqu|presqu|[cdjlmnst])['’]", re.IGNORECASE)
EXTRA_STOP_WORDS = frozenset({"rt", "via", "amp", "http", "https", "www", "com", "lol", "mdr", "ptdr", "aujourd'hui"})
MIN_KEYWORD_CHARS = 3


class Term(NamedTuple):
    kind: TermKind
    text: str  # normalised: case-folded; hashtags keep their "#", mentions their "@"


@cache
def stop_words() -> frozenset[str]:
    """French and English stop words (spaCy's lists), case-folded, plus common social-media filler."""
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH

    words = {word.casefold().replace("’", "'") for word in (*ENGLISH, *FRENCH)}
    return frozenset(words | EXTRA_STOP_WORDS)


@dataclass(frozen=True, slots=True)
class ProductMatcher:
    """Finds watched product names in a text, longest name first, whole words only, any case."""

    names: tuple[str, ...]
    pattern: re.Pattern[str] | None

    @classmethod
    def from_names(cls, names: Iterable[str]) -> ProductMatcher:
        cleaned = sorted({" ".join(name.split()) for name in names if name and name.strip()}, key=len, reverse=True)
        if not cleaned:
            return cls((), None)
        alternatives = "|".join(r"\s+".join(map(re.escape, name.split())) for name in cleaned)
        return cls(tuple(cleaned), re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))

    def find(self, text: str) -> list[str]:
        """The watched names found in ``text``, case-folded, with single spaces."""
        if self.pattern is None:
            return []
        return [" ".join(match.group(0).split()).casefold() for match in self.pattern.finditer(text)]


NO_PRODUCTS = ProductMatcher((), None)


def keywords(text: str, bigrams: bool = True) -> list[str]:
    """Content words of ``text`` (case-folded, French elisions removed) and pairs of adjacent ones.

    A pair never spans punctuation or a stop word; a hyphenated word made only of stop words
    ("est-ce") is a stop word.
    """
    found: list[str] = []
    pairs: list[str] = []
    previous: str | None = None
    previous_end = 0
    for match in WORD.finditer(text):
        word = content_word(match.group(0))
        if word is not None:
            found.append(word)
            if previous and not text[previous_end : match.start()].strip():
                pairs.append(f"{previous} {word}")
        previous, previous_end = word, match.end()
    return found + pairs if bigrams else found


@lru_cache(maxsize=100_000)
def content_word(word: str) -> str | None:
    """``word`` as a keyword (case-folded, French elision removed), or None for a stop word or a short word.
    Cached: most words of a stream have been seen before, and this took a third of the terms' time."""
    word = FRENCH_ELISION.sub("", word).casefold().replace("’", "'")
    stops = stop_words()
    if len(word) < MIN_KEYWORD_CHARS or word in stops or all(part in stops for part in word.split("-")):
        return None
    return word


def extract_terms(text: str, products: ProductMatcher = NO_PRODUCTS, bigrams: bool = True) -> list[Term]:
    """The distinct terms of one mention: hashtags, @mentions, watched products, then keywords.

    A word that is part of a hashtag, a mention or a product name is not counted again as a keyword.
    """
    without_urls = URL.sub(" | ", text)
    terms: dict[Term, None] = {}
    for match in HASHTAG.finditer(without_urls):
        terms[Term("hashtag", "#" + match.group(1).casefold())] = None
    for match in MENTION.finditer(without_urls):
        terms[Term("mention", "@" + match.group(1).casefold())] = None
    # Cut-out terms leave a separator behind so that the words around them do not pair up.
    plain = MENTION.sub(" | ", HASHTAG.sub(" | ", without_urls))
    for name in products.find(plain):
        terms[Term("product", name)] = None
    if products.pattern is not None:
        plain = products.pattern.sub(" | ", plain)
    for word in keywords(plain, bigrams=bigrams):
        terms[Term("keyword", word)] = None
    return list(terms)


@dataclass(frozen=True, slots=True)
class BurstConfig:
    min_count: int = 5
    min_score: float = 3.0
    prior: float = 0.5  # pseudo-count added to a baseline, so a never-seen term has a small, non-zero expectation

    def __post_init__(self) -> None:
        if self.min_count < 1:
            raise ValueError("min_count must be at least 1")
        if self.prior <= 0:
            raise ValueError("prior must be positive")


@dataclass(frozen=True, slots=True)
class TermBurst:
    term: Term
    count: int
    expected: float
    score: float
    emerging: bool


def burst_scores(
    current: Mapping[Term, int],
    baseline: Mapping[Term, int],
    baseline_windows: int,
    config: BurstConfig = BurstConfig(),
    volume_ratio: float = 1.0,
) -> list[TermBurst]:
    """Terms whose count in the current window is unusually high for them, highest score first.

    ``baseline`` holds each term's total count over the previous ``baseline_windows`` windows.
    ``volume_ratio`` (current mentions / average mentions per baseline window) scales the
    expectations, to rank terms by their share of the conversation rather than by raw volume.
    """
    if baseline_windows < 1:
        raise ValueError("baseline_windows must be at least 1")
    if volume_ratio <= 0:
        raise ValueError("volume_ratio must be positive")
    bursts = []
    for term, count in current.items():
        if count < config.min_count:
            continue
        seen = baseline.get(term, 0)
        expected = (seen + config.prior) / baseline_windows * volume_ratio
        score = 2.0 * (math.sqrt(count) - math.sqrt(expected))
        if score >= config.min_score:
            bursts.append(TermBurst(term, count, round(expected, 4), round(score, 4), emerging=seen == 0))
    bursts.sort(key=lambda burst: (-burst.score, burst.term))
    return bursts


@dataclass(slots=True)
class TermHistory:
    """Term counts of the last ``windows`` closed windows, and their sum (the baseline)."""

    windows: int = 24
    _closed: deque[tuple[Counter[Term], int]] = field(default_factory=deque, init=False, repr=False)
    baseline: Counter[Term] = field(default_factory=Counter, init=False)
    baseline_mentions: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.windows < 1:
            raise ValueError("windows must be at least 1")

    def close_window(self, counts: Mapping[Term, int], mentions: int) -> None:
        """Add a finished window (its term counts and number of mentions); forget the oldest if full."""
        window = Counter(counts)
        self._closed.append((window, mentions))
        self.baseline.update(window)
        self.baseline_mentions += mentions
        if len(self._closed) > self.windows:
            oldest, oldest_mentions = self._closed.popleft()
            self.baseline.subtract(oldest)
            self.baseline_mentions -= oldest_mentions
            for term in oldest:
                if self.baseline[term] <= 0:
                    del self.baseline[term]

    @property
    def closed_windows(self) -> int:
        return len(self._closed)

    def windows_closed(self) -> list[tuple[Counter[Term], int]]:
        """The closed windows, oldest first: (term counts, mentions), what :meth:`close_window` was given."""
        return list(self._closed)

    def bursts(self, current: Mapping[Term, int], mentions: int, config: BurstConfig = BurstConfig()) -> list[TermBurst]:
        """Score the current window against the closed ones; nothing before the first window closes."""
        if not self._closed:
            return []
        average = self.baseline_mentions / len(self._closed)
        ratio = mentions / average if average > 0 and mentions > 0 else 1.0
        return burst_scores(current, self.baseline, len(self._closed), config, volume_ratio=ratio)


def count_terms(texts: Iterable[str], products: ProductMatcher = NO_PRODUCTS) -> tuple[Counter[Term], int]:
    """Term counts (each term once per mention) and the number of mentions, for one window."""
    counts: Counter[Term] = Counter()
    mentions = 0
    for text in texts:
        counts.update(extract_terms(text, products))
        mentions += 1
    return counts, mentions
