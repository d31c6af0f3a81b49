"""Backfill from the sources that can read the past: a watch's mentions of the last days, read back page by
page through the connectors' HTTP client and normalisers, tagged like the tag stage tags them and counted
for the crisis monitor (``veille backfill WATCH --source mastodon|reddit|hackernews|rss --days N``).

Each source is a set of streams (a hashtag, a search term, a feed), each read newest first:

- Mastodon: the hashtag timelines (``/api/v1/timelines/tag/<tag>``) of the watch's tag-like keywords, and with
  ``VEILLE_MASTODON_ACCESS_TOKEN`` the status search (``/api/v2/search``) of its keywords, paged backwards with
  ``max_id`` (the smallest status id of the page);
- Reddit: the site-wide search of each keyword sorted by new (``/search``), paged with ``after`` (the listing's
  cursor, the fullname of its last thing); OAuth when ``VEILLE_REDDIT_CLIENT_ID``/``_SECRET`` are set;
- Hacker News: Algolia's ``search_by_date`` with ``numericFilters=created_at_i>SINCE``, paged by time: the next
  page asks for ``created_at_i<=`` the oldest hit seen (so the 1,000-hit window of page numbers is no limit);
- RSS / Atom / JSON Feed: each feed of the watch's rss sources, once: only the items the feed still holds.

A stream stops at the first page whose oldest mention is older than the window, at its last page, or after
``max_pages`` pages. Every mention is kept once (by id), and only if the watch matches it (as the connector
would have matched it). The history is complete from ``since`` only where every stream reached ``since``
or the source's end; a stream cut short by ``max_pages``, a feed that holds only its last items, or a Reddit
listing at its 1,000-thing cap is complete only from the oldest mention it reached: :attr:`SourceRead.complete_from`
says from when, and the caller counts nothing older (a baseline with one stream's days but not another's would
show a rise that never happened). Requests go through :class:`~pipeline.sources.http.PoliteClient`: per-host
pacing, retries of 429/5xx honouring ``Retry-After`` and exhausted ``X-RateLimit-*`` budgets.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, get_args

import orjson

from pipeline.mention import Mention
from pipeline.sources.http import FetchError, PoliteClient, redact
from pipeline.sources.options import SourceOptions
from pipeline.sources.results import NormalizeResult
from pipeline.timestamps import format_iso, utc_now
from pipeline.trends.backfill import HistoryCounter, count_document

BACKFILL_SOURCES = ("mastodon", "reddit", "hackernews", "rss")
DEFAULT_DAYS = 7
MAX_DAYS = 28
DEFAULT_MAX_PAGES = 25  # per stream
MASTODON_PAGE = 40  # the API's largest page
REDDIT_PAGE = 100
HACKERNEWS_PAGE = 100
REDDIT_LISTING_CAP = 1000  # Reddit serves no listing past its first 1,000 things: an end there is not the end
TAG_BATCH = 256
_TAG = re.compile(r"^#?(\w+)$")
_BEFORE = re.compile(r"created_at_i(<=?)(\d+)")


class BackfillSourceError(Exception):
    """A page that could not be read or understood: names the source, the URL and the page."""

    def __init__(self, source: str, url: str, page: int, reason: str):
        super().__init__(f"{source}: {url} page {page}: {reason}")
        self.source, self.url, self.page, self.reason = source, url, page, reason


@dataclass(slots=True)
class Page:
    """One page read: its mentions, how many items it held, the oldest mention's time and the parameters of
    the next (older) page, None when there is none."""

    mentions: list[Mention]
    items: int
    next: dict[str, Any] | None
    oldest: datetime | None = None

    def __post_init__(self) -> None:
        if self.oldest is None and self.mentions:
            self.oldest = min(m.created_at for m in self.mentions)


class PageNotUnderstood(ValueError):
    """A body that is not the page the source serves (an HTML error page with status 200, another API)."""


# --- pages: body in, mentions and the next cursor out (pure) --------------------------------------------------


def _json(body: bytes, what: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise PageNotUnderstood(f"not JSON ({what} expected): {body[:80]!r}") from None


def mastodon_page(body: bytes, params: dict[str, Any], *, source_hint: str | None = None,
                  fetched_at: datetime | None = None) -> Page:
    """A tag timeline (a list of statuses) or a search answer (``{"statuses": [...]}``); the next page is
    ``max_id`` = the smallest status id (ids grow with time), none after a short or empty page."""
    from pipeline.sources.mastodon.connector import id_key, status_ids
    from pipeline.sources.mastodon.normalize import normalize_mastodon

    data = _json(body, "a list of statuses")
    if not isinstance(data, list) and not (isinstance(data, dict) and isinstance(data.get("statuses"), list)):
        raise PageNotUnderstood(f"not a timeline or a search answer (a {type(data).__name__}"
                                f"{' with ' + ', '.join(list(data)[:5]) if isinstance(data, dict) else ''})")
    ids = [i for i in status_ids(body) if i.isdigit()]
    result = normalize_mastodon(body, source_hint=source_hint, fetched_at=fetched_at)
    limit = int(params.get("limit") or MASTODON_PAGE)
    items = len(data) if isinstance(data, list) else len(data["statuses"])
    oldest_id = min(ids, key=id_key) if ids else None
    more = oldest_id is not None and items >= limit and oldest_id != params.get("max_id")
    return Page(result.mentions, items, {"max_id": oldest_id} if more else None)


def reddit_page(body: bytes, params: dict[str, Any], *, source_hint: str | None = None,
                fetched_at: datetime | None = None) -> Page:
    """A listing (``{"kind": "Listing", "data": {"children", "after"}}``); the next page is its ``after``."""
    from pipeline.sources.reddit.connector import listing_after
    from pipeline.sources.reddit.normalize import normalize_reddit

    data = _json(body, "a listing")
    listing = data.get("data") if isinstance(data, dict) else None
    if not isinstance(listing, dict) or not isinstance(listing.get("children"), list):
        raise PageNotUnderstood(f"not a listing (a {type(data).__name__})")
    result = normalize_reddit(body, source_hint=source_hint, fetched_at=fetched_at)
    after = listing_after(body)
    more = after is not None and after != params.get("after") and bool(listing["children"])
    return Page(result.mentions, len(listing["children"]), {"after": after} if more else None)


def hackernews_page(body: bytes, params: dict[str, Any], *, source_hint: str | None = None,
                    fetched_at: datetime | None = None) -> Page:
    """An Algolia answer (``{"hits": [...]}``, newest first); the next page asks for hits created at or before
    the oldest hit here (same-second hits come again; the caller keeps each id once), or strictly before it
    when a whole page shared one second; none after a short page."""
    from pipeline.sources.hackernews.normalize import normalize_hackernews

    data = _json(body, "an Algolia answer")
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        raise PageNotUnderstood(f"not an Algolia search answer (a {type(data).__name__} without hits)")
    hits = data["hits"]
    result = normalize_hackernews(body, source_hint=source_hint, fetched_at=fetched_at)
    times = [h["created_at_i"] for h in hits if isinstance(h, dict) and isinstance(h.get("created_at_i"), int)]
    limit = int(params.get("hitsPerPage") or HACKERNEWS_PAGE)
    if not times or len(hits) < limit:
        return Page(result.mentions, len(hits), None)
    oldest = min(times)
    filters = str(params.get("numericFilters") or "")
    bound = _BEFORE.search(filters)
    operator = "<" if bound and int(bound.group(2)) == oldest else "<="  # a whole page in one second: step past it
    kept = [part for part in filters.split(",") if part and not _BEFORE.fullmatch(part.strip())]
    return Page(result.mentions, len(hits), {"numericFilters": ",".join([*kept, f"created_at_i{operator}{oldest}"])})


def rss_page(body: bytes, params: dict[str, Any], *, source_hint: str | None = None,
             fetched_at: datetime | None = None) -> Page:
    """A feed: its items, no next page (a feed holds its latest items only)."""
    from pipeline.sources.rss.normalize import normalize_rss

    result: NormalizeResult = normalize_rss(body, source_hint=source_hint, fetched_at=fetched_at)
    if not result.mentions:
        unreadable = [r for r in result.rejects if r.item_ref == "feed"]
        if unreadable:
            raise PageNotUnderstood(unreadable[0].reason)
        head = body[:4096].lstrip().lower()
        if not head.startswith(b"{") and not any(tag in head for tag in (b"<rss", b"<feed", b"<rdf")):
            raise PageNotUnderstood(f"not a feed (no <rss>, <feed> or <rdf:RDF>): {body[:80]!r}")
    return Page(result.mentions, len(result.mentions) + len(result.rejects), None)


# --- streams: what to read for one watch ------------------------------------------------------------------------


Headers = Callable[[], Awaitable[dict[str, str]]]


async def _no_headers() -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Stream:
    """One thing to read back: a URL, its first page's parameters, how its pages are read."""

    source: str  # the source type (mastodon, reddit…)
    name: str  # hashtag:lumio, search:Lumio, the feed's URL
    url: str
    params: dict[str, Any]
    parse: Callable[..., Page]
    source_name: str | None = None  # the watches.yaml source it comes from (None: the public service)
    headers: Headers = _no_headers
    hint: str | None = None
    exhaustive: bool = True  # its last page means nothing older exists (False: a feed holds only its last items)
    listing_cap: int | None = None  # an end after this many items is the API's cap, not the source's end


