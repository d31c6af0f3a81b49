"""The small interfaces connectors are written against."""

from __future__ import annotations

from typing import Protocol


class RecordSink(Protocol):
    """Where a connector puts records: ``send`` may buffer, ``flush`` waits until all are acknowledged."""

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None: ...

    async def flush(self) -> None: ...


class Connector(Protocol):
    name: str

    async def run(self, sink: RecordSink) -> int:
        """Deliver mentions to ``sink`` until done (or forever for live sources); return how many were sent."""
        ...
