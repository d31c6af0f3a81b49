"""Bounded by design: one busy watch for 30 simulated days (5,000 mentions a day of 2,000-character posts,
two crisis bursts) through the pure functions the agents run — signals, their records, the crisis
monitor, the trend tracker, alerts and trend events — and every record they would write stays under
256 KB while the state stays flat (day 10 against day 30)."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson

from pipeline.alerts.model import apply_detection, auto_resolve
from pipeline.trends.crisis import CrisisConfig, WatchMonitor
from pipeline.trends.records import MAX_STATE_RECORD_BYTES, read_state, state_records
from pipeline.trends.signals import signal_records, signals_for
from pipeline.trends.spikes import SpikeConfig
from pipeline.trends.trending import TrendConfig, WatchTrends

RECORD_LIMIT = 256 * 1024
T0 = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
PER_DAY = 5000
BATCH = 500


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(size)]


def _post(rng: random.Random, words: list[str], tags: list[str], angry: bool) -> str:
    parts, size = [], 0
    while size < 2000:
        word = rng.choice(tags) if rng.random() < 0.01 else rng.choice(words)
        parts.append(word)
        size += len(word) + 1
    if angry:
        parts[:6] = ["Lumio", "refund", "now", "#lumiofail", "broken", "again"]
    return " ".join(parts)[:2000]


def test_crisis_bounds_thirty_busy_days_keep_every_record_under_256_kb_and_the_state_flat():
    rng = random.Random(11)
    words, tags = _vocabulary(rng, 6000), [f"#{w}" for w in _vocabulary(rng, 300)]
    # 200 distinct posts are tagged for real; the stream reuses them under new ids, times and authors
    documents = [{"id": f"reddit:p{k}", "text": _post(rng, words, tags, angry=k >= 180), "watch": ["Lumio"],
                  "created_at": T0.isoformat(), "sentiment": "negative" if k >= 150 else "neutral",
                  "categories": ["complaint"] if k >= 170 else [], "author": {"id": f"a{k}", "followers": k}}
                 for k in range(200)]
    pool = [signals_for(document, partition=0)[0] for document in documents]
    assert all(len(s.terms) == 48 for s in pool)

    config = CrisisConfig(spike=SpikeConfig(warmup=timedelta(hours=24)), source_partitions=6)
    monitor = WatchMonitor("Lumio", config)
    trends = WatchTrends("Lumio", TrendConfig())
    term_counts: dict[int, Counter] = {}  # what the agent keeps in its windowed table
    alerts: dict[str, object] = {}
    largest: Counter = Counter()
    state_sizes: dict[int, int] = {}
    saved_manifest: dict[str, bytes | None] = {"crisis": None, "trends": None}
    opened: list = []

    def measure(kind: str, value: bytes) -> None:
        largest[kind] = max(largest[kind], len(value))

    number = 0
    for day in range(DAYS):
        start = T0 + timedelta(days=day)
        moments = sorted(start + timedelta(seconds=rng.uniform(0, 86400)) for _ in range(PER_DAY))
        if day in (12, 25):  # a crisis: 800 angry complaints within 20 minutes at 18:00
            burst = start + timedelta(hours=18)
            moments = sorted(moments + [burst + timedelta(seconds=rng.uniform(0, 1200)) for _ in range(800)])
        for offset in range(0, len(moments), BATCH):
            batch = []
            for moment in moments[offset:offset + BATCH]:
                burst = day in (12, 25) and timedelta(hours=18) <= moment - start <= timedelta(hours=18, minutes=20)
                template = pool[rng.randrange(170, 200) if burst and rng.random() < 0.8 else rng.randrange(0, 170)]
                number += 1
                batch.append(dataclasses.replace(template, id=f"reddit:{number}", at=moment, author=f"u{number % 9000}",
                                                 partition=number % 6))
            for _, value in signal_records(batch):
                measure("watch.signals record", value)
            for signal in batch:
                monitor.observe(signal)
                window, tracked = trends.observe_terms(signal)
                term_counts.setdefault(window, Counter()).update(tracked)
            for moment, detections in monitor.advance():
                for detection in detections:
                    key = detection.dedup_key
                    resolved = auto_resolve(alerts.get(key), monitor.last_spiking(key.split(":")[0]), moment,
                                            timedelta(hours=1))
                    alerts[key] = resolved or alerts.get(key)
                    alert, changed, _ = apply_detection(alerts.get(key), detection, moment, timedelta(hours=1))
                    if alert.update_count == 0 and changed:
                        opened.append((moment.isoformat(), alert.kind, alert.severity.value))
                    alerts[key] = alert
                    measure("alerts record", alert.model_dump_json().encode())
            for window in trends.due():
                counts = term_counts.pop(window, Counter())
                for trend in trends.close(window, counts):
                    measure("trends record", orjson.dumps(trend))
        trend_history, trend_rest = trends.to_state_parts()
        for name, state in (("crisis", monitor.to_state()), ("trends", trend_history), ("trends open", trend_rest)):
            records, _ = state_records("Lumio", state, saved_manifest.get(name))
            saved_manifest[name] = records[-1][1]
            for _, value in records:
                measure(f"{name.split()[0]} changelog record", value)
            stored = dict(records)
            assert read_state("Lumio", stored.get) == orjson.loads(orjson.dumps(state))
            state_sizes.setdefault(name, {})[day] = len(orjson.dumps(state))

    print({kind: f"{size / 1024:.1f} KB" for kind, size in largest.items()})
    print({name: {day: f"{size / 1024:.0f} KB" for day, size in sizes.items() if day in (9, 19, 29)}
           for name, sizes in state_sizes.items()})
    assert set(largest) >= {"watch.signals record", "alerts record", "trends record", "crisis changelog record",
                            "trends changelog record"}
    assert all(size <= RECORD_LIMIT for size in largest.values()), largest
    assert largest["crisis changelog record"] <= MAX_STATE_RECORD_BYTES
    print(opened)
    # the first crisis raised an alert: the bounds did not blind the monitor (whether the second does is the
    # spike detector's business: pipeline/trends/spikes.py)
    assert "2026-10-13" in {at[:10] for at, _, _ in opened}
    for name, sizes in state_sizes.items():
        assert sizes[29] <= 1.15 * sizes[9], (name, sizes[9], sizes[29])  # flat: no growth with the days
    restored = WatchMonitor.from_state(orjson.loads(orjson.dumps(monitor.to_state())), config)
    assert restored.to_state() == orjson.loads(orjson.dumps(monitor.to_state()))
