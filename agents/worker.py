"""Entry point of the agents' worker process (``veille worker``)."""

from __future__ import annotations

import faust

from pipeline.gc_tuning import collect_less_often, freeze_startup_objects


class Worker(faust.Worker):
    """Faust's worker without its terminal spinner. To spin on every log record, the spinner sets the root
    logger to DEBUG, so every ``logger.debug`` in Faust's hot paths (one per record sent) builds a record
    that no handler prints."""

    def on_setup_root_logger(self, logger, level: int) -> None:
        self.spinner = None

    async def on_startup_finished(self) -> None:
        freeze_startup_objects()
        await super().on_startup_finished()

    def _on_startup_end_spinner(self) -> None:
        self.say("[^Worker]: Ready")  # whatever the log level: scripts and tests wait for this line


def run(loglevel: str = "info") -> None:
    from agents import crisis, index, tag, trends  # noqa: F401  (registers the agents)
    from agents.app import app, settings
    from agents.membership import claim_instance_id, leave_group_on_stop

    # a restart after SIGKILL rejoins as the member it replaces, instead of waiting on it (agents/membership.py)
    instance, slot = claim_instance_id(settings.data_dir, settings.worker_instance_id)  # noqa: F841 (held till exit)
    app.conf.consumer_group_instance_id = instance
    leave_group_on_stop()
    collect_less_often(settings.gc_young_threshold)
    worker = Worker(app, loglevel=loglevel)
    worker.execute_from_commandline()
