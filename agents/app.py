"""The Faust application and the topics its agents read and write (names from topics.yaml)."""

from __future__ import annotations

import ssl
import weakref
from contextlib import contextmanager

import faust
from faust.streams import _current_event

from agents import offsets
from pipeline import topics as t
from pipeline.kafka_polling import pace_empty_fetches
from pipeline.settings import get_settings

settings = get_settings()
pace_empty_fetches(settings.kafka_empty_fetch_wait)


def _broker_credentials():
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_password.get_secret_value() if settings.kafka_password else ""
        context = ssl.create_default_context(cafile=str(settings.kafka_ca_file)) if settings.kafka_ca_file else None
        return faust.SASLCredentials(
            username=settings.kafka_username, password=password, mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context if settings.kafka_security_protocol.endswith("SSL") else None,
        )
    if settings.kafka_security_protocol == "SSL":
        return ssl.create_default_context(cafile=str(settings.kafka_ca_file) if settings.kafka_ca_file else None)
    return None


app = faust.App(
    settings.app_id,
    broker=[f"kafka://{b}" for b in settings.kafka_bootstrap],
    broker_credentials=_broker_credentials(),
    key_serializer="raw",
    value_serializer="raw",
    store="memory://",
    web_enabled=False,
    topic_replication_factor=1,
    producer_linger_ms=5,
    stream_wait_empty=False,
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=10.0,
    broker_rebalance_timeout=10.0,
    broker_heartbeat_interval=1.0,
    datadir=str(settings.data_dir / "faust"),
)
offsets.install(app)  # Faust alone can commit offsets past records no agent processed (see agents/offsets.py)

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


@contextmanager
def event_context(event):
    """Make ``event`` the current event while a batch (``take_events``) writes tables: Faust picks a table
    changelog partition from the current event, which only plain per-event iteration sets."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


async def send_and_confirm(sends) -> None:
    """Send ``(topic, key, value)`` records and wait until the broker has them. ``topic.send`` only queues a
    record; the batch's offsets may be committed right after the agent asks for the next batch, so a worker
    killed before the producer delivered would lose what it had queued. Goes to the producer directly:
    Faust's topic buffer hands records over one at a time, and throttles (about 10x slower here)."""
    producer = app.producer
    pending = [await producer.send(topic.get_topic_name(), key, value, None, None, None) for topic, key, value in sends]
    for delivery in pending:
        await delivery
