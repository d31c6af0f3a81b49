"""The figures of a client report, read from Elasticsearch.

Every request uses only what a real Elasticsearch and the embedded one both answer: ``terms``,
``date_histogram``, ``sum`` and ``avg`` aggregations and sorted searches. Medians and the 90th
percentile of response times are computed from the answered times (:mod:`pipeline.inbox.kpis`), not with
a ``percentiles`` aggregation. The request builders and the shapers of their answers are pure;
:func:`gather_report` runs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pipeline.compare import SENTIMENTS, histogram_interval, top_terms
from pipeline.reports.model import (
    Bucket,
    Crisis,
    ResponseKpis,
    TopAuthor,
    TopMention,
    Totals,
    TrendingTerm,
)
from pipeline.timestamps import from_epoch_ms, parse_iso

MAX_BUCKETS = 40
TOP_MENTIONS = 8
TOP_AUTHORS = 10
AUTHOR_CANDIDATES = 50
TOP_BURSTS = 10
TOP_FREQUENT = 15
CATEGORIES_SIZE = 20
MENTION_FIELDS = ["id", "platform", "author", "text", "title", "url", "created_at", "sentiment", "categories",
                  "metrics"]
# The searches whose hits can be a top mention: each sorted on one figure, merged and ranked afterwards.
TOP_MENTION_SORTS = ("metrics.likes", "metrics.shares", "metrics.replies", "author.followers")


def _sums() -> dict[str, Any]:
    return {
        "reach": {"sum": {"field": "author.followers"}},
        "impressions": {"sum": {"field": "metrics.views"}},
        "likes": {"sum": {"field": "metrics.likes"}},
        "shares": {"sum": {"field": "metrics.shares"}},
        "replies": {"sum": {"field": "metrics.replies"}},
        "sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}},
        "categories": {"terms": {"field": "categories", "size": CATEGORIES_SIZE}},
    }


def window_query(watch: str, since: datetime, until: datetime) -> dict[str, Any]:
    return {"bool": {"filter": [{"term": {"watch": watch}},
                                {"range": {"created_at": {"gte": since.isoformat(), "lt": until.isoformat()}}}]}}


def activity_request(watch: str, since: datetime, until: datetime, interval: str) -> dict[str, Any]:
    """The period's totals and the same figures per time bucket (``Elasticsearch.search`` keyword arguments)."""
    return {
        "size": 0,
        "track_total_hits": True,
        "query": window_query(watch, since, until),
        "aggs": {
            **_sums(),
            "over_time": {
                "date_histogram": {"field": "created_at", "fixed_interval": interval, "min_doc_count": 0,
                                   "extended_bounds": {"min": since.isoformat(), "max": until.isoformat()}},
                "aggs": _sums(),
            },
        },
    }


def totals_request(watch: str, since: datetime, until: datetime) -> dict[str, Any]:
    """Only the totals (the previous period, to compare with)."""
    return {"size": 0, "track_total_hits": True, "query": window_query(watch, since, until), "aggs": _sums()}


def _value(aggregation: Mapping[str, Any] | None) -> int:
    return int((aggregation or {}).get("value") or 0)


def _counts(aggregation: Mapping[str, Any] | None) -> dict[str, int]:
    return {str(bucket["key"]): int(bucket["doc_count"]) for bucket in (aggregation or {}).get("buckets", [])}


def shape_totals(aggregations: Mapping[str, Any], mentions: int) -> Totals:
    """A :class:`Totals` from aggregations built by :func:`_sums`."""
    return Totals(
        mentions=mentions,
        reach=_value(aggregations.get("reach")),
        impressions=_value(aggregations.get("impressions")),
        likes=_value(aggregations.get("likes")),
        shares=_value(aggregations.get("shares")),
        replies=_value(aggregations.get("replies")),
        sentiment=_counts(aggregations.get("sentiment")),
        categories=_counts(aggregations.get("categories")),
    )


def hits_total(response: Mapping[str, Any]) -> int:
    total = (response.get("hits") or {}).get("total") or {}
    return int(total.get("value", 0) if isinstance(total, Mapping) else total)


def shape_activity(response: Mapping[str, Any]) -> tuple[Totals, list[Bucket]]:
    aggregations = response.get("aggregations") or {}
    totals = shape_totals(aggregations, hits_total(response))
    buckets = [Bucket(from_epoch_ms(bucket["key"]), shape_totals(bucket, int(bucket["doc_count"])))
               for bucket in (aggregations.get("over_time") or {}).get("buckets", [])]
    return totals, buckets


