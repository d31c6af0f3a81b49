from datetime import UTC, datetime, timedelta

from pathlib import Path

import orjson

from memory_sink import MemorySink
from pipeline.sources.replay.paced import ReplayConnector, prepare_line, rebase_offset


def test_replay_rebase_moves_the_newest_mention_to_now():
    lines = [orjson.dumps({"created_at": "2026-11-01T10:00:00Z"}), orjson.dumps({"created_at": "2026-11-02T10:00:00Z"}),
             b"not json"]
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert rebase_offset(lines, now) == timedelta(days=19)


def test_replay_rebase_keeping_time_of_day_moves_by_whole_days_into_the_last_24_hours():
    lines = [orjson.dumps({"created_at": "2026-11-01T10:00:00Z"}), orjson.dumps({"created_at": "2026-11-02T10:00:00Z"})]
    assert rebase_offset(lines, datetime(2026, 11, 21, 9, 59, tzinfo=UTC), keep_time_of_day=True) == timedelta(days=18)
    assert rebase_offset(lines, datetime(2026, 11, 21, 10, tzinfo=UTC), keep_time_of_day=True) == timedelta(days=19)
    assert rebase_offset(lines, datetime(2026, 11, 1, 12, tzinfo=UTC), keep_time_of_day=True) == timedelta(days=-1)


def test_replay_rebase_keeping_time_of_day_gives_the_sample_the_same_crisis_detections_at_any_hour():
    """The demo's sample, tagged and fed to the crisis monitor as the agents do, rebased from two different
    clocks: the same detections at the same sample times (a rebase to the exact minute moves UTC midnight, where
    daily peaks are cut, through the stream and changed which spikes the demo raised)."""
    from pipeline.processing import RawRecord, process_raw_batch
    from pipeline.tagging import get_tagger
    from pipeline.timestamps import parse_iso
    from pipeline.trends.crisis import CrisisConfig, WatchMonitor
    from pipeline.trends.signals import signals_for

    lines = (Path(__file__).resolve().parents[2] / "data" / "sample" / "mentions.jsonl").read_bytes().splitlines()
    tagger = get_tagger()

    def detections(now):
        shift = rebase_offset(lines, now, keep_time_of_day=True)
        records = [RawRecord(value=prepare_line(line, shift)[1], topic="mentions.raw", partition=0, offset=offset)
                   for offset, line in enumerate(lines)]
        documents = [d for start in range(0, len(records), 500)
                     for d in process_raw_batch(records[start:start + 500], tagger, now).enriched]
        monitors, found = {}, set()
        for document in sorted(documents, key=lambda d: parse_iso(d["created_at"])):
            for signal in signals_for(document, partition=0):
                monitor = monitors.setdefault(signal.watch, WatchMonitor(signal.watch, CrisisConfig(source_partitions=1)))
                monitor.observe(signal)
                for moment, spikes in monitor.advance():
                    found |= {(signal.watch, moment - shift, spike.kind, spike.observed) for spike in spikes}
        return found

    early = detections(datetime(2026, 12, 3, 3, 7, 41, tzinfo=UTC))
    assert {(watch, kind) for watch, _, kind, _ in early} >= {("Aquarelle", "complaint_spike")}
    assert detections(datetime(2026, 12, 9, 17, 52, 3, tzinfo=UTC)) == early


def test_replay_prepare_line_keys_by_id_and_leaves_malformed_lines_untouched():
    key, value = prepare_line(b'{"id": "twitter:1", "created_at": "2026-11-01T10:00:00Z"}', timedelta(hours=1))
    assert key == b"twitter:1"
    assert orjson.loads(value)["created_at"] == "2026-11-01T11:00:00Z"
    assert prepare_line(b"{broken", timedelta(hours=1)) == (None, b"{broken")


async def test_replay_sends_every_non_blank_line_in_order(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a:1"}\n\nbroken\n{"id": "a:2"}\n')
    sink = MemorySink()
    stats = await ReplayConnector(path, "mentions.raw").run(sink)
    assert stats.sent == 3
    assert [(k, v) for _, k, v in sink.records] == [(b"a:1", b'{"id": "a:1"}'), (None, b"broken"), (b"a:2", b'{"id": "a:2"}')]


async def test_replay_rate_limits(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(b'{"id": "a:%d"}\n' % i for i in range(21)))
    started = datetime.now(UTC)
    await ReplayConnector(path, "t", rate=100).run(MemorySink())
    assert (datetime.now(UTC) - started).total_seconds() >= 0.19
