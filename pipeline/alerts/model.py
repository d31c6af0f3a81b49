"""The alert model and its lifecycle, as pure functions.

One crisis is one :class:`Alert`, found again by its ``dedup_key`` (``<incident>:<watch>``): spikes of
total, negative and complaint volume of a watch are one incident (``crisis``), a troll spike another
(``troll``: the community manager answers it differently), so a bad buzz that first shows as volume,
then as negative mentions, then as complaints stays one alert whose ``kind`` follows the strongest signal.
:func:`apply_detection` folds each new :class:`Detection` of the crisis agent into it:

- no alert yet → a new open alert, notified;
- an open or acknowledged alert → updated in place. Its severity follows the detection, down as well
  as up; it is notified again only when the severity rises above the highest it was notified at
  (``peak_severity``: a crisis that wavers around the critical threshold calls once, not at every
  crossing) or, when the last notification is older than the cooldown (a reminder that it goes on);
- a resolved alert → after an automatic resolution, any detection opens a brand-new alert (new id, same
  dedup key): the series was back to normal long enough for this to be a new spike. After a person
  resolved it, a detection within the cooldown is an aftershock and is ignored, unless it is more severe
  than the resolved alert, which then re-opens; after the cooldown the detection opens a new alert.

:func:`auto_resolve` closes an open or acknowledged alert (``resolved_by: auto``) once its series has
been back to normal for a set time. :func:`acknowledge` and :func:`resolve` move an alert along open →
acknowledged → resolved and raise :class:`InvalidTransition` on anything else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import categories
from pipeline.timestamps import as_utc

MAX_SAMPLE_IDS = 20
MAX_TOP_TERMS = 10


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.info: 0, Severity.warning: 1, Severity.critical: 2}


class AlertState(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


# the crisis series of the categories that have one (pipeline/categories.py): complaint_spike, troll_spike
CATEGORY_SERIES = categories.spiking()
AlertKind = Literal[("negative_spike", *CATEGORY_SERIES, "volume_spike", "trend")]
Verdict = Literal["organic", "troll_raid"]
AlertEvent = Literal["opened", "updated", "escalated", "reminded", "reopened", "acknowledged", "resolved"]
AUTO = "auto"


INCIDENT_OF_KIND = {"volume_spike": categories.CRISIS_INCIDENT, "negative_spike": categories.CRISIS_INCIDENT,
                    **{series: category.spike_incident for series, category in CATEGORY_SERIES.items()},
                    "trend": "trend"}


def dedup_key(watch: str, kind: str) -> str:
    return f"{INCIDENT_OF_KIND.get(kind, kind)}:{watch}"


class Detection(BaseModel):
    """What the crisis agent found in one evaluation of one watch: the input of :func:`apply_detection`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    watch: str = Field(min_length=1)
    kind: AlertKind
    severity: Severity
    title: str = Field(min_length=1)
    explanation: str = ""
    top_terms: list[str] = Field(default_factory=list)
    sample_ids: list[str] = Field(default_factory=list)
    baseline: float | None = None
    observed: float | None = None
    score: float | None = None
    verdict: Verdict | None = None
    fake_share: float | None = Field(None, ge=0.0, le=1.0, description="share of its mentions (the evidence kept) "
                                     "from likely fake or automated accounts")

    @property
    def dedup_key(self) -> str:
        return dedup_key(self.watch, self.kind)


class Alert(BaseModel):
    """A crisis as the community manager sees it. Serialises to the JSON of the ``alerts`` topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    dedup_key: str
    watch: str
    kind: AlertKind
    severity: Severity
    state: AlertState = AlertState.open
    last_event: AlertEvent = "opened"
    opened_at: datetime
    updated_at: datetime
    notified_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    title: str
    explanation: str = ""
    top_terms: list[str] = Field(default_factory=list)
    sample_ids: list[str] = Field(default_factory=list)
    baseline: float | None = None
    observed: float | None = None
    score: float | None = None
    verdict: Verdict | None = None
    fake_share: float | None = Field(None, description="share of its mentions from likely fake or automated accounts")
    update_count: int = Field(0, ge=0, description="detections folded into this alert after the one that opened it")
    peak_severity: Severity | None = Field(None, description="the highest severity a person was told of")

    @field_validator("opened_at", "updated_at", "notified_at", "acknowledged_at", "resolved_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @property
    def active(self) -> bool:
        return self.state is not AlertState.resolved


class InvalidTransition(ValueError):
    """An acknowledge or resolve that the alert's current state does not allow."""


def new_alert_id(key: str, opened_at: datetime) -> str:
    """Deterministic, so that replaying the same detections gives the same alert ids."""
    return f"{key}:{as_utc(opened_at):%Y%m%dT%H%M%SZ}"


def _merge(first: list[str], second: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys([*first, *second]))[:limit]


def _open(detection: Detection, now: datetime) -> Alert:
    return Alert(
        id=new_alert_id(detection.dedup_key, now),
        dedup_key=detection.dedup_key,
        watch=detection.watch,
        kind=detection.kind,
        severity=detection.severity,
        state=AlertState.open,
        last_event="opened",
        opened_at=now,
        updated_at=now,
        notified_at=now,
        peak_severity=detection.severity,
        title=detection.title,
        explanation=detection.explanation,
        top_terms=detection.top_terms[:MAX_TOP_TERMS],
        sample_ids=detection.sample_ids[:MAX_SAMPLE_IDS],
        baseline=detection.baseline,
        observed=detection.observed,
        score=detection.score,
        verdict=detection.verdict,
        fake_share=detection.fake_share,
    )


