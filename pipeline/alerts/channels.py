"""Delivery channels: Slack incoming webhook, signed JSON webhook, e-mail (SMTP) and a Kafka topic.

Each channel has a pure function that renders the alert (:func:`slack_payload`, :func:`webhook_body`,
:func:`email_message`, :func:`kafka_record`) and a small class whose ``send`` does the I/O once and
raises :class:`DeliveryError` on failure, saying whether a retry may help and after how long
(``Retry-After``). Retrying is :mod:`pipeline.alerts.delivery`'s job, not the channels'.

Webhook receivers check ``X-Veille-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body with the
shared secret (:func:`verify_signature`); the body carries ``sent_at``, equal to the
``X-Veille-Timestamp`` header, so a receiver can also refuse old replays.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

import httpx
import orjson

from pipeline.alerts.model import Alert
from pipeline.alerts.routing import EmailChannelConfig, ResolvedChannel
from pipeline.timestamps import parse_retry_after

SIGNATURE_HEADER = "X-Veille-Signature"
TIMESTAMP_HEADER = "X-Veille-Timestamp"
DELIVERY_HEADER = "X-Veille-Delivery"
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRYABLE_STATUSES = RETRY_AFTER_STATUSES | {500, 502, 504}
SLACK_HEADER_LIMIT = 150
SLACK_TEXT_LIMIT = 3000

KafkaSend = Callable[[str, bytes, bytes], Awaitable[object]]
"""``send(topic, key, value)``: how the Kafka channel publishes; the caller wires its producer."""


class DeliveryError(Exception):
    """One failed delivery attempt. ``retryable``: may a later try succeed? ``retry_after``: seconds asked."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.attempts = 0  # set by the retry loop when it gives up


class Channel(Protocol):
    name: str

    async def send(self, alert: Alert, delivery_id: str) -> None: ...