def authors_request(watch: str, since: datetime, until: datetime, include: Sequence[str] | None = None,
                    size: int = AUTHOR_CANDIDATES) -> dict[str, Any]:
    """The most active authors of the period (or the authors ``include`` names) with their figures.

    The named authors are a filter of the query rather than the terms aggregation's ``include``, which the
    embedded Elasticsearch ignores when it is a list."""
    query = window_query(watch, since, until)
    if include:
        query["bool"]["filter"].append({"terms": {"author.id": list(include)}})
    return {
        "size": 0,
        "query": query,
        "aggs": {"authors": {"terms": {"field": "author.id", "size": len(include) if include else size}, "aggs": {
            "followers": {"avg": {"field": "author.followers"}},
            "likes": {"sum": {"field": "metrics.likes"}},
            "shares": {"sum": {"field": "metrics.shares"}},
            "replies": {"sum": {"field": "metrics.replies"}},
            "sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}},
            "handle": {"terms": {"field": "author.handle", "size": 1}},
            "platform": {"terms": {"field": "platform", "size": 1}},
        }}},
    }


def shape_authors(response: Mapping[str, Any]) -> list[TopAuthor]:
    authors = []
    for bucket in ((response.get("aggregations") or {}).get("authors") or {}).get("buckets", []):
        handle = next(iter(_counts(bucket.get("handle"))), "")
        platform = next(iter(_counts(bucket.get("platform"))), "")
        authors.append(TopAuthor(
            id=str(bucket["key"]), name=handle or str(bucket["key"]), platform=platform,
            mentions=int(bucket["doc_count"]), followers=int((bucket.get("followers") or {}).get("value") or 0),
            interactions=sum(_value(bucket.get(metric)) for metric in ("likes", "shares", "replies")),
            negative=_counts(bucket.get("sentiment")).get("negative", 0),
        ))
    return authors


def rank_authors(authors: Iterable[TopAuthor], limit: int = TOP_AUTHORS,
                 exclude: frozenset[str] = frozenset()) -> list[TopAuthor]:
    """Once each, by reach (followers), then interactions, then mentions; the handles ``exclude`` left out."""
    unique = {author.id: author for author in authors if not is_own_account(author.name, exclude)}
    return sorted(unique.values(), key=lambda a: (-a.followers, -a.interactions, -a.mentions, a.id))[:limit]


def top_mentions_request(watch: str, since: datetime, until: datetime, sort_field: str,
                         size: int = AUTHOR_CANDIDATES) -> dict[str, Any]:
    return {"size": size, "query": window_query(watch, since, until),
            "sort": [{sort_field: {"order": "desc"}}, {"created_at": {"order": "desc"}}], "_source": MENTION_FIELDS}


def mention_of(source: Mapping[str, Any]) -> TopMention:
    author = source.get("author") or {}
    metrics = source.get("metrics") or {}
    text = " ".join(filter(None, (source.get("title"), source.get("text"))))
    return TopMention(
        id=str(source.get("id", "")), platform=str(source.get("platform") or ""),
        author=str(author.get("handle") or author.get("name") or author.get("id") or ""), text=text,
        url=source.get("url"), created_at=parse_iso(source.get("created_at")), sentiment=source.get("sentiment"),
        categories=list(source.get("categories") or []), reach=int(author.get("followers") or 0),
        interactions=sum(int(metrics.get(metric) or 0) for metric in ("likes", "shares", "replies")),
    )


def rank_mentions(sources: Iterable[Mapping[str, Any]], limit: int = TOP_MENTIONS,
                  exclude: frozenset[str] = frozenset()) -> list[TopMention]:
    """Once each, by interactions, then reach, newest first on a tie; the authors' handles ``exclude`` left out."""
    kept = (source for source in sources
            if not is_own_account((source.get("author") or {}).get("handle") or (source.get("author") or {}).get("name"),
                                  exclude))
    unique = {m.id: m for m in map(mention_of, kept)}
    return sorted(unique.values(), key=lambda m: (-m.interactions, -m.reach,
                                                  -(m.created_at.timestamp() if m.created_at else 0), m.id))[:limit]


def alerts_request(watch: str, until: datetime, size: int = 200) -> dict[str, Any]:
    """The watch's alerts opened before the end of the period; :func:`crises_in_period` keeps those still
    active at its start."""
    return {"size": size, "query": {"bool": {"filter": [{"term": {"watch": watch}},
                                                        {"range": {"opened_at": {"lt": until.isoformat()}}}]}},
            "sort": [{"opened_at": {"order": "asc"}}]}


