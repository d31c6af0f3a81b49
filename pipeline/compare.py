"""Competitor watch: a brand against its competitors over a period, as pure functions.

:func:`build_compare_request` is one Elasticsearch search (a ``terms`` aggregation on ``watch`` with
sentiment, category, reach, interaction and volume-over-time sub-aggregations); :func:`shape_comparison`
turns its answer into a :class:`Comparison`: share of voice, sentiment and category mix, reach and
interactions, volume per time bucket and top terms for each watch. Top terms are counted with the
trending-terms extractor on each watch's newest mentions (:func:`build_terms_request`), because a terms
aggregation on an analysed text field is not something Elasticsearch does without fielddata.

A mention that names two of the compared watches counts for both, so shares can add up to more than
the number of mentions; they are shares of the *voices*, which is what share of voice means. Every count
per watch, and ``total_mentions``, is therefore a count of mention-and-watch pairs; ``distinct_mentions``
counts each mention once. The JSON and the table say so (``counts``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.query.elasticsearch import Query
from pipeline.timestamps import from_epoch_ms, parse_iso

SENTIMENTS = ("negative", "neutral", "positive")
INTERACTION_METRICS = ("likes", "shares", "replies")
COUNTS = "mention_watch_pairs"
COUNTS_NOTE = ("counts per watch are mention-and-watch pairs: a mention naming two compared watches counts "
               "once for each; distinct_mentions counts it once")
TERMS_SAMPLE_SIZE = 400
TOP_TERMS = 10

# Bucket widths Elasticsearch accepts as fixed_interval, smallest first.
_INTERVALS: tuple[tuple[str, timedelta], ...] = (
    ("5m", timedelta(minutes=5)), ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
    ("3h", timedelta(hours=3)), ("6h", timedelta(hours=6)), ("12h", timedelta(hours=12)),
    ("1d", timedelta(days=1)), ("7d", timedelta(days=7)),
)


class UnknownWatch(ValueError):
    """A compared name that no mention is watched under."""


@dataclass(frozen=True, slots=True)
class WatchFigures:
    watch: str
    mentions: int
    share_of_voice: float  # 0..1 of all the compared watches' mentions
    sentiment: dict[str, int]
    net_sentiment: float  # (positive - negative) / mentions, -1..1
    categories: dict[str, int]
    reach: int  # sum of the authors' followers
    interactions: int  # likes + shares + replies
    volume: list[tuple[datetime, int]]
    top_terms: list[tuple[str, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "watch": self.watch, "mentions": self.mentions, "share_of_voice": round(self.share_of_voice, 4),
            "sentiment": self.sentiment, "net_sentiment": round(self.net_sentiment, 4),
            "categories": self.categories, "reach": self.reach, "interactions": self.interactions,
            "volume": [{"at": at.isoformat(), "mentions": count} for at, count in self.volume],
            "top_terms": [{"term": term, "mentions": count} for term, count in self.top_terms],
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    brand: str
    competitors: list[str]
    since: datetime
    until: datetime
    interval: str
    watches: list[WatchFigures]  # the brand first, then the competitors in the order asked
    distinct_mentions: int | None = None  # each mention once, however many compared watches it names
    period: str = ""  # the period as asked (e.g. "8d", "all")

    @property
    def total_mentions(self) -> int:
        """Mention-and-watch pairs (see the module docstring), not distinct mentions."""
        return sum(figures.mentions for figures in self.watches)

    def figures(self, watch: str) -> WatchFigures:
        return next(figures for figures in self.watches if figures.watch == watch)

    def to_json(self) -> dict[str, Any]:
        return {
            "brand": self.brand, "competitors": self.competitors, "since": self.since.isoformat(),
            "until": self.until.isoformat(), "period": self.period, "interval": self.interval,
            "counts": COUNTS, "counts_note": COUNTS_NOTE, "total_mentions": self.total_mentions,
            "distinct_mentions": self.distinct_mentions, "watches": [figures.to_json() for figures in self.watches],
        }


def histogram_interval(since: datetime, until: datetime, max_buckets: int = 60) -> str:
    """The smallest fixed interval that cuts [since, until] into at most ``max_buckets`` buckets."""
    span = until - since
    for name, width in _INTERVALS:
        if span / width <= max_buckets:
            return name
    return _INTERVALS[-1][0]


def resolve_watches(requested: Sequence[str], known: Iterable[str]) -> list[str]:
    """The index's spelling of each requested watch name (case-insensitive); :class:`UnknownWatch` if absent."""
    by_folded = {name.casefold(): name for name in known}
    resolved, missing = [], []
    for name in requested:
        match = by_folded.get(name.strip().casefold())
        if match is None:
            missing.append(name)
        elif match not in resolved:
            resolved.append(match)
    if missing:
        choices = ", ".join(sorted(by_folded.values())) or "none yet"
        raise UnknownWatch(f"no mention is watched as {', '.join(map(repr, missing))}; known watches: {choices}")
    return resolved


