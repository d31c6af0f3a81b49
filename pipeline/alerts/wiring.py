"""Build the alert delivery of a running worker from ``alerting.yaml`` (``VEILLE_ALERTING_FILE``)."""

from __future__ import annotations

import logging
import os

import httpx

from pipeline.alerts.channels import KafkaSend, build_channels
from pipeline.alerts.delivery import AlertDelivery
from pipeline.alerts.outbox import OutboxStore
from pipeline.alerts.routing import (
    AlertingConfigError,
    load_alerting_config,
    resolve_channels,
)
from pipeline.settings import Settings

log = logging.getLogger(__name__)


def outbox_for(settings: Settings) -> OutboxStore:
    return OutboxStore(settings.data_dir / "alerts-outbox")


def delivery_from_settings(settings: Settings, client: httpx.AsyncClient, kafka_send: KafkaSend) -> AlertDelivery | None:
    """The delivery of ``settings.alerting_file``; None (alerts stay in Elasticsearch and the alerts topic)
    when there is no such file or it cannot be used, which is logged as an error."""
    path = settings.alerting_file
    if not path.exists():
        log.warning("no alert routing file at %s: alerts go to Elasticsearch and the alerts topic only", path)
        return None
    try:
        config = load_alerting_config(path)
        resolved = resolve_channels(config, os.environ)
    except AlertingConfigError as exc:
        log.error("alert routing file %s unusable, alerts will not be delivered: %s", path, exc)
        return None
    return AlertDelivery(config, build_channels(resolved, client, kafka_send), outbox_for(settings))
