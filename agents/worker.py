"""Entry point of the agents' worker process (``veille worker``)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import faust

from agents.health import health
from agents.internals import check_versions
from agents.membership import LeaveGroupOnStop, claim_instance_id
from agents.offsets import SafeOffsets
from pipeline.gc_tuning import collect_less_often, freeze_startup_objects
from pipeline.kafka_polling import EmptyFetchPacing
from pipeline.redact import mask_credentials
from pipeline.worker_health import describe_error


class Worker(faust.Worker):
    """Faust's worker without its terminal spinner. To spin on every log record, the spinner sets the root
    logger to DEBUG, so every ``logger.debug`` in Faust's hot paths (one per record sent) builds a record
    that no handler prints."""

    _start_error: BaseException | None = None

    def on_setup_root_logger(self, logger, level: int) -> None:
        self.spinner = None

    async def on_first_start(self) -> None:
        await super().on_first_start()
        health.start_beating()  # from the start: a worker stuck joining its group still reports it

    async def start(self) -> None:
        try:
            await super().start()
        except Exception as exc:
            self._start_error = exc
            raise

    def on_worker_shutdown(self) -> None:
        super().on_worker_shutdown()
        health.exited(self._start_error or self.crash_reason)  # None: a clean stop

    async def on_startup_finished(self) -> None:
        freeze_startup_objects()
        await super().on_startup_finished()  # logs "Ready" at INFO, unless stopping already
        # scripts and tests wait for this line, whatever the log level
        if not self.should_stop and not self.logger.isEnabledFor(logging.INFO):
            self.say("[^Worker]: Ready")


def install_patches(app, settings) -> list:
    """Fix what Faust and aiokafka get wrong for the agents (each module says what and why), process-wide or
    on ``app``, for as long as the worker runs; refused on library versions they were not checked on."""
    check_versions()
    patches = [SafeOffsets(app), EmptyFetchPacing(settings.kafka.empty_fetch_wait), LeaveGroupOnStop()]
    for patch in patches:
        patch.install()
    return patches


def run(loglevel: str = "info", prepare: Callable[[], None] | None = None) -> None:
    """Run the agents until stopped. ``prepare`` (create topics and indices) runs once this worker's health
    record exists, so a worker that cannot start says why there (``veille status``) as well as here."""
    from agents import crisis, index, tag, trends  # noqa: F401  (registers the agents)
    from agents.app import app, settings

    # a restart after SIGKILL rejoins as the member it replaces, instead of waiting on it (agents/membership.py)
    instance, slot = claim_instance_id(settings.data_dir, settings.worker.instance_id)  # noqa: F841 (held till exit)
    app.conf.consumer_group_instance_id = instance
    health.start(settings.data_dir, instance, settings.app_id, app.agents.values())
    try:
        install_patches(app, settings)
        if prepare is not None:
            prepare()
    except Exception as exc:
        health.exited(f"cannot start: {describe_error(exc)}")
        print(f"error: the worker cannot start: {mask_credentials(describe_error(exc))}", file=sys.stderr)
        raise SystemExit(1) from None

    @app.on_partitions_assigned.connect
    async def assigned(sender, assigned, **kwargs) -> None:
        health.partitions_assigned(len(assigned))

    @app.on_partitions_revoked.connect
    async def revoked(sender, revoked, **kwargs) -> None:
        health.partitions_revoked()

    collect_less_often(settings.gc_young_threshold)
    worker = Worker(app, loglevel=loglevel)
    worker.execute_from_commandline()
