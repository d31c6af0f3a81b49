"""Channel payloads, webhook signing and HTTP error classification (no network)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from pipeline.alerts.channels import (
    DeliveryError,
    KafkaChannel,
    check_response,
    email_message,
    kafka_record,
    sign_body,
    slack_payload,
    verify_signature,
    webhook_body,
)
from pipeline.alerts.model import Detection, apply_detection

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def sample_alert(**changes):
    fields = dict(watch="acme", kind="troll_spike", severity="critical", title="Troll mentions of acme <surge> & spread",
                  explanation="Looks like a coordinated raid (copy-paste).", top_terms=["scam", "boycott"],
                  sample_ids=["twitter:1"], baseline=3.0, observed=90.0, score=11.2, verdict="troll_raid")
    alert, _, _ = apply_detection(None, Detection(**{**fields, **changes}), NOW, timedelta(hours=1))
    return alert


def test_alerts_channels_signature_is_hmac_sha256_of_raw_body():
    body = webhook_body(sample_alert(), sent_at=1_777_000_000)
    header = sign_body("topsecret", body)
    assert header == "sha256=" + hmac.new(b"topsecret", body, hashlib.sha256).hexdigest()
    assert verify_signature("topsecret", body, header)
    assert not verify_signature("topsecret", body + b" ", header)
    assert not verify_signature("other", body, header)
    assert not verify_signature("topsecret", body, None)


def test_alerts_channels_webhook_body_carries_event_time_and_alert():
    alert = sample_alert()
    decoded = orjson.loads(webhook_body(alert, sent_at=1_777_000_000))
    assert decoded["event"] == "opened" and decoded["sent_at"] == 1_777_000_000
    assert decoded["alert"]["id"] == alert.id and decoded["alert"]["verdict"] == "troll_raid"


def test_alerts_channels_slack_payload_has_fallback_text_and_escaped_blocks():
    payload = slack_payload(sample_alert())
    assert payload["text"].startswith("[CRITICAL] New: Troll mentions of acme &lt;surge&gt; &amp; spread")
    assert payload["blocks"][0]["type"] == "header"
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    body = payload["blocks"][-1]["text"]["text"]
    assert "Verdict: troll raid" in body and "scam, boycott" in body


def test_alerts_channels_slack_header_is_cut_to_slack_limit():
    payload = slack_payload(sample_alert(title="x" * 400))
    assert len(payload["blocks"][0]["text"]["text"]) == 150


def test_alerts_channels_email_message_subject_and_body():
    alert = sample_alert()
    message = email_message(alert, "veille@example.org", ["a@example.org", "b@example.org"])
    assert message["Subject"].startswith("[CRITICAL] New:") and message["To"] == "a@example.org, b@example.org"
    assert "coordinated raid" in message.get_content() and alert.id in message.get_content()


@pytest.mark.parametrize("status, headers, retryable, retry_after", [
    (429, {"Retry-After": "7"}, True, 7.0),
    (503, {}, True, None),
    (502, {"Retry-After": "7"}, True, None),
    (404, {}, False, None),
    (400, {}, False, None),
])
def test_alerts_channels_http_errors_are_classified(status, headers, retryable, retry_after):
    with pytest.raises(DeliveryError) as caught:
        check_response(httpx.Response(status, headers=headers), NOW)
    assert (caught.value.retryable, caught.value.retry_after) == (retryable, retry_after)


def test_alerts_channels_success_passes():
    check_response(httpx.Response(200, text="ok"), NOW)


async def test_alerts_channels_kafka_channel_sends_keyed_by_dedup_key():
    sent = []

    async def send(topic, key, value):
        sent.append((topic, key, value))

    alert = sample_alert()
    await KafkaChannel("topic", "alerts", send).send(alert, "d1")
    assert sent == [("alerts", *kafka_record(alert))]
    assert sent[0][1] == b"troll:acme" and orjson.loads(sent[0][2])["id"] == alert.id


async def test_alerts_channels_kafka_failure_is_retryable():
    async def send(topic, key, value):
        raise ConnectionError("broker down")

    with pytest.raises(DeliveryError) as caught:
        await KafkaChannel("topic", "alerts", send).send(sample_alert(), "d1")
    assert caught.value.retryable
