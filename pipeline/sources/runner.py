"""Running the sources of watches.yaml: build each connector, supervise it (a crash is logged, kept in
its checkpoint and followed by a restart with backoff), serve the webhook sources, stop cleanly.

One process runs every selected connector concurrently on one event loop, sharing one Kafka producer,
one checkpoint store and one polite HTTP client (so per-host pacing holds across connectors).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pipeline.settings import Settings
from pipeline.sources.base import RecordSink
from pipeline.sources.checkpoint import CheckpointStore
from pipeline.sources.http import PoliteClient
from pipeline.sources.options import SourceOptions
from pipeline.sources.registry import connector_types
from pipeline.sources.runtime import (
    ConnectorContext,
    ConnectorStats,
    LiveConnector,
    sleep_or_stop,
)
from pipeline.sources.webhook.connector import WebhookConnector, WebhookServer
from pipeline.watches import Watches

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0


class UnknownSource(ValueError):
    pass


def select_sources(watches: Watches, names: list[str] | None, types: list[str] | None = None) -> list[SourceOptions]:
    """The sources to run: those named (any, enabled or not), else every enabled one; of ``types`` if given."""
    if names:
        unknown = [n for n in names if n not in watches.sources]
        if unknown:
            raise UnknownSource(f"unknown source(s) {', '.join(unknown)}; watches.yaml declares: "
                                f"{', '.join(watches.sources) or 'none'}")
        specs = [watches.sources[n] for n in names]
    else:
        specs = [s for s in watches.spec.sources if s.enabled]
    return [s for s in specs if not types or s.type in types]


@dataclass
class RunReport:
    stats: dict[str, ConnectorStats] = field(default_factory=dict)


async def supervise(connector: LiveConnector, stop: asyncio.Event, once: bool) -> None:
    failures = 0
    while not stop.is_set():
        try:
            await connector.run(stop, once)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unforeseen payload: keep listening, say so in status
            failures += 1
            log.exception("%s crashed (%d in a row); restarting", connector.name, failures)
            connector.record_error("crash", exc)
            try:
                await connector.checkpoint()
            except Exception:
                log.exception("%s: could not save its checkpoint", connector.name)
            if once:
                return
            await sleep_or_stop(stop, min(300.0, 2.0 ** failures))


async def run_sources(settings: Settings, watches: Watches, specs: list[SourceOptions], sink: RecordSink,
                      stop: asyncio.Event, *, once: bool = False, http: PoliteClient | None = None) -> RunReport:
    """Run ``specs`` until ``stop`` is set (or, with ``once``, for one poll each). ``sink`` must be started."""
    checkpoints = await CheckpointStore.open(settings, sink)
    own_http = http is None
    http = http or PoliteClient.from_settings(settings)
    context = ConnectorContext(settings, sink, watches, checkpoints, http)
    connectors: list[LiveConnector] = [connector_types()[spec.type](spec, context) for spec in specs]
    webhooks = [c for c in connectors if isinstance(c, WebhookConnector)]
    others = [c for c in connectors if not isinstance(c, WebhookConnector)]
    server = None
    try:
        if webhooks and not once:
            server = WebhookServer(webhooks, settings.webhook.host, settings.webhook.port, settings.webhook.max_body_bytes)
            await server.start()
        tasks = [asyncio.create_task(supervise(c, stop, once), name=f"connector:{c.name}") for c in others]
        if once:
            await asyncio.gather(*tasks)
        else:
            await stop.wait()
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        if server is not None:
            await server.stop()
        for connector in others:
            try:
                await connector.checkpoint()
            except Exception:
                log.exception("%s: could not save its final checkpoint", connector.name)
        if own_http:
            await http.aclose()
    return RunReport({c.name: c.stats for c in connectors})