def tags_of(keywords: Iterable[str]) -> list[str]:
    """The keywords that are hashtags or single words (``#BoycottAquarelle``, ``Lumio``), as tags, once each."""
    found: dict[str, None] = {}
    for keyword in keywords:
        match = _TAG.match(keyword.strip())
        if match:
            found.setdefault(match.group(1), None)
    return list(found)


def _terms(keywords: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(k.strip() for k in keywords if k.strip() and "*" not in k and "?" not in k))


class _NoSink:
    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        raise AssertionError("a backfill sends no mention")

    async def flush(self) -> None:
        return None


def _connector(source: str, spec: SourceOptions | None, settings: Any, watches: Any, http: PoliteClient):
    """The live connector of ``spec`` (its base URL and its authentication), never run: it sends nothing."""
    from pipeline.sources.checkpoint import CheckpointStore
    from pipeline.sources.registry import connector_types, options_models
    from pipeline.sources.runtime import ConnectorContext

    if spec is None:
        model = next(m for m in options_models() if get_args(m.model_fields["type"].annotation) == (source,))
        spec = model(name=f"{source}-backfill", type=source)
    context = ConnectorContext(settings, _NoSink(), watches, CheckpointStore(settings, _NoSink(), {}), http)
    return connector_types()[source](spec, context)