def check_response(response: httpx.Response, now: datetime) -> None:
    """Raise :class:`DeliveryError` unless ``response`` is a success (the body is never in the message)."""
    if response.is_success:
        return
    status = response.status_code
    retry_after = (parse_retry_after(response.headers.get("Retry-After"), now.timestamp())
                   if status in RETRY_AFTER_STATUSES else None)
    raise DeliveryError(f"HTTP {status} {response.reason_phrase}", retryable=status in RETRYABLE_STATUSES,
                        retry_after=retry_after)


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of an ``X-Veille-Signature`` header against the raw body."""
    return header is not None and hmac.compare_digest(sign_body(secret, body), header.strip())


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def headline(alert: Alert) -> str:
    event = {"opened": "New", "reopened": "Re-opened", "escalated": "Escalated", "reminded": "Still going"}
    prefix = event.get(alert.last_event, alert.last_event.capitalize())
    return f"[{alert.severity.value.upper()}] {prefix}: {alert.title}"


def summary_lines(alert: Alert) -> list[str]:
    lines = [
        f"Watch: {alert.watch}   Kind: {alert.kind}   State: {alert.state.value}",
        f"Observed: {_fmt(alert.observed)}   Baseline: {_fmt(alert.baseline)}   Score: {_fmt(alert.score)}",
    ]
    if alert.verdict:
        lines.append(f"Verdict: {alert.verdict.replace('_', ' ')}")
    if alert.top_terms:
        lines.append("Top terms: " + ", ".join(alert.top_terms))
    if alert.sample_ids:
        lines.append("Sample mentions: " + ", ".join(alert.sample_ids[:5]))
    lines.append(f"Alert: {alert.id} (opened {alert.opened_at:%Y-%m-%d %H:%M} UTC, {alert.update_count} updates)")
    return lines


def slack_payload(alert: Alert) -> dict:
    """Incoming-webhook JSON: ``text`` as the notification fallback, ``blocks`` for the message."""
    title = headline(alert)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, SLACK_HEADER_LIMIT)}},
    ]
    if alert.explanation:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(_slack_escape(alert.explanation), SLACK_TEXT_LIMIT)}})
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(_slack_escape("\n".join(summary_lines(alert))), SLACK_TEXT_LIMIT)}})
    return {"text": _cut(_slack_escape(title), SLACK_TEXT_LIMIT), "blocks": blocks}


def webhook_body(alert: Alert, sent_at: int) -> bytes:
    return orjson.dumps({"event": alert.last_event, "sent_at": sent_at, "alert": alert.model_dump(mode="json")})


def email_message(alert: Alert, sender: str, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = headline(alert)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["X-Veille-Alert"] = alert.id
    body = [alert.explanation, ""] if alert.explanation else []
    message.set_content("\n".join([*body, *summary_lines(alert)]) + "\n")
    return message


def kafka_record(alert: Alert) -> tuple[bytes, bytes]:
    """(key, value) for the compacted ``alerts`` topic: keyed by dedup key, the latest state wins."""
    return alert.dedup_key.encode(), orjson.dumps(alert.model_dump(mode="json"))


async def _post(client: httpx.AsyncClient, url: str, content: bytes, headers: Mapping[str, str], timeout: float) -> None:
    try:
        response = await client.post(url, content=content, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        raise DeliveryError("timed out", retryable=True) from None
    except httpx.TransportError as exc:
        # the exception text can hold the URL, which is a secret for Slack: keep only its type
        raise DeliveryError(f"cannot connect ({type(exc).__name__})", retryable=True) from None
    check_response(response, datetime.now(UTC))


class SlackChannel:
    def __init__(self, name: str, url: str, client: httpx.AsyncClient, timeout: float = 10.0):
        self.name, self._url, self._client, self._timeout = name, url, client, timeout

    async def send(self, alert: Alert, delivery_id: str) -> None:
        body = orjson.dumps(slack_payload(alert))
        await _post(self._client, self._url, body, {"Content-Type": "application/json"}, self._timeout)


class WebhookChannel:
    def __init__(self, name: str, url: str, secret: str, client: httpx.AsyncClient, timeout: float = 10.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.name, self._url, self._secret, self._client, self._timeout, self._clock = name, url, secret, client, timeout, clock

    async def send(self, alert: Alert, delivery_id: str) -> None:
        sent_at = int(self._clock().timestamp())
        body = webhook_body(alert, sent_at)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(self._secret, body),
            TIMESTAMP_HEADER: str(sent_at),
            DELIVERY_HEADER: delivery_id,
        }
        await _post(self._client, self._url, body, headers, self._timeout)


class EmailChannel:
    """SMTP with STARTTLS (port 587), implicit TLS (465) or none (a local relay); login when a user is set."""

    def __init__(self, name: str, config: EmailChannelConfig, password: str | None = None):
        self.name, self._config, self._password = name, config, password

    async def send(self, alert: Alert, delivery_id: str) -> None:
        message = email_message(alert, self._config.sender, self._config.to)
        message["X-Veille-Delivery"] = delivery_id
        await self.send_message(message)

    async def send_message(self, message: EmailMessage) -> None:
        """Send any message (a client report too) with this channel's SMTP settings; :class:`DeliveryError`."""
        await asyncio.to_thread(self._send_blocking, message)

    def _send_blocking(self, message: EmailMessage) -> None:
        config = self._config
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        try:
            if config.security == "tls":
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with smtp:
                if config.security == "starttls":
                    smtp.starttls(context=context)
                if config.username:
                    smtp.login(config.username, self._password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("every recipient was refused", retryable=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused ({exc.smtp_code})", retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP error {exc.smtp_code}", retryable=400 <= exc.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP connection failed ({type(exc).__name__})", retryable=True) from None


class KafkaChannel:
    def __init__(self, name: str, topic: str, send: KafkaSend):
        self.name, self._topic, self._send = name, topic, send

    async def send(self, alert: Alert, delivery_id: str) -> None:
        key, value = kafka_record(alert)
        try:
            await self._send(self._topic, key, value)
        except Exception as exc:
            raise DeliveryError(f"Kafka send failed ({type(exc).__name__})", retryable=True) from None


def build_channels(resolved: Mapping[str, ResolvedChannel], client: httpx.AsyncClient,
                   kafka_send: KafkaSend | None = None) -> dict[str, Channel]:
    """Channel objects for the resolved configuration. Kafka channels need ``kafka_send``."""
    channels: dict[str, Channel] = {}
    for name, channel in resolved.items():
        config = channel.config
        if config.type == "slack":
            channels[name] = SlackChannel(name, channel.url.get_secret_value(), client, config.timeout)
        elif config.type == "webhook":
            channels[name] = WebhookChannel(name, channel.url.get_secret_value(), channel.secret.get_secret_value(),
                                            client, config.timeout)
        elif config.type == "email":
            password = channel.password.get_secret_value() if channel.password else None
            channels[name] = EmailChannel(name, config, password)
        elif config.type == "kafka":
            if kafka_send is None:
                raise ValueError(f"channel {name} is a Kafka channel: pass kafka_send")
            channels[name] = KafkaChannel(name, config.topic, kafka_send)
    return channels
