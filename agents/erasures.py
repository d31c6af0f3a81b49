"""The erased authors, followed from the ``erasures`` topic by every worker (no consumer group).

Agents call ``erasures.is_erased(mention)`` on the way in; ``await erasures.ready.wait()`` before the
first batch, so nothing is processed against a partially loaded set.
"""

from __future__ import annotations

from agents.app import app, settings
from pipeline.privacy import ErasureWatcher

erasures = ErasureWatcher(settings)


@app.task
async def follow_erasures() -> None:
    await erasures.run()
