"""The crisis agent's detector configuration from the settings: one place, so that the agent and the offline
replays (bench/bench_crisis_realstream.py) run the very same detector."""

from __future__ import annotations

from datetime import timedelta

from pipeline.settings import Settings
from pipeline.trends.crisis import CrisisConfig
from pipeline.trends.spikes import SpikeConfig


def crisis_config(settings: Settings, source_partitions: int | None) -> CrisisConfig:
    """``source_partitions``: of mentions.raw (the watermark waits for each); None: those seen so far."""
    return CrisisConfig(
        spike=SpikeConfig(
            threshold=settings.crisis_threshold, min_volume=settings.crisis_min_volume,
            window=timedelta(minutes=settings.crisis_window_minutes),
            history=timedelta(days=settings.crisis_history_days),
            warmup=timedelta(hours=settings.crisis_warmup_hours), cooldown=timedelta(0),
        ),
        interval=timedelta(seconds=settings.crisis_interval_seconds),
        tick=timedelta(seconds=settings.crisis_tick_seconds),
        source_partitions=source_partitions,
        idle_after=timedelta(seconds=settings.crisis_idle_seconds),
        max_skew=timedelta(hours=settings.crisis_max_skew_hours),
        critical_threshold=max(settings.crisis_critical_threshold, settings.crisis_threshold),
    )


def alert_cooldown(settings: Settings) -> timedelta:
    """Reminder period of an alert, and quiet time after it is resolved."""
    return timedelta(minutes=settings.crisis_cooldown_minutes)


def auto_resolve_after(settings: Settings) -> timedelta:
    """How long (event time) a series must stay normal before its alert resolves by itself."""
    return timedelta(minutes=settings.crisis_auto_resolve_minutes)
