"""Long-poll emulation for brokers that answer an empty fetch at once.

A Kafka broker holds a fetch that finds no new records for up to ``fetch_max_wait_ms`` before answering.
Some Kafka-protocol brokers (the embedded noida-db among them) answer it immediately, so an idle
aiokafka consumer sends fetch after fetch and burns a whole core, starving the agents of the worker it
lives in. ``EmptyFetchPacing(idle_wait).install()`` makes the client wait instead, up to ``idle_wait``
seconds, when a fetch came back empty sooner than the broker should have answered. Against a broker that
does long-poll, empty fetches take ``fetch_max_wait_ms`` and no extra wait happens.

It wraps a private method of aiokafka's ``Fetcher`` (one class for the whole process) while installed (see
agents/internals.py); the agents' worker installs it when it starts.
"""

from __future__ import annotations

import asyncio
import functools
import time

from aiokafka.consumer.fetcher import Fetcher


class EmptyFetchPacing:
    """Wait up to ``idle_wait`` seconds after an empty fetch the broker answered early. Installing twice, or
    with ``idle_wait`` ≤ 0, is harmless; ``uninstall`` undoes only what this one installed."""

    def __init__(self, idle_wait: float) -> None:
        self.idle_wait = idle_wait
        self._original = None

    @property
    def installed(self) -> bool:
        return self._original is not None

    def install(self) -> None:
        original = Fetcher._proc_fetch_request
        if self.installed or self.idle_wait <= 0 or getattr(original, "paces_empty_fetches", False):
            return
        idle_wait = self.idle_wait

        @functools.wraps(original)
        async def proc_fetch_request(fetcher, assignment, node_id, request):
            started = time.monotonic()
            has_new_data = await original(fetcher, assignment, node_id, request)
            if not has_new_data:
                remaining = min(idle_wait, fetcher._fetch_max_wait_ms / 1000 - (time.monotonic() - started))
                if remaining > 0:
                    try:
                        await asyncio.sleep(remaining)
                    except asyncio.CancelledError:  # closing or unassigned: aiokafka expects False, not an error
                        return False
            return has_new_data

        proc_fetch_request.paces_empty_fetches = True
        Fetcher._proc_fetch_request = proc_fetch_request
        self._original = original

    def uninstall(self) -> None:
        if self.installed:
            Fetcher._proc_fetch_request = self._original
            self._original = None