def _content(alert: Alert) -> tuple:
    return (alert.kind, alert.severity, alert.title, alert.explanation, alert.top_terms, alert.sample_ids,
            alert.baseline, alert.observed, alert.score, alert.verdict, alert.state)


def apply_detection(
    existing: Alert | None, detection: Detection, now: datetime, cooldown: timedelta
) -> tuple[Alert, bool, bool]:
    """Fold ``detection`` into the alert of its crisis. Returns ``(alert, changed, should_notify)``.

    ``changed`` says whether the returned alert differs from ``existing`` (publish it); ``should_notify``
    whether a person must be told now (deliver it). A new alert is both.
    """
    now = as_utc(now)
    if existing is not None and existing.dedup_key != detection.dedup_key:
        raise ValueError(f"detection {detection.dedup_key!r} does not belong to alert {existing.dedup_key!r}")
    if existing is None:
        return _open(detection, now), True, True

    peak = existing.peak_severity or existing.severity
    escalates = detection.severity.rank > peak.rank
    if not existing.active:
        if existing.resolved_by == AUTO or now - existing.resolved_at >= cooldown:
            return _open(detection, now), True, True
        if not escalates:
            return existing, False, False
        reopened = _updated(existing, detection, now).model_copy(update={
            "state": AlertState.open, "last_event": "reopened", "notified_at": now, "peak_severity": detection.severity,
            "resolved_at": None, "resolved_by": None, "acknowledged_at": None, "acknowledged_by": None,
        })
        return reopened, True, True

    updated = _updated(existing, detection, now)
    if _content(updated) == _content(existing):
        return existing, False, False
    if escalates:
        return updated.model_copy(update={"last_event": "escalated", "notified_at": now,
                                          "peak_severity": detection.severity}), True, True
    if existing.notified_at is None or now - existing.notified_at >= cooldown:
        return updated.model_copy(update={"last_event": "reminded", "notified_at": now}), True, True
    return updated, True, False


def _updated(existing: Alert, detection: Detection, now: datetime) -> Alert:
    return existing.model_copy(update={
        "severity": detection.severity,
        "kind": detection.kind,
        "last_event": "updated",
        "updated_at": now,
        "title": detection.title,
        "explanation": detection.explanation or existing.explanation,
        "top_terms": _merge(detection.top_terms, existing.top_terms, MAX_TOP_TERMS),
        "sample_ids": _merge(existing.sample_ids, detection.sample_ids, MAX_SAMPLE_IDS),
        "baseline": detection.baseline if detection.baseline is not None else existing.baseline,
        "observed": detection.observed if detection.observed is not None else existing.observed,
        "score": detection.score if detection.score is not None else existing.score,
        "verdict": detection.verdict or existing.verdict,
        "fake_share": detection.fake_share if detection.fake_share is not None else existing.fake_share,
        "update_count": existing.update_count + 1,
    })


def auto_resolve(alert: Alert | None, last_spiking: datetime | None, now: datetime, quiet: timedelta) -> Alert | None:
    """The alert resolved by ``auto`` if its series, last seen spiking at ``last_spiking``, has been back to
    normal for ``quiet`` by ``now`` (event time), acknowledged or not; else None. It is resolved at the
    moment the quiet time was reached, so a replay resolves it at the same time however it is batched."""
    if alert is None or not alert.active or last_spiking is None:
        return None
    last_spiking = max(as_utc(last_spiking), alert.opened_at)
    if as_utc(now) - last_spiking < quiet:
        return None
    at = last_spiking + quiet
    return alert.model_copy(update={
        "state": AlertState.resolved, "last_event": "resolved", "resolved_at": at, "resolved_by": AUTO,
        "updated_at": max(at, alert.updated_at),
    })


def acknowledge(alert: Alert, who: str, now: datetime) -> Alert:
    """Someone is on it: open → acknowledged."""
    if not who.strip():
        raise ValueError("acknowledge needs the name of who acknowledges")
    if alert.state is not AlertState.open:
        detail = (f"already acknowledged by {alert.acknowledged_by} at {alert.acknowledged_at:%Y-%m-%d %H:%M}Z"
                  if alert.state is AlertState.acknowledged
                  else f"already resolved at {alert.resolved_at:%Y-%m-%d %H:%M}Z")
        raise InvalidTransition(f"cannot acknowledge alert {alert.id}: it is {detail}")
    now = as_utc(now)
    return alert.model_copy(update={
        "state": AlertState.acknowledged, "last_event": "acknowledged",
        "acknowledged_at": now, "acknowledged_by": who, "updated_at": now,
    })


def resolve(alert: Alert, who: str, now: datetime) -> Alert:
    """The crisis is over: open or acknowledged → resolved."""
    if not who.strip():
        raise ValueError("resolve needs the name of who resolves")
    if alert.state is AlertState.resolved:
        raise InvalidTransition(
            f"cannot resolve alert {alert.id}: it was already resolved by {alert.resolved_by} "
            f"at {alert.resolved_at:%Y-%m-%d %H:%M}Z")
    now = as_utc(now)
    return alert.model_copy(update={
        "state": AlertState.resolved, "last_event": "resolved",
        "resolved_at": now, "resolved_by": who, "updated_at": now,
    })
