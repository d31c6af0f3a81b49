"""Alert lifecycle: one crisis is one alert; re-notify on escalation or after the cooldown; clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.alerts.model import (
    Alert,
    AlertState,
    Detection,
    InvalidTransition,
    Severity,
    acknowledge,
    apply_detection,
    auto_resolve,
    resolve,
)

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
COOLDOWN = timedelta(hours=2)


def detection(severity: str = "warning", observed: float = 120.0, **changes) -> Detection:
    fields = dict(watch="acme", kind="negative_spike", severity=severity, title="Negative mentions of acme surge",
                  explanation="120 negative mentions in the last hour against 12 usually.",
                  top_terms=["refund", "broken"], sample_ids=["twitter:1", "twitter:2"],
                  baseline=12.0, observed=observed, score=7.5)
    return Detection(**{**fields, **changes})


def test_alerts_model_first_detection_opens_and_notifies():
    alert, changed, notify = apply_detection(None, detection(), T0, COOLDOWN)
    assert (changed, notify) == (True, True)
    assert alert.state is AlertState.open and alert.last_event == "opened"
    assert alert.dedup_key == "crisis:acme"
    assert alert.id.startswith("crisis:acme:") and alert.opened_at == T0
    assert alert.update_count == 0


def test_alerts_model_same_severity_within_cooldown_updates_quietly():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    later = T0 + timedelta(minutes=10)
    updated, changed, notify = apply_detection(alert, detection(observed=180.0, sample_ids=["twitter:3"]), later, COOLDOWN)
    assert (changed, notify) == (True, False)
    assert updated.id == alert.id and updated.update_count == 1
    assert updated.observed == 180.0 and updated.updated_at == later
    assert updated.sample_ids == ["twitter:1", "twitter:2", "twitter:3"]


def test_alerts_model_identical_detection_changes_nothing():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    again, changed, notify = apply_detection(alert, detection(), T0 + timedelta(minutes=5), COOLDOWN)
    assert again is alert and (changed, notify) == (False, False)


def test_alerts_model_escalation_renotifies_and_severity_goes_down_quietly():
    alert, _, _ = apply_detection(None, detection("warning"), T0, COOLDOWN)
    escalated, changed, notify = apply_detection(alert, detection("critical", observed=400.0), T0 + timedelta(minutes=5), COOLDOWN)
    assert (changed, notify) == (True, True)
    assert escalated.severity is Severity.critical and escalated.last_event == "escalated"
    calmer, changed, notify = apply_detection(escalated, detection("warning", observed=150.0), T0 + timedelta(minutes=10), COOLDOWN)
    assert calmer.severity is Severity.warning and changed and notify is False
    # back to critical: the person was told of critical already, so no second call within the cooldown
    again, changed, notify = apply_detection(calmer, detection("critical", observed=420.0), T0 + timedelta(minutes=15), COOLDOWN)
    assert again.severity is Severity.critical and changed and notify is False and again.peak_severity is Severity.critical


def test_alerts_model_same_severity_after_cooldown_reminds():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    reminder, changed, notify = apply_detection(alert, detection(observed=130.0), T0 + COOLDOWN, COOLDOWN)
    assert (changed, notify) == (True, True)
    assert reminder.id == alert.id and reminder.last_event == "reminded" and reminder.notified_at == T0 + COOLDOWN


def test_alerts_model_acknowledged_alert_still_escalates():
    alert, _, _ = apply_detection(None, detection("warning"), T0, COOLDOWN)
    acked = acknowledge(alert, "camille", T0 + timedelta(minutes=3))
    escalated, _, notify = apply_detection(acked, detection("critical"), T0 + timedelta(minutes=6), COOLDOWN)
    assert notify is True
    assert escalated.state is AlertState.acknowledged and escalated.acknowledged_by == "camille"


def test_alerts_model_resolved_alert_ignores_aftershock_within_cooldown():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    done = resolve(alert, "camille", T0 + timedelta(hours=1))
    same, changed, notify = apply_detection(done, detection(), T0 + timedelta(hours=2), COOLDOWN)
    assert same is done and (changed, notify) == (False, False)


def test_alerts_model_resolved_alert_reopens_on_escalation_within_cooldown():
    alert, _, _ = apply_detection(None, detection("warning"), T0, COOLDOWN)
    done = resolve(alert, "camille", T0 + timedelta(hours=1))
    reopened, changed, notify = apply_detection(done, detection("critical"), T0 + timedelta(hours=2), COOLDOWN)
    assert (changed, notify) == (True, True)
    assert reopened.id == alert.id and reopened.state is AlertState.open and reopened.last_event == "reopened"
    assert reopened.resolved_at is None and reopened.severity is Severity.critical


def test_alerts_model_resolved_alert_gives_new_alert_after_cooldown():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    done = resolve(alert, "camille", T0 + timedelta(hours=1))
    fresh, changed, notify = apply_detection(done, detection(), T0 + timedelta(hours=3, minutes=1), COOLDOWN)
    assert (changed, notify) == (True, True)
    assert fresh.id != done.id and fresh.dedup_key == done.dedup_key
    assert fresh.state is AlertState.open and fresh.update_count == 0


def test_alerts_model_rejects_detection_of_another_crisis():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    with pytest.raises(ValueError, match="does not belong"):
        apply_detection(alert, detection(kind="troll_spike"), T0, COOLDOWN)


def test_alerts_model_volume_negative_and_complaint_spikes_are_one_crisis_that_follows_the_latest_kind():
    alert, _, _ = apply_detection(None, detection(kind="volume_spike"), T0, COOLDOWN)
    updated, changed, _ = apply_detection(alert, detection(kind="complaint_spike"), T0 + timedelta(minutes=1), COOLDOWN)
    assert changed and updated.id == alert.id and updated.kind == "complaint_spike"
    troll, _, _ = apply_detection(None, detection(kind="troll_spike"), T0, COOLDOWN)
    assert troll.dedup_key == "troll:acme" != alert.dedup_key


def test_alerts_model_acknowledge_then_resolve_records_who_and_when():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    acked = acknowledge(alert, "camille", T0 + timedelta(minutes=1))
    done = resolve(acked, "sam", T0 + timedelta(minutes=30))
    assert (acked.acknowledged_by, acked.acknowledged_at) == ("camille", T0 + timedelta(minutes=1))
    assert done.state is AlertState.resolved and done.resolved_by == "sam" and done.acknowledged_by == "camille"


@pytest.mark.parametrize("steps, action, message", [
    (["ack"], acknowledge, "already acknowledged by camille"),
    (["resolve"], acknowledge, "already resolved"),
    (["resolve"], resolve, "already resolved by camille"),
])
def test_alerts_model_invalid_transitions_raise(steps, action, message):
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    for step in steps:
        alert = (acknowledge if step == "ack" else resolve)(alert, "camille", T0 + timedelta(minutes=1))
    with pytest.raises(InvalidTransition, match=message):
        action(alert, "sam", T0 + timedelta(minutes=2))


def test_alerts_model_round_trips_through_json_in_utc():
    alert, _, _ = apply_detection(None, detection(verdict="troll_raid"), datetime(2026, 5, 4, 11, 0), COOLDOWN)
    again = Alert.model_validate_json(alert.model_dump_json())
    assert again == alert and again.opened_at.tzinfo is not None and again.verdict == "troll_raid"


QUIET = timedelta(minutes=60)


def test_alerts_model_auto_resolve_closes_an_alert_quiet_long_enough_at_the_moment_it_was():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    last_spiking = T0 + timedelta(minutes=20)
    assert auto_resolve(alert, last_spiking, last_spiking + QUIET - timedelta(seconds=1), QUIET) is None
    resolved = auto_resolve(alert, last_spiking, last_spiking + timedelta(hours=5), QUIET)
    assert resolved.state is AlertState.resolved and resolved.resolved_by == "auto"
    assert resolved.resolved_at == last_spiking + QUIET and resolved.last_event == "resolved"
    assert auto_resolve(resolved, last_spiking, last_spiking + timedelta(hours=6), QUIET) is None


def test_alerts_model_acknowledged_alert_still_auto_resolves():
    alert, _, _ = apply_detection(None, detection(), T0, COOLDOWN)
    acked = acknowledge(alert, "camille", T0 + timedelta(minutes=3))
    resolved = auto_resolve(acked, T0, T0 + QUIET, QUIET)
    assert resolved.state is AlertState.resolved and resolved.resolved_by == "auto"
    assert resolved.acknowledged_by == "camille"


def test_alerts_model_spike_after_auto_resolution_opens_a_new_alert_even_within_the_cooldown():
    alert, _, _ = apply_detection(None, detection("critical"), T0, COOLDOWN)
    resolved = auto_resolve(alert, T0, T0 + QUIET, QUIET)
    later = T0 + QUIET + timedelta(minutes=5)  # well within the 2 h cooldown
    fresh, changed, notify = apply_detection(resolved, detection("warning"), later, COOLDOWN)
    assert (changed, notify) == (True, True)
    assert fresh.id != alert.id and fresh.state is AlertState.open and fresh.opened_at == later
    assert fresh.severity is Severity.warning and fresh.update_count == 0