def plan_streams(source: str, watch: Any, specs: Sequence[SourceOptions | None], settings: Any, watches: Any,
                 http: PoliteClient, since: datetime, page_size: int | None = None) -> list[Stream]:
    """The streams that read ``watch``'s mentions of ``source`` (one type) since ``since``, from each spec
    (a watches.yaml source the watch follows; None: the public service with default options). A source's own
    hashtags or searches, when watches.yaml gives them, are read as the live connector reads them, those of
    them that are the watch's; otherwise the watch's keywords."""
    keywords = list(watch.spec.keywords)
    streams: list[Stream] = []
    for spec in specs:
        name = spec.name if spec is not None else None
        if source == "rss":
            feeds = list(getattr(spec, "feeds", None) or ())
            streams.extend(Stream("rss", feed, feed, {}, rss_page, name, hint=feed, exhaustive=False) for feed in feeds)
            continue
        if source not in BACKFILL_SOURCES:
            raise ValueError(f"{source} cannot be read back (sources that can: {', '.join(BACKFILL_SOURCES)})")
        connector = _connector(source, spec, settings, watches, http)
        searches = _terms(_own(watch, getattr(spec, "searches", None), keywords))
        if source == "mastodon":
            async def mastodon_headers(connector=connector) -> dict[str, str]:
                return connector._headers()

            host = _host(connector.base_url)
            limit = page_size or MASTODON_PAGE
            configured = getattr(spec, "hashtags", None)
            tags = tags_of(keywords) if configured is None else _own_tags(watch, configured)
            streams.extend(Stream("mastodon", f"hashtag:{tag}", f"{connector.base_url}/api/v1/timelines/tag/{tag}",
                                  {"limit": limit}, mastodon_page, name, mastodon_headers, host)
                           for tag in tags)
            if settings.mastodon.access_token:  # most instances search statuses for signed-in clients only
                streams.extend(Stream("mastodon", f"search:{term}", f"{connector.base_url}/api/v2/search",
                                      {"q": term, "type": "statuses", "limit": limit, "resolve": "false"},
                                      mastodon_page, name, mastodon_headers, host)
                               for term in searches)
        elif source == "reddit":
            for term in searches:
                url, params = connector._endpoint(f"search:{term}")
                streams.append(Stream("reddit", f"search:{term}", url,
                                      {**params, "limit": page_size or REDDIT_PAGE, "t": "all", "type": "link"},
                                      reddit_page, name, connector._headers, listing_cap=REDDIT_LISTING_CAP))
        else:
            for term in searches:
                streams.append(Stream("hackernews", f"search:{term}", f"{connector.base_url}/api/v1/search_by_date",
                                      {"query": term, "tags": "(story,comment)", "hitsPerPage": page_size or HACKERNEWS_PAGE,
                                       "numericFilters": f"created_at_i>{int(since.timestamp())}", "page": 0},
                                      hackernews_page, name))
    return streams


