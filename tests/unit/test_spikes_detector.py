"""The online spike detector: seasonal baselines, spread floors, warm-up, minimum volume, cooldown, peak gate, bounded state."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from pipeline.trends.spikes import POISSON_SQRT_SD, SpikeConfig, SpikeDetector, detect_spikes

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
    early_burst = with_burst(points, 2 * 288 + 120, length=36, extra=1000)
    assert alerts_of(early_burst, config) == []
    assert alerts_of(early_burst, SpikeConfig(warmup=timedelta(days=1))) != []


def test_spikes_minimum_volume_blocks_tiny_bursts_on_a_silent_series():
    silent = [(START + i * STEP, 0.0) for i in range(6 * 288)]
    small_burst = with_burst(silent, 5 * 288, length=1, extra=25)  # sqrt(25) / 0.5 = a score of 10
    assert alerts_of(small_burst, SpikeConfig(min_volume=30)) == []
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
    gate_off = SpikeConfig(threshold=3.0, peak_ratio=0.0)
    gate_on = SpikeConfig(threshold=3.0)  # three times the usual daily peak score
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
    [
        {"slot_minutes": 7},
        {"threshold": 0},
        {"quantile": 1.5},
        {"window": timedelta(0)},
        {"min_slot_samples": 0},
        {"min_weekday_samples": 0},
        {"history": timedelta(hours=12)},
        {"weeks": -1},
        {"relative_spread": -0.1},
        {"peak_days": 0},
        {"aftermath": timedelta(hours=-1)},
        {"aftermath_ratio": -0.5},
    ],
)
def test_spikes_config_rejects_meaningless_settings(changes):
    with pytest.raises(ValueError):
        SpikeConfig(**changes)


def test_spikes_aftershock_of_a_big_burst_does_not_alert_but_a_burst_as_big_does():
    points = daily_counts(days=12)
    big, aftershock, again = (day * 288 + 120 for day in (8, 9, 10))  # 10:00 on three days running
    points = with_burst(with_burst(with_burst(points, big, 24, 600), aftershock, 12, 150), again, 24, 600)

    def alerts_resumed(config: SpikeConfig, drop_peak: bool = False) -> list[int]:
        """Alerts of a detector saved and restored between the big burst and its aftershock."""
        detector = SpikeDetector(config)
        alerts = [i for i, (t, v) in enumerate(points[:big + 288]) if detector.update(v, t).alert]
        state = json.loads(json.dumps(detector.to_state()))
        if drop_peak:  # a state saved before the aftermath rule existed
            del state["episode_peak"]
        detector = SpikeDetector.from_state(state, config)
        return alerts + [big + 288 + i for i, (t, v) in enumerate(points[big + 288:]) if detector.update(v, t).alert]

    def bursts(alerts: list[int]) -> list[int]:
        return [start for start in (big, aftershock, again) if any(start <= i < start + 12 for i in alerts)]

    assert bursts(alerts_resumed(SpikeConfig())) == [big, again]  # 24 h later and smaller: an echo of the first
    assert bursts(alerts_resumed(SpikeConfig(aftermath=timedelta(0)))) == [big, aftershock, again]
    assert bursts(alerts_resumed(SpikeConfig(aftermath_ratio=0.0))) == [big, aftershock, again]
    assert bursts(alerts_resumed(SpikeConfig(), drop_peak=True)) == [big, aftershock, again]


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


def weekly_counts(weeks: int, weekday: float, weekend: float, seed: int = 5) -> list[tuple[datetime, float]]:
    """Poisson counts every five minutes, ``weekday`` per interval Monday to Friday and ``weekend`` at weekends."""
    rng = np.random.default_rng(seed)
    points = []
    for step in range(weeks * 7 * 288):
        moment = START + step * STEP  # START is a Monday
        points.append((moment, float(rng.poisson(weekend if moment.weekday() >= 5 else weekday))))
    return points


def test_spikes_weekday_baseline_sees_a_weekday_level_on_a_saturday_as_a_spike():
    points = weekly_counts(weeks=5, weekday=40, weekend=4)
    saturday = 4 * 7 * 288 + 5 * 288 + 10 * 12  # week 5, Saturday 10:00
    busy_saturday = [(t, 40.0 if saturday <= i < saturday + 24 else v) for i, (t, v) in enumerate(points)]
    with_weekdays = alerts_of(busy_saturday, SpikeConfig(weeks=4))
    hour_of_day_only = alerts_of(busy_saturday, SpikeConfig(weeks=0))
    assert any(saturday <= i < saturday + 24 for i in with_weekdays)
    assert not any(saturday <= i < saturday + 24 for i in hour_of_day_only)  # 5 weekdays in 7 make 40 the usual
    assert not any(i >= saturday + 24 for i in with_weekdays)  # Monday's return to 40 is not a spike


def test_spikes_one_silent_day_does_not_make_the_baseline_trivial():
    points = daily_counts(days=10)
    outage = range(7 * 288, 8 * 288)  # day 7: nothing counted
    with_outage = [(t, 0.0 if i in outage else v) for i, (t, v) in enumerate(points)]
    assert [i for i in alerts_of(with_outage) if i >= 8 * 288] == []


def test_spikes_relative_spread_keeps_a_modest_rise_on_a_steady_busy_series_quiet():
    steady = [(START + i * STEP, 100.0) for i in range(9 * 288)]
    bump = with_burst(steady, 8 * 288 + 120, length=12, extra=30)  # +30 % for an hour
    assert alerts_of(bump, SpikeConfig(relative_spread=0.1)) == []
    assert alerts_of(bump, SpikeConfig(relative_spread=0.0)) != []  # counting noise alone would call it a spike


def test_spikes_baseline_exists_from_the_first_day():
    points = daily_counts(days=1)
    detector = SpikeDetector(SpikeConfig(warmup=timedelta(hours=12)))
    for moment, value in points[: 12 * 12]:
        detector.update(value, moment)
    centre, spread, samples = detector.baseline(points[12 * 12][0])
    assert samples >= 6 and centre > 0 and spread > POISSON_SQRT_SD
    burst = with_burst(points, 12 * 12 + 6, length=12, extra=1500)
    assert any(12 * 12 + 6 <= i < 12 * 12 + 18 for i in alerts_of(burst, SpikeConfig(warmup=timedelta(hours=12))))


def test_spikes_state_stays_small_over_thirty_days():
    points = daily_counts(days=35, mean=400, swing=250)
    for day in range(3, 35, 4):
        points = with_burst(points, day * 288 + 100, length=24, extra=3000)
    detector = SpikeDetector()
    sizes = {}
    for i, (moment, value) in enumerate(points):
        detector.update(value, moment)
        if (i + 1) % (5 * 288) == 0:
            sizes[(i + 1) // 288] = len(json.dumps(detector.to_state()))
    assert sizes[35] < 16_000  # one Kafka record per watch and series: a few KB, whatever the run length
    assert sizes[35] <= sizes[30] * 1.05  # it has stopped growing once the longest history is full


def test_spikes_state_of_the_first_detector_version_starts_afresh():
    old_state = {"aware": True, "slots": {"10": [[1.0, 2.0]]}, "window": [], "scores": [],
                 "first_seen": 1.0, "last_seen": 1.0, "last_alert": None}
    restored = SpikeDetector.from_state(old_state)
    assert restored.to_state() == SpikeDetector().to_state()
