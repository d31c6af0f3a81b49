"""The agents' worker health record and what ``veille status`` says of it (pipeline/worker_health.py)."""

from __future__ import annotations

import pytest

from pipeline import worker_health as wh

NOW = 1_800_000_000.0


def _running(now: float = NOW, **changes) -> wh.WorkerRecord:
    record = wh.new_record("vm-abc-0", "veille", now - 120)
    wh.partitions_assigned(record, 24, now - 110)
    wh.agent_started(record, "tag_mentions", ["mentions.raw"])
    wh.agent_started(record, "index_mentions", ["mentions.enriched"])
    wh.batch_done(record, "tag_mentions", now - 20)
    wh.batch_done(record, "index_mentions", now - 20)
    record.updated_at = now - 1
    return record.model_copy(update=changes)


def test_worker_health_a_running_worker_with_partitions_is_ok():
    verdict = wh.assess_worker(_running(), NOW, process_alive=True)
    assert (verdict.health, verdict.failing) == ("ok", False)
    assert "24 partition(s)" in verdict.detail


def test_worker_health_no_assignment_for_more_than_30s_is_stuck_and_says_why():
    record = wh.new_record("vm-abc-0", "veille", NOW - 45)  # started 45 s ago, never assigned
    record.updated_at = NOW - 1
    verdict = wh.assess_worker(record, NOW, process_alive=True)
    assert verdict.health == "stuck" and verdict.failing
    assert "joining consumer group 'veille' for 45s" in verdict.detail and "never evicts" in verdict.detail
    early = wh.new_record("vm-abc-0", "veille", NOW - 10)
    early.updated_at = NOW - 1
    assert wh.assess_worker(early, NOW, process_alive=True).health == "ok"  # joining takes a few seconds


def test_worker_health_rebalancing_for_more_than_30s_is_stuck():
    record = _running()
    wh.partitions_revoked(record, NOW - 40)
    assert "rebalancing in consumer group" in wh.assess_worker(record, NOW, process_alive=True).detail
    wh.partitions_assigned(record, 0, NOW - 5)  # an empty assignment is fine (more workers than partitions)
    assert wh.assess_worker(record, NOW, process_alive=True).health == "ok"


def test_worker_health_a_killed_worker_is_down_by_its_pid_or_its_silent_heartbeat():
    assert wh.assess_worker(_running(), NOW, process_alive=False).health == "down"
    silent = _running(updated_at=NOW - 60)
    verdict = wh.assess_worker(silent, NOW, process_alive=None)  # on another host: only the heartbeat tells
    assert verdict.health == "down" and "no heartbeat for 60s" in verdict.detail


def test_worker_health_exits_on_errors_make_a_crash_loop_across_restarts_of_the_same_instance():
    record = wh.new_record("vm-abc-0", "veille", NOW - 300)
    for attempt in range(3):
        wh.worker_exited(record, "cannot start: KafkaConnectionError: Unable to bootstrap", NOW - 200 + attempt * 60)
        if attempt < 2:
            record = wh.new_record("vm-abc-0", "veille", NOW - 190 + attempt * 60, previous=record)
    verdict = wh.assess_worker(record, NOW)
    assert verdict.health == "crash-looping" and "3 exits" in verdict.detail
    assert "KafkaConnectionError: Unable to bootstrap" in verdict.detail
    once = wh.new_record("vm-abc-1", "veille", NOW - 100)
    wh.worker_exited(once, "boom", NOW - 50)
    assert wh.assess_worker(once, NOW).health == "down"


def test_worker_health_a_clean_stop_and_a_long_gone_worker_are_not_failures():
    stopped = _running()
    wh.worker_exited(stopped, None, NOW - 30)
    assert wh.assess_worker(stopped, NOW, process_alive=False).health == "stopped"
    gone = _running(updated_at=NOW - 3 * 86400)
    assert not wh.assess_worker(gone, NOW, process_alive=False).failing


@pytest.mark.parametrize(("failures", "health"), [(1, "failing"), (3, "crash-looping")])
def test_worker_health_an_agent_whose_last_attempt_failed_is_failing_with_its_last_error(failures, health):
    record = _running()
    for n in range(failures):
        wh.agent_failed(record, "index_mentions", f"ConnectionTimeout: attempt {n}", NOW - 10 + n)
    verdict = wh.assess_agent(record.agents["index_mentions"], NOW)
    assert verdict.health == health and f"ConnectionTimeout: attempt {failures - 1}" in verdict.detail
    wh.batch_done(record, "index_mentions", NOW)  # a batch done since: recovered
    assert wh.assess_agent(record.agents["index_mentions"], NOW).health == "ok"


def test_worker_health_status_lines_show_each_agent_with_its_lag_and_fail_on_a_failing_agent():
    record = _running()
    wh.agent_failed(record, "index_mentions", "RuntimeError: poisoned", NOW - 3)
    lines, failing = wh.status_lines([record], {"mentions.raw": 0, "mentions.enriched": 812}, NOW,
                                     alive=lambda r: True)
    assert failing
    assert lines[0].startswith("worker vm-abc-0") and " ok " in lines[0]
    index = next(line for line in lines if "index_mentions" in line)
    assert "failing" in index and "812 behind on mentions.enriched" in index and "RuntimeError: poisoned" in index
    assert "0 behind on mentions.raw" in next(line for line in lines if "tag_mentions" in line)
    healthy, failing = wh.status_lines([_running()], "unavailable", NOW, alive=lambda r: True)
    assert not failing and "lag unknown" in healthy[1]


def test_worker_health_records_round_trip_through_their_file(tmp_path):
    record = _running()
    path = wh.record_path(tmp_path, record.instance_id)
    wh.write_record(path, record)
    assert wh.read_records(tmp_path) == [record]
    path.with_name("broken.json").write_text("{not json")
    assert wh.read_records(tmp_path) == [record]  # an unreadable file is skipped


def test_worker_health_runs_that_ended_without_a_word_count_as_exits_of_a_crash_loop():
    """SIGKILL or the out-of-memory killer leave no exit reason: a new run finding its predecessor's record
    still running counts that as an exit; three in ten minutes is a crash loop, even while the new run is up."""
    record = _running(NOW - 200)
    for restart in range(3):
        record = wh.new_record("vm-abc-0", "veille", NOW - 150 + restart * 50, previous=record)
        wh.partitions_assigned(record, 24, NOW - 149 + restart * 50)
        record.updated_at = NOW - 140 + restart * 50
    record.updated_at = NOW - 1  # the third restart is up and beating
    verdict = wh.assess_worker(record, NOW, process_alive=True)
    assert verdict.health == "crash-looping" and "3 exits" in verdict.detail
    assert "without a clean stop" in verdict.detail
    clean = _running(NOW - 200)
    wh.worker_exited(clean, None, NOW - 190)
    again = wh.new_record("vm-abc-0", "veille", NOW - 100, previous=clean)
    again.updated_at = NOW - 1
    wh.partitions_assigned(again, 24, NOW - 90)
    assert wh.assess_worker(again, NOW, process_alive=True).health == "ok"