def crises_in_period(alerts: Iterable[Mapping[str, Any]], since: datetime, until: datetime) -> list[Crisis]:
    """The alerts active at some time in [since, until), oldest first (their mentions are counted by
    :func:`crisis_mentions_request`)."""
    crises = []
    for alert in alerts:
        opened = parse_iso(alert.get("opened_at"))
        resolved = parse_iso(alert.get("resolved_at"))
        if opened is None or opened >= until or (resolved is not None and resolved < since):
            continue
        crises.append(Crisis(
            id=str(alert.get("id", "")), kind=str(alert.get("kind", "")), severity=str(alert.get("severity", "")),
            peak_severity=str(alert.get("peak_severity") or alert.get("severity", "")),
            state=str(alert.get("state", "")), title=str(alert.get("title", "")),
            explanation=str(alert.get("explanation") or ""), opened_at=opened,
            acknowledged_at=parse_iso(alert.get("acknowledged_at")), acknowledged_by=alert.get("acknowledged_by"),
            resolved_at=resolved, resolved_by=alert.get("resolved_by"), observed=alert.get("observed"),
            baseline=alert.get("baseline"), verdict=alert.get("verdict"), top_terms=list(alert.get("top_terms") or []),
            update_count=int(alert.get("update_count") or 0),
        ))
    return sorted(crises, key=lambda crisis: crisis.opened_at)


