"""Report delivery as pure functions: the e-mail channel chosen from the alert routing, its secret read
alone, the message with the report attached, and when a scheduled report is next due; the command's
refusals before anything is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from pipeline.alerts.routing import parse_alerting_config
from pipeline.reports.delivery import ReportDeliveryError, email_channel, next_run, report_filename, report_mailer, report_message

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def routing(**extra):
    return parse_alerting_config({"channels": {
        "hook": {"type": "webhook", "url_env": "R_HOOK_URL", "secret_env": "R_HOOK_SECRET"},
        "oncall": {"type": "email", "host": "smtp.example.org", "sender": "alerts@example.org", "to": ["oncall@example.org"]},
        "clients": {"type": "email", "host": "smtp.example.org", "sender": "reports@example.org", "to": ["cm@example.org"],
                    "username": "veille", "password_env": "R_SMTP_PASSWORD", **extra}}})


def test_reports_delivery_picks_the_named_or_first_email_channel():
    assert email_channel(routing())[0] == "oncall"
    assert email_channel(routing(), "clients")[1].sender == "reports@example.org"
    with pytest.raises(ReportDeliveryError, match="e-mail channels: oncall, clients"):
        email_channel(routing(), "hook")
    with pytest.raises(ReportDeliveryError, match="no e-mail channel"):
        email_channel(parse_alerting_config({"channels": {}}))


def test_reports_delivery_reads_only_its_channel_secret():
    mailer = report_mailer(routing(), "clients", {"R_SMTP_PASSWORD": "pw"}, ["boss@example.org"])
    assert mailer.sender == "reports@example.org" and mailer.to == ["boss@example.org"]
    assert report_mailer(routing(), "oncall", {}).to == ["oncall@example.org"]  # the webhook's secrets unset
    with pytest.raises(ReportDeliveryError, match="R_SMTP_PASSWORD"):
        report_mailer(routing(), "clients", {})


def test_reports_delivery_message_carries_the_report():
    message = report_message("Rapport Veille : Aquarelle", "Bonjour", b"%PDF-1.4 test", "r.pdf", "pdf",
                             "reports@example.org", ["a@example.org", "b@example.org"])
    assert message["To"] == "a@example.org, b@example.org" and message["Subject"] == "Rapport Veille : Aquarelle"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == "r.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"
    html = report_message("s", "b", b"<html></html>", "r.html", "html", "x@example.org", ["a@example.org"])
    assert next(html.iter_attachments()).get_content_type() == "text/html"
    assert report_filename("Crème & Co", MONDAY, "pdf") == "veille-report-Crème---Co-20261207.pdf"


def test_reports_delivery_next_run_keeps_the_weekly_slot():
    assert next_run(MONDAY - timedelta(hours=1), WEEK, MONDAY) == MONDAY  # first one ahead: wait for it
    assert next_run(MONDAY + timedelta(days=3), WEEK, MONDAY) == MONDAY + WEEK  # started late: the next Monday
    assert next_run(MONDAY + 2 * WEEK, WEEK, MONDAY) == MONDAY + 2 * WEEK
    assert next_run(MONDAY, WEEK) == MONDAY  # no first time: now
    with pytest.raises(ValueError):
        next_run(MONDAY, timedelta(0))


@pytest.mark.parametrize("args, message", [
    (["--format", "docx"], "pdf or html"),
    (["--lang", "de"], "en, fr"),
    (["--since", "soon"], "soon"),
    (["--every", "2026-12-01"], "not a duration"),
])
def test_reports_command_refuses_bad_options_before_reading_anything(args, message):
    from pipeline.cli import app, load_commands

    load_commands()
    result = CliRunner().invoke(app, ["report", "Aquarelle", *args])
    assert result.exit_code == 2
    assert message in result.output