def _own(watch: Any, configured: Sequence[str] | None, keywords: list[str]) -> list[str]:
    """``configured`` (a source's own terms) that are ``watch``'s (the watch matches a text of the term), or
    the watch's keywords when the source configures none."""
    from pipeline.query.match import MentionView

    if configured is None:
        return keywords
    return [term for term in configured if watch.matches(MentionView({"text": term}))]


def _own_tags(watch: Any, configured: Sequence[str]) -> list[str]:
    """The hashtags of a source that are ``watch``'s: the watch matches ``#tag``, or the tag holds one of its
    keywords run together (``LumioHalo`` for ``Lumio Halo`` or ``Lumio``). Mentions are matched one by one
    afterwards: a tag read in excess costs requests, not counts."""
    compact = [re.sub(r"[\W_]+", "", k.casefold()) for k in watch.spec.keywords]
    compact = [k for k in compact if len(k) >= 3]
    own = [t for t in configured
           if any(k in t.casefold().lstrip("#") for k in compact) or _own(watch, [f"#{t.lstrip('#')}"], [])]
    return tags_of(own)


def _host(url: str) -> str:
    import httpx

    return httpx.URL(url).host or url


# --- reading -------------------------------------------------------------------------------------------------


@dataclass
class StreamRead:
    stream: Stream
    pages: int = 0
    items: int = 0
    kept: int = 0  # mentions of the watch in the window, new ones
    oldest: datetime | None = None  # the oldest mention reached, in the window or not
    ended: str = ""  # why it stopped: "window", "end", "max pages"
    complete_from: datetime | None = None


@dataclass
class SourceRead:
    """What reading back gave: the watch's mentions in the window (each once), per stream what was read, and
    the time from which the counts are complete (mentions older than it must not be counted)."""

    since: datetime
    mentions: list[Mention] = field(default_factory=list)
    streams: list[StreamRead] = field(default_factory=list)

    @property
    def complete_from(self) -> datetime:
        moments = [s.complete_from for s in self.streams if s.complete_from is not None]
        return max([self.since, *moments])

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self.streams)


Progress = Callable[[StreamRead], None]
Belongs = Callable[[Mention, Stream], bool]


def source_specs(watches: Any, watch: Any, source: str) -> list[SourceOptions | None]:
    """The enabled watches.yaml sources of type ``source`` that ``watch`` follows; ``[None]`` (the public
    service) when none of that type is declared. Raises ValueError when the watch follows none of those
    declared (its live counts have none of their mentions) or, for rss, when no feed is declared."""
    declared = [s for s in watches.spec.sources if s.type == source and s.enabled]
    followed = [s for s in declared if watch.follows(s.name)]
    if followed:
        return followed
    if declared:
        raise ValueError(f"watch {watch.name} follows none of the {source} sources of watches.yaml "
                         f"({', '.join(s.name for s in declared)}): its live counts have none of their mentions")
    if source == "rss":
        raise ValueError("no rss source in watches.yaml: declare one with its feeds")
    return [None]


def watch_matcher(watches: Any, watch: Any) -> Belongs:
    """Whether a mention read back belongs to ``watch`` as the live connector would decide it (the source's
    ``owned``, threads, the watch's exclude); without a declared source, the watch's query alone."""
    from pipeline.query.match import MentionView

    def belongs(mention: Mention, stream: Stream) -> bool:
        if stream.source_name is not None:
            return watch.name in watches.match(mention, stream.source_name)
        return watch.matches(MentionView(mention))

    return belongs