def crisis_window(crisis: Crisis, since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The part of the period the crisis was active in: from its opening (or the period's start) to its
    resolution (or the period's end)."""
    return max(crisis.opened_at, since), min(crisis.resolved_at or until, until)


def crisis_mentions_request(watch: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {"size": 0, "track_total_hits": True, "query": window_query(watch, start, end),
            "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": len(SENTIMENTS)}}}}


def with_mentions(crisis: Crisis, response: Mapping[str, Any]) -> Crisis:
    """``crisis`` with the mentions and negative mentions of a :func:`crisis_mentions_request` answer."""
    negative = _counts((response.get("aggregations") or {}).get("sentiment")).get("negative", 0)
    return replace(crisis, mentions_during=hits_total(response), negative_during=negative)


def bursts_request(watch: str, since: datetime, until: datetime, size: int = 60) -> dict[str, Any]:
    """Bursting terms the trends agent stored for the watch, in windows that end within the period."""
    return {"size": size,
            "query": {"bool": {"filter": [{"term": {"watch": watch}},
                                          {"range": {"window_end": {"gte": since.isoformat(),
                                                                    "lte": until.isoformat()}}}]}},
            "sort": [{"burst_score": {"order": "desc"}}, {"window_end": {"order": "desc"}}]}


def shape_bursts(response: Mapping[str, Any], limit: int = TOP_BURSTS) -> list[TrendingTerm]:
    """One row per term, its highest burst score; highest first."""
    best: dict[str, TrendingTerm] = {}
    for hit in (response.get("hits") or {}).get("hits", []):
        source = hit.get("_source") or {}
        term, score = str(source.get("term") or ""), float(source.get("burst_score") or 0)
        if term and (term not in best or score > (best[term].burst_score or 0)):
            best[term] = TrendingTerm(term, int(source.get("count") or 0), score)
    return sorted(best.values(), key=lambda t: (-(t.burst_score or 0), t.term))[:limit]


def frequent_terms(texts: Iterable[str], exclude: Iterable[str], limit: int = TOP_FREQUENT) -> list[TrendingTerm]:
    return [TrendingTerm(term, count) for term, count in top_terms(texts, exclude=exclude, limit=limit)]


def shape_kpis(response_times: Any) -> ResponseKpis:
    """The report's view of a :class:`pipeline.inbox.kpis.ResponseTimes`."""
    figures = response_times.to_json()
    minutes = response_times.overall.minutes
    within_hour = sum(1 for m in minutes if m <= 60) / len(minutes) if minutes else None
    return ResponseKpis(figures["overall"], figures["by_network"], figures["by_category"], figures["by_teammate"],
                        within_hour, bool(figures["complete"]))


def report_interval(since: datetime, until: datetime) -> str:
    return histogram_interval(since, until, MAX_BUCKETS)


def load_watches(watches_file: Any) -> Any:
    """The watches of ``watches_file`` (:class:`pipeline.watches.Watches`); None when it cannot be read."""
    from pipeline.watches import Watches, WatchesError

    try:
        return Watches.load(watches_file)
    except WatchesError:
        return None


def configured_competitors(watches: Any, watch: str) -> list[str]:
    """The watches of kind ``competitor``, except ``watch``."""
    if watches is None:
        return []
    return [w.name for w in watches.watches if w.spec.kind == "competitor" and w.name.casefold() != watch.casefold()]


def own_handles(watches: Any, watch: str) -> frozenset[str]:
    """The brand's own accounts: the watch's name and its ``@handle`` keywords (its replies are not the
    client's top mentions or authors)."""
    handles = {watch.casefold()}
    for w in (watches.watches if watches is not None else []):
        if w.name.casefold() == watch.casefold():
            handles |= {k.strip()[1:].casefold() for k in w.spec.keywords if k.strip().startswith("@")}
    return frozenset(handles)


def is_own_account(handle: str | None, own: frozenset[str]) -> bool:
    """Whether ``handle`` is one of ``own``, also as the first part of a federated or domain handle
    (``aquarelle@mastodon.social``, ``aquarelle.bsky.social``)."""
    folded = str(handle or "").casefold().lstrip("@")
    return bool(folded) and (folded in own or folded.split("@")[0] in own or folded.split(".")[0] in own)


async def _search(client: Any, index: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """The answer's body; an index not created yet (no alert, no trend yet) reads as an empty answer."""
    from elasticsearch import NotFoundError

    try:
        return (await client.search(index=index, **request)).body
    except NotFoundError:
        return {}


async def gather_report(client: Any, settings: Any, watch: str, since: datetime | None, until: datetime,
                        now: datetime, period: str = "", competitors: Sequence[str] | None = None) -> Any:
    """The :class:`Report` of ``watch`` over [since, until) read with ``client`` (AsyncElasticsearch).

    ``since`` None ('all') starts at the watch's first mention. ``competitors`` None: the competitors of
    watches.yaml. Raises :class:`pipeline.compare.UnknownWatch` when no mention is watched as ``watch``.
    """
    from pipeline.alerts.store import alerts_index, trends_index
    from pipeline.compare import (
        build_terms_request,
        fetch_comparison,
        first_mention_request,
        known_watches,
        known_watches_request,
        resolve_watches,
    )
    from pipeline.inbox.service import Scope, response_times
    from pipeline.reports.model import Report

    index = settings.mentions_index
    known = known_watches(await _search(client, index, known_watches_request()))
    watch = resolve_watches([watch], known)[0]
    if since is None:
        first = (await _search(client, index, first_mention_request([watch], until))).get("hits", {}).get("hits", [])
        oldest = parse_iso(first[0]["_source"]["created_at"]) if first else None
        since = oldest if oldest is not None and oldest < until else until - timedelta(days=1)
    interval = report_interval(since, until)
    totals, buckets = shape_activity(await _search(client, index, activity_request(watch, since, until, interval)))
    span = until - since
    previous_response = await _search(client, index, totals_request(watch, since - span, since))
    previous = shape_totals(previous_response.get("aggregations") or {}, hits_total(previous_response))

    watches = load_watches(settings.watches_file)
    own = own_handles(watches, watch)
    asked = list(configured_competitors(watches, watch) if competitors is None else competitors)
    by_folded = {name.casefold(): name for name in known}
    present = [by_folded[name.casefold()] for name in asked
               if name.casefold() in by_folded and name.casefold() != watch.casefold()]
    missing = [name for name in asked if name.casefold() not in by_folded]
    comparison = (await fetch_comparison(client, index, watch, present, since, until, None, period)
                  if present else None)

    alerts = (await _search(client, alerts_index(settings), alerts_request(watch, until))).get("hits", {}).get("hits", [])
    crises = []
    for crisis in crises_in_period([hit["_source"] for hit in alerts], since, until):
        start, end = crisis_window(crisis, since, until)
        crises.append(with_mentions(crisis, await _search(client, index, crisis_mentions_request(watch, start, end))))
    kpis = shape_kpis(await response_times(client, settings, Scope(since, until, watch), now))

    hits: list[Mapping[str, Any]] = []
    for sort_field in TOP_MENTION_SORTS:
        found = await _search(client, index, top_mentions_request(watch, since, until, sort_field))
        hits.extend(hit["_source"] for hit in found.get("hits", {}).get("hits", []))
    authors = shape_authors(await _search(client, index, authors_request(watch, since, until)))
    influential = [str((h.get("author") or {}).get("id")) for h in hits if (h.get("author") or {}).get("id")]
    unseen = sorted(set(influential) - {author.id for author in authors})
    if unseen:
        authors += shape_authors(await _search(client, index, authors_request(watch, since, until, unseen)))

    bursts = shape_bursts(await _search(client, trends_index(settings), bursts_request(watch, since, until)))
    sample = await _search(client, index, build_terms_request(watch, since, until))
    texts = [" ".join(filter(None, (hit["_source"].get("title"), hit["_source"].get("text"))))
             for hit in sample.get("hits", {}).get("hits", [])]
    return Report(
        watch=watch, since=since, until=until, period=period, generated_at=now, interval=interval, totals=totals,
        previous=previous, buckets=buckets,
        comparison=comparison, competitors_without_mentions=missing, crises=crises, kpis=kpis,
        top_mentions=rank_mentions(hits, exclude=own), top_authors=rank_authors(authors, exclude=own), bursts=bursts,
        frequent_terms=frequent_terms(texts, exclude=[watch, *present]),
    )
