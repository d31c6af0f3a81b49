"""``veille demo``: the whole pipeline on this machine, from nothing to searchable mentions.

Starts the embedded stack (unless VEILLE_KAFKA_BROKERS / VEILLE_ELASTICSEARCH_URL point elsewhere),
creates topics and index templates, starts the agents in the background, replays the bundled sample
stream (and a few malformed records, to show the dead-letter topic), waits until every valid mention
is searchable and prints where to look and how to stop.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer

from pipeline.cli import app
from pipeline.commands.replay import replay
from pipeline.commands.worker import initialise
from pipeline.kafka_tools import end_offsets, read_topic
from pipeline.settings import PROJECT_ROOT, Settings, get_settings
from pipeline.sinks.elasticsearch import make_client
from pipeline.stack import EmbeddedStack, StackError, agents_process, tail
from pipeline.topics import DEADLETTER

SAMPLE = PROJECT_ROOT / "data" / "sample" / "mentions.jsonl"  # committed; written by python -m tools.sample.generate
MALFORMED = PROJECT_ROOT / "data" / "sample" / "malformed.jsonl"


def uses_embedded_stack(settings: Settings) -> bool:
    stack = EmbeddedStack(settings)
    return settings.kafka.brokers == stack.kafka_address and settings.elasticsearch.url.rstrip("/") == stack.es_url


def sample_ids(path: Path) -> set[str]:
    ids = set()
    with open(path, "rb") as handle:
        for line in handle:
            ids.add(orjson.loads(line)["id"])
    return ids


async def count_indexed(settings: Settings, ids: set[str], since: datetime | None = None) -> int:
    """How many of ``ids`` are searchable, counting only those indexed at or after ``since`` when it is given
    (a rerun on the same data directory finds the previous run's documents under the same ids)."""
    client = make_client(settings)
    try:
        await client.indices.refresh(index=settings.mentions_index)
        found = 0
        id_list = sorted(ids)
        for start in range(0, len(id_list), 1000):
            query: dict = {"ids": {"values": id_list[start:start + 1000]}}
            if since is not None:
                query = {"bool": {"filter": [query, {"range": {"indexed_at": {"gte": since.isoformat()}}}]}}
            response = await client.count(index=settings.mentions_index, query=query)
            found += response["count"]
        return found
    finally:
        await client.close()


def dead_letter_total(settings: Settings) -> int:
    return sum(asyncio.run(end_offsets(settings, settings.topic(DEADLETTER))).values())


async def summary(settings: Settings) -> dict:
    client = make_client(settings)
    try:
        aggs = {name: {"terms": {"field": name, "size": 12}} for name in ("categories", "sentiment", "lang", "watch")}
        response = await client.search(index=settings.mentions_index, size=0, aggs=aggs, track_total_hits=True)
        urgent = await client.search(
            index=settings.mentions_index, size=3, query={"term": {"categories": "complaint"}},
            sort=[{"reply_by": {"order": "asc", "unmapped_type": "date"}}], source=["id", "text", "reply_by", "action"])
    finally:
        await client.close()
    return {
        "total": response["hits"]["total"]["value"],
        **{name: {b["key"]: b["doc_count"] for b in response["aggregations"][name]["buckets"]} for name in aggs},
        "urgent": [hit["_source"] for hit in urgent["hits"]["hits"]],
    }


@app.command("demo")
def demo_command(
    rate: float = typer.Option(1000, help="replay rate, mentions per second (0: as fast as possible)"),
    timeout: float = typer.Option(300, help="seconds to wait for every mention to become searchable"),
) -> None:
    """Run the whole pipeline on the bundled sample stream and leave it running for you to explore."""
    settings = get_settings()
    embedded = uses_embedded_stack(settings)
    typer.secho("1/5 stack", bold=True)
    if embedded:
        try:
            EmbeddedStack(settings).up()
        except StackError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"    Kafka {settings.kafka.brokers} · Elasticsearch {settings.elasticsearch.url}"
               f"{'' if embedded else ' (external)'}")

    typer.secho("2/5 topics and index templates", bold=True)
    initialise(settings)

    typer.secho("3/5 agents", bold=True)
    agents = agents_process(settings)
    pid = agents.start([sys.executable, "-m", "pipeline", "worker"])
    typer.echo(f"    worker pid {pid}, log {agents.log_file}")

    typer.secho("4/5 replaying the sample stream", bold=True)
    dead_before = dead_letter_total(settings)
    replay_started = datetime.now(UTC)
    # whole days: the sample keeps its time of day, so every run raises the same alerts (paced.rebase_offset)
    stats = asyncio.run(replay(SAMPLE, rate or None, rebase=True, limit=None, keep_time_of_day=True))
    bad = asyncio.run(replay(MALFORMED, None, rebase=False, limit=None, quiet=True))
    typer.echo(f"    sent {stats.sent} mentions at {stats.rate:.0f}/s and {bad.sent} malformed records")

    typer.secho("5/5 waiting until every mention is searchable", bold=True)
    ids = sample_ids(SAMPLE)
    started = time.monotonic()
    indexed = dead_letters = 0
    while time.monotonic() - started < timeout:
        indexed = asyncio.run(count_indexed(settings, ids, since=replay_started))
        dead_letters = dead_letter_total(settings) - dead_before
        typer.echo(f"    searchable {indexed}/{len(ids)}, dead letters {dead_letters}/{bad.sent}", err=True)
        if indexed >= len(ids) and dead_letters >= bad.sent:
            break
        if agents.pid() is None:
            typer.secho(f"error: the agents' worker stopped. Last lines of {agents.log_file}:\n{tail(agents.log_file)}",
                        fg="red", err=True)
            raise typer.Exit(1)
        time.sleep(2)
    else:
        typer.secho(f"error: after {timeout:.0f}s only {indexed}/{len(ids)} mentions searchable and "
                    f"{dead_letters}/{bad.sent} malformed records in the dead-letter topic; see {agents.log_file}",
                    fg="red", err=True)
        raise typer.Exit(1)
    elapsed = time.monotonic() - started
    letters = asyncio.run(read_topic(settings, settings.topic(DEADLETTER)))[-3:]

    facts = asyncio.run(summary(settings))
    typer.echo("")
    typer.secho(f"{indexed} mentions searchable ({elapsed:.0f}s after the replay ended); "
                f"{dead_letters} records in the dead-letter topic.", fg="green", bold=True)
    for name in ("watch", "lang", "sentiment", "categories"):
        typer.echo(f"  {name:<11} " + ", ".join(f"{k} {v}" for k, v in facts[name].items()))
    if facts["urgent"]:
        typer.echo("  complaints to answer first:")
        for mention in facts["urgent"]:
            typer.echo(f"    [{mention.get('reply_by') or 'no deadline'}] {mention['id']}: {mention['text'][:90]}")
    alerts, trends = _alerts_and_trends(settings)
    typer.echo(f"  crisis alerts raised by the crisis agent: {len(alerts)}")
    for alert in alerts[:5]:
        state = alert.state.value + (f" by {alert.resolved_by}" if alert.resolved_by else "")
        typer.echo(f"    [{alert.severity.value}, {state}] {alert.id}: {alert.title}")
        typer.echo(f"      {alert.explanation[:220]}")
    typer.echo(f"  trend events from the trending agent: {trends}")
    if letters:
        typer.echo("  latest dead letters:")
        for record in letters:
            letter = orjson.loads(record.value)
            typer.echo(f"    offset {record.offset}: {letter['reason'][:110]}")
    index = f"{settings.elasticsearch.url.rstrip('/')}/{settings.mentions_index}"
    veille = _veille_command()
    from pipeline.commands.web import start_in_background, web_url

    try:
        start_in_background(settings)
        web = f"  {web_url(settings)}    (the web app: overview, crisis alerts, inbox, competitors)\n"
    except RuntimeError as exc:
        typer.secho(f"warning: the web app did not start: {exc}", fg="yellow", err=True)
        web = ""
    typer.echo(f"""
Where to look:
{web}  {veille} alerts list                           (crisis alerts with their explanation; then: alerts ack ID)
  {veille} search 'category:complaint lang:fr'     (search the mentions; README: the query language)
  curl '{index}/_search?q=categories:complaint&size=3&pretty'
  {veille} agents log                              (the agents' log)
  {veille} replay data/sample/mentions.jsonl --rebase --keep-time-of-day --rate 200   (again: no duplicates)
How to stop:
  {veille} stack down      (stops the web app, the agents, the broker and Elasticsearch; data stays in {settings.data_dir})
""")


