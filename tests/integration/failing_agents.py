"""Two agents that fail, loaded beside the real ones by the worker of ``test_agents_health.py``: one
raises on every batch of ``mentions.enriched`` (the index agent's topic), one raises as soon as it starts
(a model that cannot load). Not a test module."""

from agents.app import app, enriched_mentions_topic, settings
from agents.runtime import acknowledged_when_done


@app.agent(enriched_mentions_topic)
async def fail_every_batch(stream):
    async for events in stream.take_events(50, within=0.1):
        async with acknowledged_when_done(events, "fail_every_batch"):
            raise RuntimeError(f"poisoned batch of {len(events)} records")


@app.agent(app.topic(settings.topic("health-probe"), partitions=1, key_type=bytes, value_type=bytes))
async def fail_at_start(stream):
    raise OSError("model file missing: /nowhere/model.npz")
    async for _ in stream:  # pragma: no cover
        pass
