import logging

import faust

from agents.worker import Worker


def test_agents_worker_keeps_the_root_logger_at_the_chosen_level():
    app = faust.App("test-worker-logging", broker="memory://", web_enabled=False)
    worker = Worker(app, loglevel="warning")
    root = logging.getLogger()
    before = root.level
    try:
        root.setLevel(logging.WARNING)
        worker.on_setup_root_logger(root, logging.WARNING)
        assert root.level == logging.WARNING  # Faust's spinner handler would set DEBUG here
        assert worker.spinner is None
    finally:
        root.setLevel(before)
