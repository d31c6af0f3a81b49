"""The agents' offset commit rule (agents/offsets.py): never past a record that was not processed; and how the
worker installs it."""

import faust
import pytest
from faust.transport.drivers import aiokafka as driver
from mode.utils.queues import FlowControlQueue

from agents import internals
from agents.offsets import SafeOffsets, SafeOffsetsConsumer, safe_commit_offset

def test_agents_offsets_commit_past_the_run_that_starts_at_the_next_offset():
    assert safe_commit_offset([5, 6, 7], next_offset=5) == 8
    assert safe_commit_offset([5, 6, 8, 9], next_offset=5) == 7

def test_agents_offsets_no_commit_while_the_next_record_is_not_processed():
    assert safe_commit_offset([6, 7, 8], next_offset=5) is None  # Faust as shipped commits 9 here
    assert safe_commit_offset([9, 10], next_offset=5) is None
    assert safe_commit_offset([], next_offset=5) is None

def test_agents_offsets_no_commit_while_the_next_offset_is_unknown():
    assert safe_commit_offset([0, 1, 2], next_offset=None) is None  # Faust as shipped commits 3 here

def test_agents_offsets_offsets_already_committed_are_ignored():
    assert safe_commit_offset([2, 3, 5, 6], next_offset=5) == 7

def _app(name: str):
    return faust.App(name, broker="kafka://127.0.0.1:9", web_enabled=False)

def _queued(app) -> FlowControlQueue:
    queue = FlowControlQueue(flow_control=app.flow_control, clear_on_resume=True)  # as Faust's stream buffers are
    queue.put_nowait("record")
    return queue

def test_agents_offsets_installed_the_app_creates_a_safe_consumer_and_resuming_keeps_queued_records():
    app = _app("test-safe-offsets")
    safe = SafeOffsets(app)
    safe.install()
    safe.install()  # twice: harmless
    assert app.transport.Consumer is SafeOffsetsConsumer and issubclass(SafeOffsetsConsumer, driver.Consumer)
    queue = _queued(app)
    app.flow_control.suspend()
    app.flow_control.resume()
    assert queue.qsize() == 1  # Faust as shipped empties the queues here, dropping records it counts as read
    app.flow_control.clear()
    assert queue.qsize() == 0  # at a rebalance Faust clears them itself, as before

    safe.uninstall()
    assert app.transport.Consumer is driver.Consumer
    queue = _queued(app)
    app.flow_control.resume()
    assert queue.qsize() == 0
    safe.uninstall()  # twice: harmless

def test_agents_offsets_a_second_install_on_the_same_app_leaves_the_first_in_charge():
    app = _app("test-safe-offsets-twice")
    first, second = SafeOffsets(app), SafeOffsets(app)
    first.install()
    second.install()
    second.uninstall()  # undoes nothing: it installed nothing
    assert app.transport.Consumer is SafeOffsetsConsumer
    queue = _queued(app)
    app.flow_control.resume()
    assert queue.qsize() == 1
    first.uninstall()
    assert "Consumer" not in vars(app.transport) and not {"resume", "clear"} & set(vars(app.flow_control))

def test_agents_offsets_refused_on_an_unchecked_faust_version(monkeypatch):
    app = _app("test-safe-offsets-version")
    monkeypatch.setitem(internals.WRITTEN_FOR, "faust-streaming", (faust, "0.16."))
    with pytest.raises(internals.UnsupportedVersion, match="faust-streaming"):
        SafeOffsets(app).install()
    assert app.transport.Consumer is driver.Consumer and "resume" not in vars(app.flow_control)
