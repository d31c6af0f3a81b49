"""The RecordSink protocol in memory, for tests of what a connector sends."""

from __future__ import annotations

import orjson


class MemorySink:
    """Every record acknowledged and kept in send order as (topic, key, value); flushes counted."""

    def __init__(self):
        self.records = []
        self.flushes = 0

    async def send(self, topic, value, key=None):
        self.records.append((topic, key, value))

    async def flush(self):
        self.flushes += 1

    def values(self, topic):
        return [orjson.loads(v) for t, _, v in self.records if t == topic]
