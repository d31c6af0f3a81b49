"""Sending a report by e-mail with an alert channel's SMTP settings, and the times of a scheduled report.

The SMTP server, port, security, login and sender are those of an ``email`` channel of ``alerting.yaml``
(``--channel NAME``, else the first one); the recipients are ``--email`` when given, else the channel's
``to``. Only that channel's password variable has to be set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from pipeline.alerts.routing import AlertingConfig, AlertingConfigError, EmailChannelConfig, resolve_channels

MEDIA_TYPES = {"pdf": ("application", "pdf"), "html": ("text", "html")}


class ReportDeliveryError(ValueError):
    """The report cannot be sent: no e-mail channel, an unknown one, or a missing secret."""


def report_filename(watch: str, until: datetime, fmt: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in watch).strip("-") or "watch"
    return f"veille-report-{safe}-{until:%Y%m%d}.{fmt}"


def report_message(subject: str, body: str, attachment: bytes, filename: str, fmt: str, sender: str,
                   to: Sequence[str]) -> EmailMessage:
    """A plain-text message with the report attached."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content(body + "\n")
    maintype, subtype = MEDIA_TYPES[fmt]
    message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return message


def email_channel(config: AlertingConfig, name: str | None = None) -> tuple[str, EmailChannelConfig]:
    """The named ``email`` channel of ``config``, or its first one."""
    emails = {key: channel for key, channel in config.channels.items() if channel.type == "email"}
    if name is not None:
        if name not in emails:
            raise ReportDeliveryError(f"no e-mail channel {name!r} in the alert routing file; e-mail channels: "
                                      f"{', '.join(emails) or 'none'}")
        return name, emails[name]
    if not emails:
        raise ReportDeliveryError("the alert routing file has no e-mail channel (type: email) to send reports with")
    return next(iter(emails.items()))


@dataclass(frozen=True, slots=True)
class ReportMailer:
    """The e-mail channel that sends reports, its sender and the recipients."""

    channel: Any  # pipeline.alerts.channels.EmailChannel
    sender: str
    to: list[str]

    async def send(self, message: EmailMessage) -> None:
        """Raises :class:`pipeline.alerts.channels.DeliveryError` when the SMTP server refuses or is unreachable."""
        await self.channel.send_message(message)


def report_mailer(config: AlertingConfig, name: str | None, environ: Mapping[str, str],
                  to: Sequence[str] = ()) -> ReportMailer:
    """The mailer of channel ``name`` (or the first e-mail channel), its password read from ``environ``;
    recipients ``to``, else the channel's own."""
    from pipeline.alerts.channels import EmailChannel

    name, channel = email_channel(config, name)
    try:
        resolved = resolve_channels(AlertingConfig(channels={name: channel}), environ)[name]
    except AlertingConfigError as exc:
        raise ReportDeliveryError(str(exc)) from None
    password = resolved.password.get_secret_value() if resolved.password else None
    return ReportMailer(EmailChannel(name, channel, password), channel.sender, list(to) or list(channel.to))


def next_run(now: datetime, every: timedelta, first: datetime | None = None) -> datetime:
    """When a report sent every ``every`` from ``first`` (now when None) is next due, at or after ``now``."""
    if every <= timedelta(0):
        raise ValueError("the interval between reports must be positive")
    if first is None or first >= now:
        return first or now
    missed = -(-(now - first) // every)  # whole intervals since first, rounded up
    return first + missed * every
