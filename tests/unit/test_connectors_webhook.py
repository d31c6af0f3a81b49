"""The webhook receiver against a Kafka that fails: a call answered 503 must not be remembered, so
the sender's retry is stored, not counted as a duplicate."""

import hashlib
import hmac
from contextlib import asynccontextmanager

import httpx
import orjson

from local_server import serving
from pipeline.settings import Settings
from pipeline.sources.checkpoint import CheckpointStore
from pipeline.sources.runtime import ConnectorContext
from pipeline.sources.webhook.connector import WebhookConnector, build_app
from pipeline.watches import Watches

WATCHES = """
sources:
  - {name: push, type: webhook, provider: generic}
watches:
  - {name: Lumio, keywords: [Lumio]}
"""


class FlakyKafkaSink:
    """Buffers records like a Kafka producer; ``flush`` fails while ``down``, dropping what it held."""

    def __init__(self):
        self.down = False
        self.pending = []
        self.acknowledged = []

    async def send(self, topic, value, key=None):
        self.pending.append((topic, key, value))

    async def flush(self):
        if self.down:
            self.pending.clear()
            raise ConnectionError("KafkaConnectionError: no broker available")
        self.acknowledged.extend(self.pending)
        self.pending.clear()

    def values(self, topic):
        return [orjson.loads(v) for t, _, v in self.acknowledged if t == topic]


@asynccontextmanager
async def receiver(sink):
    settings = Settings(topic_prefix="t.", webhook_secret="generic-secret", webhook_max_body_bytes=4096)
    watches = Watches.from_yaml(WATCHES)
    context = ConnectorContext(settings, sink, watches, CheckpointStore(settings, sink, None))
    app = build_app([WebhookConnector(watches.sources["push"], context)], 4096)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


def signed(body):
    return {"X-Veille-Signature": "sha256=" + hmac.new(b"generic-secret", body, hashlib.sha256).hexdigest()}


async def test_connectors_webhook_retry_after_kafka_outage_is_stored():
    sink = FlakyKafkaSink()
    body = orjson.dumps({"id": "forum:7", "platform": "forum", "native_id": "7", "source": "forum.example",
                         "author": {"id": "u"}, "text": "Lumio Hub hors service", "created_at": "2026-11-20T08:00:00Z"})
    async with receiver(sink) as client:
        sink.down = True
        refused = await client.post("/webhooks/push", content=body, headers=signed(body))
        sink.down = False
        retried = await client.post("/webhooks/push", content=body, headers=signed(body))
        again = await client.post("/webhooks/push", content=body, headers=signed(body))
    assert refused.status_code == 503
    assert retried.status_code == 200
    assert retried.json()["accepted"] == 1 and retried.json()["duplicates"] == 0
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 1  # once acknowledged, remembered
    assert [m["id"] for m in sink.values("t.mentions.raw")] == ["forum:7"]
