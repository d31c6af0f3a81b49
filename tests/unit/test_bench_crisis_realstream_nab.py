"""The NAB mode of the real-stream measure (bench/bench_crisis_realstream.py) on a small made-up series: a
flat five days of 5-minute counts with one injected spike hour, in NAB's layout (data/Twitter_volume_X.csv,
labels.json)."""

import json
import random
from datetime import UTC, datetime, timedelta

from bench.bench_crisis_realstream import (
    arrival_order,
    main,
    read_nab,
    replay_counts_batched,
    replay_counts_live,
    score_nab,
    top_hours,
)
from pipeline.settings import Settings

T0 = datetime(2015, 3, 2, 0, 2, 53, tzinfo=UTC)  # NAB's points fall at :x2:53 and :x7:53
SPIKE = datetime(2015, 3, 5, 15, tzinfo=UTC)


def flat_series_with_a_spike(days=4):
    rng = random.Random(7)
    points = []
    for k in range(days * 288):
        at = T0 + timedelta(minutes=5 * k)
        count = rng.randint(5, 10)
        if SPIKE <= at < SPIKE + timedelta(hours=1):
            count = 200
        elif SPIKE + timedelta(hours=1) <= at < SPIKE + timedelta(hours=2):
            count = 12  # the hour after is the busiest ordinary hour, but within 24 h of the spike
        points.append((at, count))
    return points


def write_nab(folder, points):
    (folder / "data").mkdir(parents=True)
    lines = ["timestamp,value"] + [f"{at:%Y-%m-%d %H:%M:%S},{count}" for at, count in points]
    (folder / "data" / "Twitter_volume_X.csv").write_text("\n".join(lines) + "\n")
    window = [f"{SPIKE - timedelta(hours=12):%Y-%m-%d %H:%M:%S}.000000", f"{SPIKE + timedelta(hours=12):%Y-%m-%d %H:%M:%S}.000000"]
    (folder / "labels.json").write_text(json.dumps({"Twitter_volume_X.csv": [window]}))
    return folder


def test_bench_crisis_realstream_nab_peaks_are_the_busiest_hours_a_day_apart():
    peaks = top_hours(flat_series_with_a_spike(), 5)
    assert peaks[0] == (SPIKE, 12 * 200)
    assert 3 <= len(peaks) <= 5  # four days hold at most four hours 24 h apart
    assert all(abs(a - b) >= timedelta(hours=24) for i, (a, _) in enumerate(peaks) for b, _ in peaks[i + 1:])
    assert SPIKE + timedelta(hours=1) not in [hour for hour, _ in peaks]


def test_bench_crisis_realstream_nab_the_spike_hour_is_covered_by_one_alert_that_resolves_itself():
    points = flat_series_with_a_spike()
    spans = replay_counts_live("X", points, Settings())
    scored = score_nab(spans, points, [(SPIKE - timedelta(hours=12), SPIKE + timedelta(hours=12))], top=5)
    assert scored["top_hours"][0] == [SPIKE.isoformat(), 2400]
    assert scored["mentions"] == sum(count for _, count in points)
    assert scored["alerts"] == 1 and scored["false_alerts"] == 0
    assert scored["alerts_detail"][0]["covers_peaks"] == [SPIKE.isoformat()]
    assert SPIKE <= spans[0].opened_at < SPIKE + timedelta(hours=1)
    assert scored["auto_resolved"] == 1 and spans[0].resolved_by == "auto" and spans[0].closed_at > SPIKE
    assert (scored["nab_windows_covered"], scored["alerts_outside_nab_windows"]) == (1, 0)


def test_bench_crisis_realstream_nab_a_shuffled_batched_replay_raises_the_same_alert():
    points = flat_series_with_a_spike()
    live = replay_counts_live("X", points, Settings())
    for rate in (1000.0, None):
        batched = replay_counts_batched("X", points, Settings(), batch_size=1000, partitions=6,
                                        lateness=timedelta(minutes=10), rate=rate)
        assert [(s.opened_at, s.closed_at, s.resolved_by, s.updates) for s in batched] == \
               [(s.opened_at, s.closed_at, s.resolved_by, s.updates) for s in live]


def test_bench_crisis_realstream_nab_arrival_keeps_each_partition_in_order_and_every_mention_once():
    points = flat_series_with_a_spike(days=1)
    chunks = arrival_order(points, partitions=6, lateness=timedelta(minutes=10), seed=3)
    seen = [(index, k) for index, _, numbers in chunks for k in numbers]
    assert sorted(seen) == [(i, k) for i, (_, count) in enumerate(points) for k in range(count)]
    for partition in range(6):
        own = [index for index, p, _ in chunks if p == partition]
        assert own == sorted(own)
    assert [index for index, _, _ in chunks] != sorted(index for index, _, _ in chunks)  # partitions interleave


def test_bench_crisis_realstream_nab_main_writes_the_table(tmp_path):
    folder = write_nab(tmp_path / "nab", flat_series_with_a_spike())
    series, windows = read_nab(folder)
    assert list(series) == ["X"] and len(windows["X"]) == 1 and series["X"][0][0] == T0
    assert main(["--nab", str(folder), "--results", str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "crisis_realstream.json").read_text())
    assert result["mode"] == "nab" and result["machine"] == "2 shared cores"
    assert (result["totals"]["peaks_covered"], result["totals"]["false_alerts"]) == (1, 0)
    assert all(replay["same_alerts_as_live"] for replay in result["replays"].values())
    table = (tmp_path / "out" / "crisis_realstream.md").read_text()
    assert f"| X | 0.57 | {sum(c for _, c in series['X']):,} | 1 | 1 | 1/" in table


def two_spikes_days_apart():
    second = SPIKE + timedelta(days=2)
    points = []
    for at, count in flat_series_with_a_spike(days=7):
        if second <= at < second + timedelta(hours=1):
            count = 200
        points.append((at, count))
    return points, second


def test_bench_crisis_realstream_nab_a_batch_spanning_two_episodes_closes_the_first_alert():
    # batches of 5,000 mentions hold both spikes in one advance: the first alert must close when its series went
    # quiet, not stay open until the second spike because the batch's newest spike is after it
    points, second = two_spikes_days_apart()
    live = replay_counts_live("X", points, Settings())
    batched = replay_counts_batched("X", points, Settings(), batch_size=20000, partitions=6,
                                    lateness=timedelta(minutes=10), rate=None)
    assert len(live) == 2 and SPIKE <= live[0].opened_at < SPIKE + timedelta(hours=1)
    assert second <= live[1].opened_at < second + timedelta(hours=1)
    assert [(s.opened_at, s.closed_at, s.resolved_by) for s in batched] == \
           [(s.opened_at, s.closed_at, s.resolved_by) for s in live]
    assert batched[0].closed_at < second
