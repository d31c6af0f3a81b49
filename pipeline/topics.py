"""topics.yaml, the single list of topics: loading it, comparing it with a broker, creating what is missing.

:func:`plan_topics` is pure (spec + what the broker reports → what to create and what drifted);
:func:`apply_topics` does the I/O with kafka-python's admin client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.settings import Settings
from pipeline.sinks.kafka import kafka_connection_options
from pipeline.yaml_files import one_line, read_yaml

log = logging.getLogger(__name__)

RAW = "mentions.raw"
ENRICHED = "mentions.enriched"
DEADLETTER = "mentions.deadletter"
TRENDS = "trends"
ALERTS = "alerts"
SIGNALS = "watch.signals"
CONNECTOR_STATE = "connector.state"
FEEDBACK = "feedback"
ERASURES = "erasures"


class TopicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    partitions: int = Field(ge=1)
    replication_factor: int = Field(1, ge=1)
    retention_ms: int = Field(ge=-1)
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"

    def configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: list[TopicSpec]


class TopicsFileError(ValueError):
    """topics.yaml cannot be used; the message, one line, names the file and what is wrong."""


def load_topics(path: Path) -> list[TopicSpec]:
    data = read_yaml(path, TopicsFileError, hint=" (set VEILLE_TOPICS_FILE)")
    try:
        specs = TopicsFile.model_validate(data).topics
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p)[:60] for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()[:5])
        raise TopicsFileError(one_line(f"{path}: {problems}")) from None
    except RecursionError:
        raise TopicsFileError(one_line(f"{path}: nested too deeply")) from None
    names = [s.name for s in specs]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise TopicsFileError(one_line(f"{path}: topic(s) declared twice: {', '.join(sorted(duplicated))}"))
    return specs


@dataclass(frozen=True)
class ExistingTopic:
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)  # empty when the broker does not report them


@dataclass
class TopicPlan:
    to_create: list[TopicSpec] = field(default_factory=list)
    in_sync: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # one human sentence per difference


def plan_topics(specs: list[TopicSpec], existing: dict[str, ExistingTopic], prefix: str = "") -> TopicPlan:
    plan = TopicPlan()
    for spec in specs:
        name = prefix + spec.name
        found = existing.get(name)
        if found is None:
            plan.to_create.append(spec)
            continue
        differences = []
        if found.partitions != spec.partitions:
            differences.append(f"{name}: {found.partitions} partitions on the broker, {spec.partitions} in topics.yaml")
        for key, wanted in spec.configs().items():
            actual = found.configs.get(key)
            if actual is not None and actual != wanted:
                differences.append(f"{name}: {key}={actual} on the broker, {wanted} in topics.yaml")
        if differences:
            plan.drift.extend(differences)
        else:
            plan.in_sync.append(name)
    return plan


def kafka_client_options(settings: Settings) -> dict:
    """Connection options for kafka-python clients."""
    options = kafka_connection_options(settings)
    if settings.kafka.ca_file:
        options["ssl_cafile"] = str(settings.kafka.ca_file)
    return options


def describe_existing(admin, names: list[str]) -> dict[str, ExistingTopic]:
    from kafka.admin import ConfigResource, ConfigResourceType

    present = set(admin.list_topics())
    wanted = [n for n in names if n in present]
    existing: dict[str, ExistingTopic] = {}
    if not wanted:
        return existing
    for described in admin.describe_topics(wanted):
        configs: dict[str, str] = {}
        try:
            reply = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, described["name"])])
            configs = _configs_from_reply(reply, described["name"])
        except Exception as exc:  # some brokers (the embedded one) do not implement DescribeConfigs
            log.debug("describe_configs %s: %s", described["name"], exc)
        existing[described["name"]] = ExistingTopic(partitions=len(described["partitions"]), configs=configs)
    return existing


def _configs_from_reply(reply, name: str) -> dict[str, str]:
    configs: dict[str, str] = {}
    if isinstance(reply, dict):  # kafka-python >= 3
        for key, value in (reply.get("topic", {}).get(name) or {}).items():
            configs[key] = str(value.get("value") if isinstance(value, dict) else value)
        return configs
    for response in reply if isinstance(reply, list) else [reply]:
        for resource in getattr(response, "resources", []):
            for entry in resource[4]:
                configs[entry[0]] = entry[1]
    return configs


def apply_topics(settings: Settings) -> TopicPlan:
    """Create missing topics (idempotent) and return the plan, drift included."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    specs = load_topics(settings.topics_file)
    admin = KafkaAdminClient(client_id="veille-topics", **kafka_client_options(settings))
    try:
        existing = describe_existing(admin, [settings.topic(s.name) for s in specs])
        plan = plan_topics(specs, existing, settings.topic_prefix)
        for spec in plan.to_create:
            new = NewTopic(settings.topic(spec.name), spec.partitions, spec.replication_factor, topic_configs=spec.configs())
            try:
                admin.create_topics([new])
            except TopicAlreadyExistsError:
                log.info("topic %s appeared meanwhile", new.name)
        return plan
    finally:
        admin.close()