def known_watches_request() -> dict[str, Any]:
    return {"size": 0, "aggs": {"watches": {"terms": {"field": "watch", "size": 200}}}}


def known_watches(response: Mapping[str, Any]) -> list[str]:
    return [bucket["key"] for bucket in response.get("aggregations", {}).get("watches", {}).get("buckets", [])]


def _window_filter(watches: Sequence[str], since: datetime, until: datetime, query: Query | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [
        {"terms": {"watch": list(watches)}},
        {"range": {"created_at": {"gte": since.isoformat(), "lt": until.isoformat()}}},
    ]
    if query is not None:
        filters.append(query)
    return {"bool": {"filter": filters}}


def build_compare_request(
    brand: str, competitors: Sequence[str], since: datetime, until: datetime, query: Query | None = None,
    interval: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``Elasticsearch.search``: every figure of every watch in one request."""
    watches = [brand, *competitors]
    interval = interval or histogram_interval(since, until)
    return {
        "size": 0,
        "track_total_hits": True,
        "query": _window_filter(watches, since, until, query),
        "aggs": {
            "by_watch": {
                "terms": {"field": "watch", "size": len(watches), "include": watches},
                "aggs": {
                    "sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}},
                    "categories": {"terms": {"field": "categories", "size": 20}},
                    "reach": {"sum": {"field": "author.followers"}},
                    **{metric: {"sum": {"field": f"metrics.{metric}"}} for metric in INTERACTION_METRICS},
                    "volume": {"date_histogram": {
                        "field": "created_at", "fixed_interval": interval, "min_doc_count": 0,
                        "extended_bounds": {"min": since.isoformat(), "max": until.isoformat()},
                    }},
                },
            },
        },
    }


def build_terms_request(watch: str, since: datetime, until: datetime, query: Query | None = None,
                        size: int = TERMS_SAMPLE_SIZE) -> dict[str, Any]:
    """The newest texts of one watch in the window, to count its top terms."""
    return {
        "size": size,
        "query": _window_filter([watch], since, until, query),
        "sort": [{"created_at": {"order": "desc"}}],
        "_source": ["text", "title"],
    }


def top_terms(texts: Iterable[str], exclude: Iterable[str] = (), limit: int = TOP_TERMS) -> list[tuple[str, int]]:
    """The most frequent terms (hashtags, @mentions, keywords), each counted once per text.

    ``exclude`` drops the watched names themselves, which every text of a watch tends to contain.
    """
    from pipeline.trends.terms import count_terms

    counts, _ = count_terms(texts)
    excluded = {name.casefold() for name in exclude}
    excluded |= {f"#{name}" for name in excluded} | {f"@{name}" for name in excluded}
    totals: Counter[str] = Counter()
    for term, count in counts.items():
        # "lumio halo" says no more than "halo" on Lumio's own list
        if term.text not in excluded and not excluded.intersection(term.text.split()):
            totals[term.text] += count
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _buckets(aggregation: Mapping[str, Any] | None) -> dict[str, int]:
    return {bucket["key"]: bucket["doc_count"] for bucket in (aggregation or {}).get("buckets", [])}


def _sum(aggregation: Mapping[str, Any] | None) -> int:
    return int((aggregation or {}).get("value") or 0)


def shape_comparison(
    response: Mapping[str, Any], brand: str, competitors: Sequence[str], since: datetime, until: datetime,
    interval: str, terms: Mapping[str, list[tuple[str, int]]] | None = None,
) -> Comparison:
    """The :class:`Comparison` of a :func:`build_compare_request` answer; watches without mentions get zeros."""
    watches = [brand, *competitors]
    by_watch = {bucket["key"]: bucket for bucket in response.get("aggregations", {}).get("by_watch", {}).get("buckets", [])}
    counts = {watch: by_watch.get(watch, {}).get("doc_count", 0) for watch in watches}
    total = sum(counts.values())
    figures = []
    for watch in watches:
        bucket = by_watch.get(watch, {})
        sentiment = {name: _buckets(bucket.get("sentiment")).get(name, 0) for name in SENTIMENTS}
        mentions = counts[watch]
        figures.append(WatchFigures(
            watch=watch,
            mentions=mentions,
            share_of_voice=mentions / total if total else 0.0,
            sentiment=sentiment,
            net_sentiment=(sentiment["positive"] - sentiment["negative"]) / mentions if mentions else 0.0,
            categories=_buckets(bucket.get("categories")),
            reach=_sum(bucket.get("reach")),
            interactions=sum(_sum(bucket.get(metric)) for metric in INTERACTION_METRICS),
            volume=[(from_epoch_ms(b["key"]), b["doc_count"]) for b in (bucket.get("volume") or {}).get("buckets", [])],
            top_terms=list((terms or {}).get(watch, [])),
        ))
    distinct = (response.get("hits") or {}).get("total", {}).get("value")
    return Comparison(brand, list(competitors), since, until, interval, figures, distinct)


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a plain-text table for the terminal."""
    lines = [
        f"{comparison.brand} against {', '.join(comparison.competitors)}, "
        f"{comparison.since:%Y-%m-%d %H:%M} → {comparison.until:%Y-%m-%d %H:%M} UTC, "
        f"{comparison.total_mentions} mention-watch pairs"
        + (f" ({comparison.distinct_mentions} distinct mentions)" if comparison.distinct_mentions is not None else ""),
        "counts per watch are mention-watch pairs: a mention naming two compared watches counts once for each",
        "",
        f"{'watch':<16}{'mentions':>9}{'share':>8}{'neg':>7}{'neu':>7}{'pos':>7}{'net':>7}{'reach':>12}{'interact.':>11}",
    ]
    for f in comparison.watches:
        def pct(n: int, of: int = f.mentions) -> str:
            return f"{100 * n / of:.0f}%" if of else "-"
        lines.append(
            f"{f.watch:<16}{f.mentions:>9}{100 * f.share_of_voice:>7.1f}%{pct(f.sentiment['negative']):>7}"
            f"{pct(f.sentiment['neutral']):>7}{pct(f.sentiment['positive']):>7}{f.net_sentiment:>+7.2f}"
            f"{f.reach:>12,}{f.interactions:>11,}")
    lines.append("")
    for f in comparison.watches:
        top = ", ".join(f"{name} ({count})" for name, count in list(f.categories.items())[:5]) or "-"
        lines.append(f"{f.watch}: categories {top}")
        lines.append(f"{' ' * len(f.watch)}  top terms  {', '.join(term for term, _ in f.top_terms) or '-'}")
    return "\n".join(lines)


def first_mention_request(watches: Sequence[str], until: datetime, query: Query | None = None) -> dict[str, Any]:
    """The oldest mention of ``watches`` before ``until``: where a comparison over 'all' starts."""
    filters: list[dict[str, Any]] = [{"terms": {"watch": list(watches)}},
                                     {"range": {"created_at": {"lt": until.isoformat()}}}]
    if query is not None:
        filters.append(query)
    return {"size": 1, "query": {"bool": {"filter": filters}}, "sort": [{"created_at": {"order": "asc"}}],
            "_source": ["created_at"]}


async def fetch_comparison(
    client: Any, index: str, brand: str, competitors: Sequence[str], since: datetime | None, until: datetime,
    query: Query | None = None, period: str = "",
) -> Comparison:
    """Resolve the names, run the comparison and the per-watch term samples on ``client`` (AsyncElasticsearch).

    ``since`` None ('all') starts at the oldest mention of the compared watches.
    Raises :class:`UnknownWatch` when a name is not a watch of the index.
    """
    known = known_watches((await client.search(index=index, **known_watches_request())).body)
    names = resolve_watches([brand, *competitors], known)
    if len(names) < 2:
        raise UnknownWatch("compare a brand with at least one other watch")
    brand, competitors = names[0], names[1:]
    if since is None:
        first = (await client.search(index=index, **first_mention_request(names, until, query)))["hits"]["hits"]
        oldest = parse_iso(first[0]["_source"]["created_at"]) if first else None
        since = oldest if oldest is not None and oldest < until else until - timedelta(days=1)
    interval = histogram_interval(since, until)
    response = await client.search(index=index, **build_compare_request(brand, competitors, since, until, query, interval))
    terms = {}
    for watch in names:
        sample = await client.search(index=index, **build_terms_request(watch, since, until, query))
        texts = [" ".join(filter(None, (hit["_source"].get("title"), hit["_source"].get("text"))))
                 for hit in sample["hits"]["hits"]]
        terms[watch] = top_terms(texts, exclude=names)
    comparison = shape_comparison(response.body, brand, competitors, since, until, interval, terms)
    return replace(comparison, period=period)
