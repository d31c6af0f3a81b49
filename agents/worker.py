"""Entry point of the agents' worker process (``veille worker``)."""

from __future__ import annotations

import faust


def run(loglevel: str = "info") -> None:
    from agents import crisis, index, signals, tag, trends  # noqa: F401  (registers the agents)
    from agents.app import app

    worker = faust.Worker(app, loglevel=loglevel)
    worker.execute_from_commandline()
