"""``veille report WATCH --since 7d --format html|pdf --lang fr|en --out FILE``: the client report; with
``--email TO`` (or ``--send``) sent by e-mail with an alert channel's SMTP settings, and with ``--every 7d``
sent again at that interval (the docker-compose ``report`` service)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import typer

from pipeline.cli import app
from pipeline.periods import PeriodError, parse_period

log = logging.getLogger(__name__)
FORMATS = ("pdf", "html")


def _recipients(values: list[str]) -> list[str]:
    return [address.strip() for value in values for address in value.split(",") if address.strip()]


def _duration(text: str, now: datetime):
    from pipeline.query.search import parse_time_bound

    try:
        start = parse_time_bound(text, now)
    except ValueError:
        start = None
    if start is None or start >= now or text.strip()[-1:].isdigit():
        raise typer.BadParameter(f"{text!r} is not a duration such as 24h, 7d or 2w", param_hint="--every")
    return now - start


@app.command("report")
def report_command(
    watch: str = typer.Argument(..., help="the watch the report is about (e.g. Aquarelle)"),
    since: str = typer.Option("7d", help="start of the period: 24h, 7d, 2w, a date, or 'all' (the first mention)"),
    until: str = typer.Option("now", help="end of the period: same forms as --since, but not 'all'"),
    fmt: str = typer.Option("pdf", "--format", "-f", help="pdf or html"),
    lang: str = typer.Option("en", "--lang", help="the report's language: en or fr"),
    out: Path | None = typer.Option(None, "--out", "--output", "-o",
                                    help="file to write; default veille-report-WATCH-DATE.FORMAT when not e-mailed"),
    against: str | None = typer.Option(None, "--against",
                                       help="competitors, comma-separated; default the watches of kind competitor"),
    email: list[str] = typer.Option([], "--email", help="send it to these addresses (repeat or comma-separate)"),
    send: bool = typer.Option(False, "--send", help="send it to the e-mail channel's own recipients"),
    channel: str | None = typer.Option(None, "--channel", help="the e-mail channel of alerting.yaml (default the first)"),
    every: str | None = typer.Option(None, "--every", help="keep running and send a new report at this interval (7d)"),
    first: str | None = typer.Option(None, "--first",
                                     help="with --every: the date-time of the first report (e.g. 2026-12-07T08:00)"),
) -> None:
    """A report a client reads: volume, reach, impressions, interactions, sentiment and categories over
    time, share of voice against competitors, the period's crises and how they were handled, response times
    beside published figures, top mentions and authors, trending terms.

    Periods are read as ``veille compare`` and ``veille search`` read them.
    """
    from pipeline.alerts.channels import DeliveryError
    from pipeline.alerts.routing import AlertingConfigError, load_alerting_config
    from pipeline.reports.delivery import ReportDeliveryError, report_filename, report_mailer
    from pipeline.reports.view import translator
    from pipeline.settings import get_settings

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise typer.BadParameter(f"format must be pdf or html, not {fmt!r}", param_hint="--format")
    try:
        translator(lang)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--lang") from None
    now = datetime.now(UTC)
    try:
        parse_period(since, until, now)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None
    competitors = None if against is None else [n.strip() for n in against.split(",") if n.strip()]
    recipients = _recipients(email)
    settings = get_settings()
    mailer = None
    if recipients or send:
        try:
            mailer = report_mailer(load_alerting_config(settings.alerting_file), channel, os.environ, recipients)
        except (AlertingConfigError, ReportDeliveryError) as exc:
            typer.echo(f"cannot send the report: {exc}", err=True)
            raise typer.Exit(2) from None
    interval = _duration(every, now) if every else None
    start = _first(first, now) if first else None

    def run_once() -> None:
        moment = datetime.now(UTC)
        period = parse_period(since, until, moment)
        report, document = _make_report(settings, watch, period, moment, competitors, fmt, lang)
        target = out
        if target is None and mailer is None:
            target = Path(report_filename(report.watch, report.until, fmt))
        if target is not None:
            target.write_bytes(document)
            typer.echo(f"wrote {target} ({len(document):,} bytes, {fmt}, {lang})")
        if mailer is not None:
            asyncio.run(mailer.send(_message(mailer, report, document, fmt, lang)))
            typer.echo(f"sent the report of {report.watch} to {', '.join(mailer.to)} "
                       f"through channel {mailer.channel.name}")

    if interval is None:
        try:
            run_once()
        except DeliveryError as exc:
            typer.echo(f"the report was not sent: {exc}", err=True)
            raise typer.Exit(1) from None
        return
    from pipeline.reports.delivery import next_run

    due = next_run(datetime.now(UTC), interval, start)
    while True:
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait > 0:
            typer.echo(f"next report of {watch} at {due:%Y-%m-%d %H:%M} UTC")
            time.sleep(wait)
        try:
            run_once()
        except Exception as exc:  # one failed report (Elasticsearch or SMTP down, typer.Exit) must not stop the schedule
            log.error("report of %s due at %s failed: %s", watch, due.isoformat(), exc)
        due = next_run(datetime.now(UTC), interval, due + interval)


def _first(text: str, now: datetime) -> datetime:
    from pipeline.timestamps import parse_iso

    moment = parse_iso(text)
    if moment is None:
        raise typer.BadParameter(f"{text!r} is not a date-time such as 2026-12-07T08:00", param_hint="--first")
    return moment


def _make_report(settings, watch, period, now, competitors, fmt, lang):
    """(report, rendered bytes); errors a person can act on end the command with one line."""
    from elasticsearch import ApiError

    from pipeline.compare import UnknownWatch
    from pipeline.redact import mask_credentials
    from pipeline.reports.gather import gather_report
    from pipeline.reports.view import present
    from pipeline.sinks.elasticsearch import make_client

    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)

    async def run():
        async with make_client(settings) as client:
            return await gather_report(client, settings, watch, period.since, period.until, now, period.label,
                                       competitors)

    try:
        report = asyncio.run(run())
    except UnknownWatch as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except ApiError as exc:  # unreachable: the CLI's own handler says so (pipeline.cli.unreachable_service_message)
        typer.echo(mask_credentials(f"Elasticsearch refused the report's queries ({exc.meta.status}): {exc.message}"),
                   err=True)
        raise typer.Exit(1) from None
    view = present(report, lang)
    if fmt == "pdf":
        from pipeline.reports.pdf import render_pdf

        return report, render_pdf(view)
    from pipeline.reports.html import render_html

    return report, render_html(view).encode("utf-8")


def _message(mailer, report, document: bytes, fmt: str, lang: str):
    from pipeline.reports.delivery import report_filename, report_message
    from pipeline.reports.view import email_words

    subject, body = email_words(report, lang)
    return report_message(subject, body, document, report_filename(report.watch, report.until, fmt), fmt,
                          mailer.sender, mailer.to)
