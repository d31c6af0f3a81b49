"""Backfill on the session's real stack and worker: ``veille backfill`` sends four days of past counts of a
new watch to the crisis agent (topic watch.backfill), and a burst of complaints in the watch's first live
hour raises an alert, while the same burst on a watch without backfill raises none (a day of warm-up).
The Kafka log then gives the history of the mentions the worker has tagged."""

from __future__ import annotations

import asyncio
import csv
import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from test_crisis_end_to_end import ANGRY, mention, send, wait_for

from pipeline.stack import tail

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def veille(stack_env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], env={**os.environ, **stack_env},
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def past_counts(path: Path, end: datetime, days: int = 4) -> Path:
    """Five-minute counts of an ordinary watch (about 30 mentions an hour, a few negative, rare complaints)."""
    rng = random.Random(3)
    moment = end - timedelta(days=days)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "volume", "negative", "complaint", "troll"])
        while moment + timedelta(minutes=5) <= end:
            volume = sum(rng.random() < 0.25 for _ in range(10))
            negative = sum(rng.random() < 0.2 for _ in range(volume))
            writer.writerow([moment.isoformat(), volume, negative, int(rng.random() < 0.02), 0])
            moment += timedelta(minutes=5)
    return path


def test_backfill_first_hour_burst_alerts_only_on_the_backfilled_watch(settings, worker, alert_receiver, stack_env,
                                                                     tmp_path):
    letters = "bcdfghjklmnpqrstvwxz"
    backfilled = "bfill" + "".join(random.choices(letters, k=8))
    blind = "blind" + "".join(random.choices(letters, k=8))
    now = datetime.now(UTC)
    csv_file = past_counts(tmp_path / "counts.csv", now - timedelta(minutes=10))
    done = veille(stack_env, "backfill", backfilled, "--csv", str(csv_file))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"sent to {settings.topic('watch.backfill')}" in done.stdout
    learnt = wait_for(lambda: f"backfill of watch {backfilled}" in tail(worker.log_file, 2000), 60,
                      "the crisis agent to learn the backfill")
    assert learnt and "learnt 1152 of 1152 interval(s) of 300 s" in tail(worker.log_file, 2000)

    rng = random.Random(11)
    earlier = datetime.now(UTC) - timedelta(hours=2)  # the blind watch's first mentions: still in its warm-up
    burst = [mention(blind, 1000 + k, f"Flying {blind.capitalize()} tomorrow, any tips? {k}", earlier + timedelta(minutes=3 * k))
             for k in range(20)]
    for k in range(150):  # the first mentions either watch ever gets: a burst of complaints
        at = datetime.now(UTC) + timedelta(milliseconds=200 * k)
        text = rng.choice(ANGRY)
        burst += [mention(backfilled, k, text.format(w=backfilled.capitalize()) + f" {k}", at),
                  mention(blind, k, text.format(w=blind.capitalize()) + f" {k}", at)]
    asyncio.run(send(settings, burst))
    delivered = alert_receiver.wait_for(backfilled, 90)
    assert delivered is not None, "no alert on the backfilled watch within 90 s of its first-hour burst"
    alert = delivered["body"]["alert"]
    assert alert["kind"] == "complaint_spike" and alert["state"] == "open" and alert["baseline"] < 5

    es = Elasticsearch(settings.elasticsearch.url)
    wait_for(lambda: es.count(index=settings.mentions_index, query={"term": {"watch": blind}})["count"] >= 170, 60,
             "the blind watch's burst to be indexed")
    time.sleep(45)  # longer than the partitions' idle time (30 s): the blind watch's last tick has been assessed
    assert alert_receiver.alerts(blind) == [], "a watch without history alerted during its warm-up"

    from_log = veille(stack_env, "backfill", blind, "--kafka", "--dry-run")
    assert from_log.returncode == 0, from_log.stderr[-2000:]
    assert f": 170 mention(s) of {blind}" in from_log.stdout
    # the interval still filling (the burst's, now) is left out of a history read up to now
    counted = re.search(r"\(volume (\d+), negative (\d+), complaint (\d+), troll 0\)", from_log.stdout)
    assert counted and 20 <= int(counted[1]) <= 170 and int(counted[2]) <= int(counted[1]) - 20, from_log.stdout