def _alerts_and_trends(settings, wait: float = 90.0, settled: float = 15.0):
    """The alerts and the number of trend events, once the crisis and trending agents have gone through the burst:
    the first alerts and trends are there and the alerts have not changed for ``settled`` seconds (the crisis agent
    assesses the last ticks only once every partition has been idle for a while, so a second alert can come later)."""
    from pipeline.alerts.store import AlertStore, trends_index
    from pipeline.sinks.elasticsearch import make_client

    async def fetch():
        client = make_client(settings)
        try:
            alerts = await AlertStore(client, settings).list(size=20, active_only=False)
            try:
                trends = (await client.count(index=trends_index(settings)))["count"]
            except Exception:
                trends = 0
            return alerts, trends
        finally:
            await client.close()

    def listed(alerts) -> list[tuple]:
        return sorted((alert.id, alert.severity.value, alert.state.value) for alert in alerts)

    deadline = time.monotonic() + wait
    alerts, trends = asyncio.run(fetch())
    changed_at = time.monotonic()
    while time.monotonic() < deadline:
        if alerts and trends and time.monotonic() - changed_at >= settled:
            break
        time.sleep(2)
        before = listed(alerts)
        alerts, trends = asyncio.run(fetch())
        if listed(alerts) != before:
            changed_at = time.monotonic()
    return alerts, trends


def _veille_command() -> str:
    """How to call ``veille`` from here: plain when the virtualenv is active, else its path."""
    executable = Path(sys.executable).with_name("veille")
    try:
        relative = executable.relative_to(Path.cwd())
    except ValueError:
        return str(executable)
    on_path = str(executable.parent) in os.environ.get("PATH", "").split(os.pathsep)
    return "veille" if on_path else f"./{relative}"
