"""``veille authors WATCH --since 7d``: the watch's top authors by reach or engagement, and the share of its
mentions from likely fake or automated accounts."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import orjson
import typer

from pipeline.cli import app
from pipeline.periods import PeriodError, parse_period


def format_authors(watch: str, label: str, by: str, authors, share) -> str:
    lines = [f"{watch}, {label}: top authors by {by}; {share.likely_fake} of {share.mentions} mentions "
             f"({share.share:.1%}) from likely fake or automated accounts",
             f"{'author':<32} {'platform':<10} {'mentions':>8} {'reach':>10} {'interactions':>12} {'fake':>5}"]
    for author in authors:
        lines.append(f"{author.name[:32]:<32} {author.platform[:10]:<10} {author.mentions:>8} {author.reach:>10} "
                     f"{author.interactions:>12} {author.likely_fake:>5}")
    if not authors:
        lines.append("(no mentions in this period)")
    return "\n".join(lines)


@app.command("authors")
def authors_command(
    watch: str = typer.Argument(..., help="the watch (e.g. Aquarelle)"),
    since: str = typer.Option("7d", help="start of the period: 24h, 8d, 2w, a date, or 'all' (the first mention)"),
    until: str = typer.Option("now", help="end of the period: same forms as --since, but not 'all'"),
    by: str = typer.Option("reach", help="rank by 'reach' (followers summed over their mentions) or 'engagement'"),
    limit: int = typer.Option(20, min=1, max=500, help="how many authors"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """The watch's top authors (mentions, reach, interactions, mentions from a likely fake account)."""
    from pipeline.authors import queries, service
    from pipeline.settings import get_settings
    from pipeline.sinks.elasticsearch import make_client

    if by not in queries.RANKINGS:
        raise typer.BadParameter(f"one of {', '.join(queries.RANKINGS)}", param_hint="--by")
    try:
        period = parse_period(since, until, datetime.now(UTC))
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None
    window = {"lte": period.until.isoformat(), **({"gte": period.since.isoformat()} if period.since else {})}
    query = {"bool": {"filter": [{"term": {"watch": watch}}, {"range": {"created_at": window}}]}}
    settings = get_settings()
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)

    async def run():
        async with make_client(settings) as client:
            authors = await service.top_authors(client, settings.mentions_index, query, by, limit)
            share, _ = await service.fake_share(client, settings.mentions_index, query)
            return authors, share

    authors, share = asyncio.run(run())
    if as_json:
        typer.echo(orjson.dumps({"watch": watch, "since": period.since.isoformat() if period.since else None,
                                 "until": period.until.isoformat(), "by": by,
                                 "authors": [a.to_json() for a in authors], "likely_fake": share.to_json()}).decode())
    else:
        typer.echo(format_authors(watch, period.label, by, authors, share))