async def read_stream(http: PoliteClient, stream: Stream, since: datetime, belongs: Belongs,
                      seen: set[str], max_pages: int = DEFAULT_MAX_PAGES, now: datetime | None = None,
                      progress: Progress | None = None) -> tuple[StreamRead, list[Mention]]:
    """Read ``stream`` back to ``since``: its mentions in the window that ``belongs`` keeps and ``seen`` has
    not (``seen`` gets them), and what was read. Raises :class:`BackfillSourceError` naming the page."""
    read = StreamRead(stream)
    kept: list[Mention] = []
    params = dict(stream.params)
    now = now or utc_now()
    while True:
        if read.pages >= max_pages:
            read.ended = "max pages"
            break
        page_number = read.pages + 1
        try:
            response = await http.get(stream.url, params=params, headers=await stream.headers())
        except FetchError as exc:
            raise BackfillSourceError(stream.source, exc.url or redact(stream.url), page_number,
                                      f"{exc.reason} ({stream.name})") from None
        try:
            page = stream.parse(response.body, params, source_hint=stream.hint, fetched_at=now)
        except PageNotUnderstood as exc:
            raise BackfillSourceError(stream.source, redact(response.url), page_number, f"{exc} ({stream.name})") from None
        read.pages, read.items = page_number, read.items + page.items
        for mention in page.mentions:
            if mention.created_at >= since and mention.id not in seen and belongs(mention, stream):
                seen.add(mention.id)
                kept.append(mention)
                read.kept += 1
        if page.oldest is not None:
            read.oldest = min(read.oldest, page.oldest) if read.oldest else page.oldest
        if progress is not None:
            progress(read)
        if page.oldest is not None and page.oldest < since:
            read.ended = "window"
            break
        if page.next is None:
            read.ended = "end"
            break
        params = {**params, **page.next}
    reached = read.ended == "window" or (read.ended == "end" and stream.exhaustive
                                         and (stream.listing_cap is None or read.items < stream.listing_cap))
    read.complete_from = since if reached else (read.oldest or now)
    return read, kept


async def read_back(http: PoliteClient, streams: Sequence[Stream], since: datetime, belongs: Belongs,
                    max_pages: int = DEFAULT_MAX_PAGES, now: datetime | None = None,
                    progress: Progress | None = None) -> SourceRead:
    """Read every stream back to ``since``, one after the other (one host at a time, politely)."""
    result = SourceRead(since)
    seen: set[str] = set()
    for stream in streams:
        read, kept = await read_stream(http, stream, since, belongs, seen, max_pages, now, progress)
        result.streams.append(read)
        result.mentions.extend(kept)
    return result


def count_mentions(mentions: Sequence[Mention], watch: str, counter: HistoryCounter, tagger: Any,
                   complete_from: datetime | None = None) -> int:
    """Tag ``mentions`` with ``tagger`` (the tag stage's: pipeline.tagging.get_tagger) and count them for
    ``watch`` as the Kafka backfill counts enriched mentions (:func:`count_document`: negative sentiment, the
    categories that have a series); only those from ``complete_from`` on. Returns how many were counted."""
    from pipeline.processing import tag_input_for

    kept = [m for m in mentions if complete_from is None or m.created_at >= complete_from]
    for start in range(0, len(kept), TAG_BATCH):
        batch = kept[start:start + TAG_BATCH]
        inputs = [tag_input_for(m.model_copy(update={"watch": list(dict.fromkeys([*m.watch, watch]))})) for m in batch]
        for mention, tags in zip(batch, tagger.tag_batch(inputs), strict=True):
            count_document({"id": mention.id, "created_at": format_iso(mention.created_at),
                            "sentiment": tags.sentiment, "categories": list(tags.categories)}, counter)
    return len(kept)


def mark_complete_from(counter: HistoryCounter, moment: datetime) -> datetime:
    """Start the counted history at the first whole interval from ``moment`` (zeros until the first mention: a
    quiet day is information). Returns that interval's start."""
    seconds = int(moment.timestamp())
    start = -(-seconds // counter.interval) * counter.interval
    first = datetime.fromtimestamp(start, moment.tzinfo)
    counter.add(first, {})
    return first


def window(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``(since, now)`` for ``days`` back (1 to MAX_DAYS)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}, not {days}")
    now = now or utc_now()
    return now - timedelta(days=days), now
