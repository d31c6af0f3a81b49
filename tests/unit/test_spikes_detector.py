"""The online spike detector: baseline, warm-up, minimum volume, cooldown, quantile gate."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pipeline.trends.spikes import SpikeConfig, SpikeDetector, detect_spikes

START = datetime(2026, 3, 2, tzinfo=UTC)
STEP = timedelta(minutes=5)


def daily_counts(days: int, seed: int = 7, mean: float = 40.0, swing: float = 25.0) -> list[tuple[datetime, float]]:
    """Poisson counts every five minutes around a daily cycle (quiet at night, busy in the afternoon)."""
    rng = np.random.default_rng(seed)
    points = []
    for step in range(days * 288):
        moment = START + step * STEP
        hour = moment.hour + moment.minute / 60
        rate = mean + swing * math.sin(2 * math.pi * (hour - 9) / 24)
        points.append((moment, float(rng.poisson(rate))))
    return points


def with_burst(points, start_index: int, length: int, extra: float):
    return [(t, v + extra if start_index <= i < start_index + length else v) for i, (t, v) in enumerate(points)]


def alerts_of(points, config: SpikeConfig | None = None) -> list[int]:
    return [i for i, scored in enumerate(detect_spikes(points, config)) if scored.alert]


def test_spikes_quiet_seasonal_series_never_alerts():
    assert alerts_of(daily_counts(days=10)) == []


def test_spikes_burst_after_warmup_gives_one_alert_at_its_start():
    points = daily_counts(days=10)
    burst_start = 8 * 288 + 120  # day 8, 10:00
    alerts = alerts_of(with_burst(points, burst_start, length=36, extra=200))
    assert len(alerts) == 1
    assert burst_start <= alerts[0] < burst_start + 12


def test_spikes_no_alert_during_warmup():
    points = daily_counts(days=10)
    config = SpikeConfig(warmup=timedelta(days=3))
    early_burst = with_burst(points, 2 * 288 + 120, length=36, extra=200)
    assert alerts_of(early_burst, config) == []
    assert alerts_of(early_burst, SpikeConfig(warmup=timedelta(days=1))) != []


def test_spikes_minimum_volume_blocks_tiny_bursts_on_a_silent_series():
    silent = [(START + i * STEP, 0.0) for i in range(6 * 288)]
    small_burst = with_burst(silent, 5 * 288, length=1, extra=12)
    assert alerts_of(small_burst, SpikeConfig(min_volume=20)) == []
    assert alerts_of(small_burst, SpikeConfig(min_volume=5)) == [5 * 288]


def test_spikes_cooldown_turns_two_close_bursts_into_one_alert():
    points = daily_counts(days=12)
    first, second = 8 * 288 + 120, 8 * 288 + 120 + 6 * 12  # six hours apart
    both = with_burst(with_burst(points, first, 12, 300), second, 12, 300)
    assert len(alerts_of(both, SpikeConfig(cooldown=timedelta(hours=12)))) == 1
    assert len(alerts_of(both, SpikeConfig(cooldown=timedelta(hours=2)))) == 2


def test_spikes_daily_peak_is_expected_but_same_volume_at_night_is_a_spike():
    days = 9
    points = []
    for step in range(days * 288):
        moment = START + step * STEP
        points.append((moment, 60.0 if moment.hour == 14 else 5.0))
    assert alerts_of(points) == []
    night = 8 * 288 + 3 * 12  # day 8, 03:00
    alerts = alerts_of(with_burst(points, night, length=12, extra=55))
    assert len(alerts) == 1 and night <= alerts[0] < night + 12


def test_spikes_always_bursty_series_needs_a_bigger_burst_than_its_usual_ones():
    points = daily_counts(days=12)
    for day in range(1, 12):  # a 30-minute surge every day, each day at another hour
        points = with_burst(points, day * 288 + ((3 + 5 * day) % 24) * 12, length=6, extra=60)
    gate_off = SpikeConfig(quantile=0.0)
    gate_on = SpikeConfig(quantile=0.99)
    assert len(alerts_of(points, gate_off)) > len(alerts_of(points, gate_on))
    big_start = 10 * 288 + 1 * 12  # day 10, 01:00, far from that day's usual surge
    big = with_burst(points, big_start, length=24, extra=400)
    assert any(big_start <= i < big_start + 12 for i in alerts_of(big, gate_on))


def test_spikes_update_returns_score_and_alert_like_detect_spikes():
    points = with_burst(daily_counts(days=9), 8 * 288 + 100, 24, 250)
    detector = SpikeDetector(SpikeConfig())
    by_hand = [detector.update(value, moment) for moment, value in points]
    by_function = [(scored.score, scored.alert) for scored in detect_spikes(points, SpikeConfig())]
    assert [(s.score, s.alert) for s in by_hand] == by_function
    assert by_hand[8 * 288 + 100 + 5].score > SpikeConfig().threshold


def test_spikes_out_of_order_point_is_scored_but_not_learnt():
    points = daily_counts(days=4)
    detector = SpikeDetector(SpikeConfig())
    for moment, value in points:
        detector.update(value, moment)
    before = detector.baseline(points[-1][0] + STEP)
    detector.update(5000.0, points[-10][0])
    assert detector.baseline(points[-1][0] + STEP) == before


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_spikes_rejects_counts_that_are_not_counts(bad):
    with pytest.raises(ValueError):
        SpikeDetector().update(bad, START)


@pytest.mark.parametrize(
    "changes",
    [{"slot_minutes": 7}, {"threshold": 0}, {"quantile": 1.5}, {"window": timedelta(0)}, {"min_slot_samples": 0}],
)
def test_spikes_config_rejects_meaningless_settings(changes):
    with pytest.raises(ValueError):
        SpikeConfig(**changes)


@pytest.mark.parametrize("naive", [False, True])
def test_spikes_saved_state_goes_on_exactly_like_the_original(naive):
    points = with_burst(daily_counts(days=10), 9 * 288 + 40, 24, 250)
    if naive:
        points = [(moment.replace(tzinfo=None), value) for moment, value in points]
    split = 9 * 288
    original = SpikeDetector()
    for moment, value in points[:split]:
        original.update(value, moment)
    state = json.loads(json.dumps(original.to_state()))
    restored = SpikeDetector.from_state(state)
    rest = points[split:]
    resumed = [restored.update(v, t) for t, v in rest]
    uninterrupted = [original.update(v, t) for t, v in rest]
    assert resumed == uninterrupted
    assert any(point.alert for point in resumed)
