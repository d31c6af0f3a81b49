"""docker-compose.yml cannot run here (no Docker engine): validate it with docker-compose's own
`config` and check what a user's server relies on."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_compose_file_is_valid_for_docker_compose():
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_services_have_healthchecks(compose):
    for name in ("kafka", "elasticsearch", "kibana"):
        assert "healthcheck" in compose["services"][name], name


def test_compose_kafka_runs_in_kraft_mode(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]


def test_compose_init_waits_for_healthy_services_and_agents_wait_for_init(compose):
    services = compose["services"]
    assert services["init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["init"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert services["agents"]["depends_on"]["init"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", ["agents", "connector-replay"])
def test_compose_workers_can_be_scaled(compose, name):
    service = compose["services"][name]
    assert "container_name" not in service and "ports" not in service


def test_compose_points_veille_at_the_services(compose):
    env = compose["services"]["agents"]["environment"]
    assert env["VEILLE_KAFKA_BROKERS"] == "kafka:9092"
    assert env["VEILLE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"


def test_compose_init_creates_topics_templates_and_imports_dashboards(compose):
    init = compose["services"]["init"]
    command = " ".join(init["command"])
    assert "veille init" in command and "veille dashboards import --kibana http://kibana:5601" in command
    assert init["depends_on"]["kibana"]["condition"] == "service_healthy"
