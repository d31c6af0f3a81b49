"""Secrets: read from the environment (or the .env file) only, handed to every client that needs them
(aiokafka, kafka-python, Faust, Elasticsearch), and never shown: not in repr, not in logs, not in errors.
Webhook signatures are checked on the raw body with a constant-time comparison."""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl

import certifi
import faust
import pytest

from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import make_client
from pipeline.sinks.kafka import aiokafka_options, kafka_connection_options
from pipeline.stack import free_port
from pipeline.topics import kafka_client_options

KAFKA_SECRET = "kafka-pw-Zq81xx"
ES_SECRET = "es-pw-Wd93yy"
API_KEY = "es-apikey-Pt55zz"


def _secured(**overrides) -> Settings:
    closed = free_port()  # nothing listens there: every connection attempt fails and is logged
    values = dict(
        kafka_brokers=f"127.0.0.1:{closed}", kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_username="veille", kafka_password=KAFKA_SECRET, kafka_ca_file=certifi.where(),
        elasticsearch_url=f"https://127.0.0.1:{closed}", elasticsearch_username="veille",
        elasticsearch_password=ES_SECRET, elasticsearch_ca_file=certifi.where(),
    )
    return Settings(_env_file=None, **{**values, **overrides})


def test_security_settings_never_show_secrets():
    settings = _secured(elasticsearch_api_key=API_KEY)
    shown = " ".join([repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())])
    for secret in (KAFKA_SECRET, ES_SECRET, API_KEY):
        assert secret not in shown


def test_security_settings_read_secrets_from_the_environment(monkeypatch):
    monkeypatch.setenv("VEILLE_KAFKA_PASSWORD", KAFKA_SECRET)
    monkeypatch.setenv("VEILLE_ELASTICSEARCH_API_KEY", API_KEY)
    settings = Settings(_env_file=None)
    assert settings.kafka.password.get_secret_value() == KAFKA_SECRET
    assert settings.elasticsearch.api_key.get_secret_value() == API_KEY


def test_security_settings_read_secrets_from_the_env_file(tmp_path, monkeypatch):
    monkeypatch.delenv("VEILLE_ELASTICSEARCH_PASSWORD", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(f"VEILLE_ELASTICSEARCH_PASSWORD={ES_SECRET}\n")
    assert Settings(_env_file=env_file).elasticsearch.password.get_secret_value() == ES_SECRET


def test_security_kafka_credentials_and_tls_reach_aiokafka_and_kafka_python():
    settings = _secured()
    options = kafka_connection_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "SCRAM-SHA-512", "veille", KAFKA_SECRET)
    assert isinstance(aiokafka_options(settings)["ssl_context"], ssl.SSLContext)
    assert kafka_client_options(settings)["ssl_cafile"] == certifi.where()


def test_security_kafka_credentials_and_tls_reach_faust(monkeypatch):
    import agents.app as faust_app

    monkeypatch.setattr(faust_app, "settings", _secured())
    credentials = faust_app._broker_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password, str(credentials.mechanism.value)) == (
        "veille", KAFKA_SECRET, "SCRAM-SHA-512")
    assert isinstance(credentials.ssl_context, ssl.SSLContext)
    assert KAFKA_SECRET not in repr(credentials)


async def test_security_elasticsearch_credentials_and_ca_reach_the_client():
    client = make_client(_secured())
    try:
        assert client._headers["authorization"].startswith("Basic ")
        assert client.transport.node_pool.all()[0].config.ca_certs == certifi.where()
        assert ES_SECRET not in repr(client)
    finally:
        await client.close()
    keyed = make_client(_secured(elasticsearch_api_key=API_KEY))
    try:
        assert keyed._headers["authorization"].startswith("ApiKey ")
    finally:
        await keyed.close()


async def test_security_failed_connections_log_no_secret(caplog):
    from aiokafka import AIOKafkaProducer
    from elasticsearch import ConnectionError as ESConnectionError

    settings = _secured()
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    client = make_client(settings, request_timeout=2, max_retries=0)
    try:
        with pytest.raises(ESConnectionError) as raised:
            await client.info()
        errors.append(repr(raised.value))
    finally:
        await client.close()
    producer = AIOKafkaProducer(**aiokafka_options(settings), request_timeout_ms=2000)
    try:
        await asyncio.wait_for(producer.start(), 10)
    except Exception as exc:  # noqa: BLE001 - whatever it raises, its text must not carry the secret
        errors.append(repr(exc))
    finally:
        await producer.stop()
    shown = caplog.text + " ".join(errors)
    assert shown.strip(), "nothing was logged: the test did not exercise the failure paths"
    for secret in (KAFKA_SECRET, ES_SECRET):
        assert secret not in shown


def test_security_webhook_signatures_use_the_raw_body_and_compare_digest(monkeypatch):
    from pipeline.alerts.channels import sign_body, verify_signature
    from pipeline.sources.facebook.webhook import meta_signature
    from pipeline.sources.webhook.provider import signature_matches

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    raw = b'{"object": "page",  "entry": [ ]}'
    reformatted = b'{"object":"page","entry":[]}'  # same JSON, other bytes: must not verify
    assert signature_matches(meta_signature("s3cret", raw), meta_signature("s3cret", raw))
    assert not signature_matches(meta_signature("s3cret", raw), meta_signature("s3cret", reformatted))
    assert not signature_matches("sha256=short", meta_signature("s3cret", raw))
    assert not signature_matches("sha256=é", meta_signature("s3cret", raw))
    assert not signature_matches(None, meta_signature("s3cret", raw))
    assert verify_signature("s3cret", raw, sign_body("s3cret", raw))
    assert not verify_signature("s3cret", reformatted, sign_body("s3cret", raw))
    assert len(calls) >= 5
