from datetime import UTC, datetime, timedelta

import orjson

from memory_sink import MemorySink
from pipeline.sources.replay.paced import ReplayConnector, prepare_line, rebase_offset


def test_replay_rebase_moves_the_newest_mention_to_now():
    lines = [orjson.dumps({"created_at": "2026-11-01T10:00:00Z"}), orjson.dumps({"created_at": "2026-11-02T10:00:00Z"}),
             b"not json"]
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert rebase_offset(lines, now) == timedelta(days=19)


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
