"""``veille backfill WATCH``: learn a watch's crisis baselines from history (a CSV, the Kafka log, the sources
that can read the past: Mastodon, Reddit, Hacker News, RSS), so that a new watch does not wait a day blind. The
counts go to the running crisis agent as one record on the ``watch.backfill`` topic; formats and rules in
pipeline/trends/backfill.py, reading the sources back in pipeline/trends/backfill_sources.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer

from pipeline.cli import app
from pipeline.settings import Settings, get_settings
from pipeline.sinks.kafka import KafkaRecordSink, kafka_connection_options
from pipeline.timestamps import utc_now
from pipeline.topics import ENRICHED
from pipeline.trends.backfill import BACKFILL_TOPIC, BackfillError, BackfillHistory, HistoryCounter, count_csv, count_document
from pipeline.trends.backfill_sources import (
    BACKFILL_SOURCES,
    DEFAULT_DAYS,
    DEFAULT_MAX_PAGES,
    MAX_DAYS,
    SourceRead,
    StreamRead,
    window,
)


def _watch_matcher(settings: Settings, watch: str) -> Callable[[dict], bool]:
    """Whether an enriched mention belongs to ``watch``: it matched it when tagged, or the watch's query in
    watches.yaml matches it now (a watch added today has past mentions tagged before it existed)."""
    from pipeline.query.match import MentionView
    from pipeline.watches import Watches, WatchesError

    try:
        compiled = next((w for w in Watches.load(settings.watches_file).watches if w.name == watch), None)
    except WatchesError:
        compiled = None

    def belongs(document: dict) -> bool:
        if watch in (document.get("watch") or ()):
            return True
        return compiled is not None and compiled.matches(MentionView(document))

    return belongs


def count_kafka_log(settings: Settings, watch: str, counter: HistoryCounter, topic: str = ENRICHED,
                    timeout: float = 30.0) -> tuple[int, int]:
    """Add the watch's mentions on ``topic``, from its earliest offset to its end now, to ``counter``;
    returns (records read, mentions of the watch counted). A record that is not a mention is skipped."""
    from kafka import KafkaConsumer, TopicPartition

    belongs = _watch_matcher(settings, watch)
    name = settings.topic(topic)
    consumer = KafkaConsumer(**kafka_connection_options(settings), group_id=None, enable_auto_commit=False,
                             consumer_timeout_ms=int(timeout * 1000))
    try:
        partitions = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())]
        if not partitions:
            return 0, 0
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > consumer.position(tp)}
        read = counted = 0
        for message in consumer:
            tp = TopicPartition(message.topic, message.partition)
            if message.offset < ends[tp]:
                read += 1
                try:
                    document = orjson.loads(message.value)
                    if isinstance(document, dict) and "created_at" in document and belongs(document):
                        count_document(document, counter)
                        counted += 1
                except (ValueError, BackfillError, TypeError):
                    pass  # not a mention (the tag stage dead-letters those); the history does without it
            if message.offset + 1 >= ends[tp]:
                remaining.discard(tp)
            if not remaining:
                break
        return read, counted
    finally:
        consumer.close()


def _show_progress(read: StreamRead) -> None:
    stream = read.stream
    oldest = read.oldest.isoformat(timespec="minutes") if read.oldest else "none yet"
    typer.echo(f"  {stream.source} {stream.name}: page {read.pages}, {read.items} item(s), {read.kept} mention(s) "
               f"of the watch, oldest reached {oldest}", err=True)


async def read_sources(settings: Settings, watch: str, sources: list[str], since: datetime, now: datetime,
                       max_pages: int = DEFAULT_MAX_PAGES, progress=_show_progress, http=None) -> list[SourceRead]:
    """Read ``watch``'s mentions of each source back to ``since`` (pipeline/trends/backfill_sources.py).
    Raises ValueError (watches.yaml, the watch, a source the watch does not follow) or BackfillSourceError."""
    from pipeline.sources.http import PoliteClient
    from pipeline.trends.backfill_sources import plan_streams, read_back, source_specs, watch_matcher
    from pipeline.watches import Watches

    watches = Watches.load(settings.watches_file)
    compiled = next((w for w in watches.watches if w.name == watch), None)
    if compiled is None:
        raise ValueError(f"no watch {watch!r} in {settings.watches_file} "
                         f"(watches: {', '.join(w.name for w in watches.watches) or 'none'})")
    belongs = watch_matcher(watches, compiled)
    client = http or PoliteClient.from_settings(settings)
    try:
        reads = []
        for source in sources:
            streams = plan_streams(source, compiled, source_specs(watches, compiled, source), settings, watches,
                                   client, since)
            if not streams:
                typer.echo(f"veille backfill: {source}: nothing to read for {watch} (no keyword to search it by"
                           f"{'; Mastodon search needs VEILLE_MASTODON_ACCESS_TOKEN' if source == 'mastodon' else ''})",
                           err=True)
                continue
            typer.echo(f"{source}: reading {len(streams)} stream(s) back to {since.isoformat(timespec='minutes')}",
                       err=True)
            reads.append(await read_back(client, streams, since, belongs, max_pages, now, progress))
        return reads
    finally:
        if http is None:
            await client.aclose()


def count_sources(reads: list[SourceRead], watch: str, counter: HistoryCounter, tagger) -> tuple[int, datetime | None]:
    """Tag and count the mentions read back, from the time every stream is complete from (rounded up to an
    interval; zeros from there). Returns (mentions counted, where the counted history starts)."""
    from pipeline.trends.backfill_sources import count_mentions, mark_complete_from

    read = [r for r in reads if r.streams]
    if not read:
        return 0, None
    start = mark_complete_from(counter, max(r.complete_from for r in read))
    return sum(count_mentions(r.mentions, watch, counter, tagger, start) for r in read), start


async def _send(settings: Settings, history: BackfillHistory) -> None:
    key, value = history.record()
    async with KafkaRecordSink(settings) as sink:
        await sink.send(settings.topic(BACKFILL_TOPIC), value, key)


@app.command("backfill")
def backfill_command(
    watch: str = typer.Argument(..., help="the watch whose baselines to learn"),
    csv_file: Path = typer.Option(None, "--csv", exists=True, dir_okay=False,
                                  help="CSV of past counts (timestamp,volume,negative,complaint,troll) or of past "
                                       "mentions (timestamp,sentiment,categories)"),
    kafka: bool = typer.Option(False, "--kafka", help="count the watch's mentions in the Kafka log (mentions.enriched, "
                                                      "from its earliest offset)"),
    interval: int = typer.Option(0, min=0, help="seconds per count (0: the crisis interval, VEILLE_CRISIS_INTERVAL_SECONDS); "
                                               "a CSV row adds its counts to the interval its timestamp is in"),
    source: list[str] = typer.Option(None, "--source", help=f"read the watch's past mentions from a source that can "
                                      f"({'|'.join(BACKFILL_SOURCES)}; repeat for several: they are counted together)"),
    days: int = typer.Option(DEFAULT_DAYS, "--days", min=1, max=MAX_DAYS, help="days to read back with --source"),
    max_pages: int = typer.Option(DEFAULT_MAX_PAGES, "--max-pages", min=1,
                                  help="pages read at most per stream (a hashtag, a search, a feed) with --source"),
    dry_run: bool = typer.Option(False, "--dry-run", help="count and print, send nothing"),
) -> None:
    """Learn WATCH's crisis baselines from history and send them to the crisis agent (topic watch.backfill).

    The agent keeps only the intervals older than the first one it counted itself: running this twice, or on
    history that overlaps the live stream, never counts an interval twice."""
    source = list(dict.fromkeys(source or ()))
    unknown = [s for s in source if s not in BACKFILL_SOURCES]
    if unknown:
        typer.echo(f"veille backfill: --source {unknown[0]}: cannot read the past of it "
                   f"(those that can: {', '.join(BACKFILL_SOURCES)})", err=True)
        raise typer.Exit(2)
    if csv_file is None and not kafka and not source:
        typer.echo(f"veille backfill: give --csv FILE, --kafka and/or --source {'|'.join(BACKFILL_SOURCES)}", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    counter = HistoryCounter(interval or settings.crisis.interval_seconds)
    sources = []
    if csv_file is not None:
        try:
            with csv_file.open(newline="", encoding="utf-8-sig") as handle:
                kind = count_csv(handle, counter)
        except (BackfillError, UnicodeDecodeError) as exc:
            typer.echo(f"veille backfill: {csv_file}: {exc}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            typer.echo(f"veille backfill: cannot read {csv_file}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from None
        sources.append(f"csv of {kind} {csv_file.name}")
    now = None
    if kafka:
        now = datetime.now(UTC)
        read, counted = count_kafka_log(settings, watch, counter)
        typer.echo(f"read {read} record(s) of {settings.topic(ENRICHED)}: {counted} mention(s) of {watch}")
        sources.append(f"kafka log {settings.topic(ENRICHED)}")
    if source:
        from pipeline.tagging import get_tagger
        from pipeline.trends.backfill_sources import BackfillSourceError

        since, now = window(days, now or utc_now())
        try:
            reads = asyncio.run(read_sources(settings, watch, source, since, now, max_pages))
        except BackfillSourceError as exc:
            typer.echo(f"veille backfill: {exc}", err=True)
            raise typer.Exit(1) from None
        except ValueError as exc:  # watches.yaml, the watch, a source it does not follow
            typer.echo(f"veille backfill: {exc}", err=True)
            raise typer.Exit(2) from None
        for read in reads:
            for stream in read.streams:
                typer.echo(f"  {stream.stream.source} {stream.stream.name}: {stream.pages} page(s), {stream.kept} "
                           f"mention(s) of {watch}; stopped at {stream.ended}; complete from "
                           f"{stream.complete_from.isoformat(timespec='minutes')}", err=True)
        counted, start = count_sources(reads, watch, counter, get_tagger())
        if start is not None:
            dropped = sum(len(r.mentions) for r in reads) - counted
            typer.echo(f"{', '.join(source)}: {sum(r.pages for r in reads)} page(s), {counted} mention(s) of {watch} "
                       f"counted from {start.isoformat(timespec='minutes')}"
                       + (f" ({dropped} older dropped: not every stream reached back that far)" if dropped else ""))
            if not counted:
                typer.echo(f"veille backfill: no mention of {watch} in what {', '.join(source)} gave back: its history "
                           f"from there is zeros (a quiet watch; check its keywords if it should not be)", err=True)
            sources.append(f"{'+'.join(source)} since {start.isoformat(timespec='minutes')}")
    history = counter.history(watch, until=now, source=" + ".join(sources))
    if history is None:
        typer.echo(f"veille backfill: no history of {watch} found; nothing sent", err=True)
        raise typer.Exit(1)
    start, end = (datetime.fromtimestamp(s, UTC).isoformat() for s in (history.start, history.end))
    totals = ", ".join(f"{series.removesuffix('_spike')} {sum(values)}" for series, values in history.counts.items())
    typer.echo(f"{watch}: {history.intervals} interval(s) of {history.interval} s from {start} to {end} ({totals})")
    if dry_run:
        return
    asyncio.run(_send(settings, history))
    typer.echo(f"sent to {settings.topic(BACKFILL_TOPIC)} ({len(history.record()[1]):,} bytes); the crisis agent learns "
               f"the intervals older than those it has counted itself")
