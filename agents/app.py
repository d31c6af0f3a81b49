"""The Faust application and the topics its agents read and write (names from topics.yaml).

Importing this changes nothing in Faust or aiokafka: the worker installs its fixes when it starts
(``agents/worker.py``); how a batch is acknowledged and retried is ``agents/runtime.py``."""

from __future__ import annotations

import ssl

import faust

from agents.health import RestartWithBackoff
from pipeline import topics as t
from pipeline.settings import get_settings

settings = get_settings()


def _broker_credentials():
    if settings.kafka.sasl_mechanism:
        password = settings.kafka.password.get_secret_value() if settings.kafka.password else ""
        context = ssl.create_default_context(cafile=str(settings.kafka.ca_file)) if settings.kafka.ca_file else None
        return faust.SASLCredentials(
            username=settings.kafka.username, password=password, mechanism=settings.kafka.sasl_mechanism,
            ssl_context=context if settings.kafka.security_protocol.endswith("SSL") else None,
        )
    if settings.kafka.security_protocol == "SSL":
        return ssl.create_default_context(cafile=str(settings.kafka.ca_file) if settings.kafka.ca_file else None)
    return None


app = faust.App(
    settings.app_id,
    broker=[f"kafka://{b}" for b in settings.kafka.bootstrap],
    broker_credentials=_broker_credentials(),
    key_serializer="raw",
    value_serializer="raw",
    store="memory://",
    web_enabled=False,
    topic_replication_factor=1,
    producer_linger_ms=5,
    producer_compression_type=settings.kafka.compression_type,
    stream_wait_empty=False,
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=10.0,
    broker_rebalance_timeout=10.0,
    broker_heartbeat_interval=1.0,
    # Faust delivers every polled record in turn and waits when an agent's buffer is full, holding up the records
    # of every other topic: a poll of 10,000 raw mentions held the index and crisis agents idle for 3.7 s.
    # Polls smaller than the buffer's headroom above its pressure mark (4,096 - 4,096 / 1.25) never fill it.
    broker_max_poll_records=settings.kafka.max_poll_records,
    datadir=str(settings.data_dir / "faust"),
    agent_supervisor=RestartWithBackoff,  # one agent crash-looping never ends the worker (agents/health.py)
)

_specs = {spec.name: spec for spec in t.load_topics(settings.topics_file)}


def topic(name: str) -> faust.TopicT:
    return app.topic(settings.topic(name), partitions=_specs[name].partitions, key_type=bytes, value_type=bytes)


raw_mentions_topic = topic(t.RAW)
enriched_mentions_topic = topic(t.ENRICHED)
dead_letter_topic = topic(t.DEADLETTER)
signals_topic = topic(t.SIGNALS)
trends_topic = topic(t.TRENDS)
alerts_topic = topic(t.ALERTS)


def table(name: str, source: str, **options) -> faust.Table:
    """A table co-partitioned with topic ``source`` (its changelog has the same partitions)."""
    return app.Table(name, partitions=_specs[source].partitions, **options)
