from pathlib import Path

import pytest

from pipeline.topics import ExistingTopic, TopicSpec, load_topics, plan_topics

ROOT = Path(__file__).resolve().parents[2]


def test_topics_yaml_declares_every_topic_the_pipeline_uses():
    names = {spec.name for spec in load_topics(ROOT / "topics.yaml")}
    assert {"mentions.raw", "mentions.enriched", "mentions.deadletter", "trends", "alerts", "connector.state"} <= names


def test_topics_state_topics_are_compacted():
    specs = {spec.name: spec for spec in load_topics(ROOT / "topics.yaml")}
    assert specs["connector.state"].cleanup_policy == "compact"
    assert specs["alerts"].cleanup_policy == "compact"


def test_topics_plan_creates_missing_and_reports_drift():
    specs = [
        TopicSpec(name="a", partitions=3, retention_ms=1000),
        TopicSpec(name="b", partitions=2, retention_ms=1000),
        TopicSpec(name="c", partitions=1, retention_ms=-1, cleanup_policy="compact"),
    ]
    existing = {
        "t.b": ExistingTopic(partitions=4),
        "t.c": ExistingTopic(partitions=1, configs={"cleanup.policy": "delete", "retention.ms": "-1"}),
    }
    plan = plan_topics(specs, existing, prefix="t.")
    assert [s.name for s in plan.to_create] == ["a"]
    assert any("t.b: 4 partitions" in line for line in plan.drift)
    assert any("cleanup.policy=delete" in line for line in plan.drift)
    assert plan.in_sync == []


def test_topics_plan_in_sync_when_broker_matches():
    spec = TopicSpec(name="a", partitions=3, retention_ms=1000)
    plan = plan_topics([spec], {"a": ExistingTopic(3, {"retention.ms": "1000"})})
    assert plan.in_sync == ["a"] and not plan.drift and not plan.to_create


def test_topics_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text("topics:\n  - {name: a, partitions: 1, retention_ms: 1}\n  - {name: a, partitions: 2, retention_ms: 1}\n")
    with pytest.raises(ValueError, match="declared twice"):
        load_topics(path)
