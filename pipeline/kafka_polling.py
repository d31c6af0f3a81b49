"""Long-poll emulation for brokers that answer an empty fetch at once.

A Kafka broker holds a fetch that finds no new records for up to ``fetch_max_wait_ms`` before answering.
Some Kafka-protocol brokers (the embedded noida-db among them) answer it immediately, so an idle
aiokafka consumer sends fetch after fetch and burns a whole core, starving the agents of the worker it
lives in. ``pace_empty_fetches`` makes the client wait instead, up to ``idle_wait`` seconds, when a fetch
came back empty sooner than the broker should have answered. Against a broker that does long-poll, empty
fetches take ``fetch_max_wait_ms`` and no extra wait happens.
"""

from __future__ import annotations

import asyncio
import functools
import time

from aiokafka.consumer.fetcher import Fetcher

_ORIGINAL = Fetcher._proc_fetch_request


def pace_empty_fetches(idle_wait: float) -> None:
    """Patch aiokafka's fetcher (process-wide, idempotent); ``idle_wait`` ≤ 0 restores the original."""
    if idle_wait <= 0:
        Fetcher._proc_fetch_request = _ORIGINAL
        return

    @functools.wraps(_ORIGINAL)
    async def proc_fetch_request(self, assignment, node_id, request):
        started = time.monotonic()
        has_new_data = await _ORIGINAL(self, assignment, node_id, request)
        if not has_new_data:
            remaining = min(idle_wait, self._fetch_max_wait_ms / 1000 - (time.monotonic() - started))
            if remaining > 0:
                try:
                    await asyncio.sleep(remaining)
                except asyncio.CancelledError:  # closing or unassigned: aiokafka expects False, not an error
                    return False
        return has_new_data

    Fetcher._proc_fetch_request = proc_fetch_request
