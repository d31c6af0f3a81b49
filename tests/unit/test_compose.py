"""docker-compose.yml cannot run here (no Docker engine): validate it with docker-compose's own `config`
(with .env.example as its env file, as the README's production steps do) and check what a user's server
relies on: every service, its health check, its command against the real `veille` CLI, the secrets."""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import typing
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import typer
import yaml

try:  # typer 0.2x ships its own copy of click
    from typer._click import Context as CliContext
    from typer._click.exceptions import UsageError
except ImportError:
    from click import Context as CliContext
    from click import UsageError

from pipeline.cli import app as veille_app
from pipeline.cli import load_commands
from pipeline.watches import SourceType
from pipeline.web.security import allowed_hosts

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"

PRODUCT_SERVICES = {"kafka", "elasticsearch", "es-setup", "kibana", "init", "dashboards", "agents", "connectors",
                    "webhook", "web", "retention"}
# What must never start with a default: without them the stack would run without security or login.
REQUIRED_SECRETS = {"ELASTIC_PASSWORD", "KIBANA_SYSTEM_PASSWORD", "VEILLE_ELASTICSEARCH_PASSWORD",
                    "VEILLE_WEB_TOKEN", "VEILLE_WEB_SECRET", "VEILLE_WEB_PUBLIC_ORIGIN"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}")
VEILLE_IMAGE = "veille:latest"

needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None,
                                   reason="Debian's docker-compose is not installed (apt-get install docker-compose)")


def docker_compose_config(env_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["docker-compose", "-f", str(COMPOSE), "--env-file", str(env_file), "config"],
                          capture_output=True, text=True, cwd=ROOT)


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    """The file as written (anchors merged), before docker-compose substitutes the variables."""
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def rendered() -> dict:
    """The file as docker-compose understands it with .env.example's values."""
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian's docker-compose is not installed (apt-get install docker-compose)")
    result = docker_compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def veille_services(config: dict) -> dict[str, dict]:
    return {name: s for name, s in config["services"].items() if s.get("image") == VEILLE_IMAGE}


def is_one_shot(service: dict) -> bool:
    return str(service.get("restart", "no")) == "no" or str(service["restart"]).startswith("on-failure")


def parse_veille_command(args: list[str]) -> CliContext:
    """Parse ``veille ARGS`` with the real CLI without running it: an unknown command, an unknown option or a
    missing argument raises UsageError."""
    load_commands()
    command = typer.main.get_command(veille_app)
    name, rest = "veille", list(args)
    while hasattr(command, "get_command") and rest and not rest[0].startswith("-"):
        sub = command.get_command(CliContext(command), rest[0])
        if sub is None:
            raise UsageError(f"no such command {rest[0]!r} under {name!r}")
        command, name, rest = sub, rest[0], rest[1:]
    return command.make_context(name, rest)


def dependencies(config: dict, name: str) -> set[str]:
    """Every service ``name`` waits for, directly or not."""
    found, todo = set(), [name]
    while todo:
        for dep in config["services"][todo.pop()].get("depends_on", {}):
            if dep not in found:
                found.add(dep)
                todo.append(dep)
    return found


# -- the file as docker-compose reads it ----------------------------------------------------------------------

@needs_compose
def test_compose_file_is_valid_for_docker_compose():
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config", "-q"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


@needs_compose
def test_compose_refuses_to_start_without_each_required_secret(tmp_path):
    required = {m.group(1) for m in VARIABLE.finditer(COMPOSE.read_text()) if (m.group(2) or "").startswith(":?")}
    assert REQUIRED_SECRETS <= required
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name in sorted(required):
        env_file = tmp_path / f"{name}.env"
        env_file.write_text("\n".join(line for line in lines if not line.startswith(f"{name}=")) + "\n")
        result = docker_compose_config(env_file)
        assert result.returncode != 0 and name in result.stderr, (name, result.stderr)


def test_compose_runs_the_whole_product(rendered):
    assert PRODUCT_SERVICES <= set(rendered["services"])


def test_compose_every_service_has_a_healthcheck_or_is_a_one_shot_job(rendered):
    for name, service in rendered["services"].items():
        if is_one_shot(service):
            continue
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name


def test_compose_every_variable_is_listed_in_env_example():
    used = {m.group(1) for m in VARIABLE.finditer(COMPOSE.read_text())}
    listed = env_example()
    assert used, "docker-compose.yml uses no variable: the secrets would be written in it"
    assert sorted(used - set(listed)) == []


def test_compose_env_example_leaves_no_secret_usable_as_is():
    """Every required secret in .env.example is a change-me placeholder (es-setup refuses those)."""
    listed = env_example()
    for name in REQUIRED_SECRETS - {"VEILLE_WEB_PUBLIC_ORIGIN"}:
        assert listed[name].startswith("change-me"), name


# -- Elasticsearch and Kibana security -------------------------------------------------------------------------

def test_compose_elasticsearch_security_is_on(rendered):
    env = rendered["services"]["elasticsearch"]["environment"]
    assert env["xpack.security.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"] == env_example()["ELASTIC_PASSWORD"]


def test_compose_writes_no_secret_in_the_file(compose):
    """Every password, token, secret or API key a service gets is a ${VARIABLE} (from .env), never a value."""
    checked = 0
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                checked += 1
                assert VARIABLE.fullmatch(str(value)), f"{name}: {key} is written in docker-compose.yml"
    assert checked >= len(REQUIRED_SECRETS)
    text = COMPOSE.read_text()
    for name, value in env_example().items():
        if SECRET_NAME.search(name) and value:
            assert value not in text, name


def test_compose_kibana_logs_in_as_kibana_system_after_es_setup(rendered):
    kibana = rendered["services"]["kibana"]
    assert kibana["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert kibana["environment"]["ELASTICSEARCH_PASSWORD"] == env_example()["KIBANA_SYSTEM_PASSWORD"]
    assert kibana["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert rendered["services"]["es-setup"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def test_compose_veille_services_log_in_as_the_veille_user(rendered):
    for name, service in veille_services(rendered).items():
        env = service["environment"]
        assert env["VEILLE_ELASTICSEARCH_USERNAME"] == "veille", name
        assert env["VEILLE_ELASTICSEARCH_PASSWORD"] == env_example()["VEILLE_ELASTICSEARCH_PASSWORD"], name


class FakeSecurityAPI(http.server.BaseHTTPRequestHandler):
    """Records the security API calls es-setup makes; answers 400 to a body containing "refuse"."""

    calls: list = []

    def answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).calls.append((self.command, self.path, json.loads(body), self.headers.get("authorization")))
        refused = b"refuse" in body
        self.send_response(400 if refused else 200)
        self.end_headers()
        self.wfile.write(b'{"error":{"type":"x_content_parse_exception","reason":"refuse-me"}}' if refused else b"{}")

    do_POST = do_PUT = answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def es_setup(rendered):
    """Runs es-setup's script (as the container's shell would get it) against a fake Elasticsearch."""
    if shutil.which("bash") is None or shutil.which("curl") is None:
        pytest.skip("es-setup's script needs bash and curl")
    service = rendered["services"]["es-setup"]
    assert service["entrypoint"] == ["bash", "-c"]
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeSecurityAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = service["command"][0].replace("$$", "$").replace(
        "http://elasticsearch:9200", f"http://127.0.0.1:{server.server_port}")
    FakeSecurityAPI.calls = []

    def run(**overrides: str) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ["PATH"], **service["environment"],
               **{k: "s3cret-" + k.lower() for k in service["environment"]}, **overrides}
        return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)

    yield run
    server.shutdown()


def test_compose_es_setup_sets_kibana_system_and_creates_a_least_privilege_veille_user(es_setup):
    result = es_setup()
    assert result.returncode == 0, result.stderr
    calls = {(method, path): (body, auth) for method, path, body, auth in FakeSecurityAPI.calls}
    assert calls[("POST", "/_security/user/kibana_system/_password")][0] == {"password": "s3cret-kibana_system_password"}
    role = calls[("PUT", "/_security/role/veille")][0]
    assert "all" not in role["cluster"] and set(role["cluster"]) <= {"monitor", "manage_index_templates"}
    assert [i["names"] for i in role["indices"]] == [["veille-*"]]
    assert calls[("PUT", "/_security/user/veille")][0] == {"password": "s3cret-veille_elasticsearch_password",
                                                           "roles": ["veille"]}
    elastic = "Basic " + base64.b64encode(b"elastic:s3cret-elastic_password").decode()
    assert {auth for _, auth in calls.values()} == {elastic}


def test_compose_es_setup_refuses_the_example_values(es_setup):
    result = es_setup(VEILLE_WEB_TOKEN=env_example()["VEILLE_WEB_TOKEN"])
    assert result.returncode != 0 and "VEILLE_WEB_TOKEN" in result.stderr
    assert FakeSecurityAPI.calls == []


def test_compose_es_setup_fails_without_echoing_the_password(es_setup):
    result = es_setup(VEILLE_ELASTICSEARCH_PASSWORD="refuse-me")
    assert result.returncode != 0 and "HTTP 400" in result.stderr
    assert "refuse-me" not in result.stdout + result.stderr


# -- the web app and the webhook receiver ----------------------------------------------------------------------

def test_compose_web_requires_a_token_and_answers_only_to_its_public_host(compose, rendered):
    raw = compose["services"]["web"]["environment"]
    assert raw["VEILLE_WEB_TOKEN"].startswith("${VEILLE_WEB_TOKEN:?")
    env = rendered["services"]["web"]["environment"]
    hosts = allowed_hosts(env["VEILLE_WEB_HOST"], env["VEILLE_WEB_PUBLIC_ORIGIN"])
    assert "*" not in hosts and urlsplit(env_example()["VEILLE_WEB_PUBLIC_ORIGIN"]).hostname in hosts


@pytest.mark.parametrize("name, host_setting, port_setting", [
    ("web", "VEILLE_WEB_HOST", "VEILLE_WEB_PORT"),
    ("webhook", "VEILLE_WEBHOOK_HOST", "VEILLE_WEBHOOK_PORT"),
])
def test_compose_servers_listen_in_the_container_on_their_published_port(rendered, name, host_setting, port_setting):
    service = rendered["services"][name]
    port = int(service["environment"][port_setting])
    assert service["environment"][host_setting] == "0.0.0.0"
    assert [p.split(":")[-1] for p in service["ports"]] == [f"{port}/tcp"]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])


# -- what each Veille service runs -----------------------------------------------------------------------------

def test_compose_every_veille_command_is_a_real_subcommand(rendered, monkeypatch):
    monkeypatch.chdir(ROOT)  # the image's working directory holds the same files (data/sample/…)
    services = veille_services(rendered)
    assert set(services) >= PRODUCT_SERVICES - {"kafka", "elasticsearch", "es-setup", "kibana"}
    for name, service in services.items():
        assert "entrypoint" not in service, name  # the image's entrypoint is `veille`
        parse_veille_command(service["command"])
        test = service.get("healthcheck", {}).get("test", [])
        if test[:2] == ["CMD", "veille"]:
            parse_veille_command(test[2:])


def test_compose_command_check_rejects_what_the_cli_does_not_have():
    with pytest.raises(UsageError):
        parse_veille_command(["report"])
    with pytest.raises(UsageError):
        parse_veille_command(["retention", "--hourly"])
    with pytest.raises(UsageError):
        parse_veille_command(["webhook"])  # a group that needs its sub-command


def test_compose_connectors_run_every_source_type_but_webhooks(rendered):
    command = rendered["services"]["connectors"]["command"]
    types = {command[i + 1] for i, arg in enumerate(command) if arg == "--type"}
    assert command[0] == "connect"
    assert types == set(typing.get_args(SourceType)) - {"webhook"}
    assert rendered["services"]["webhook"]["command"] == ["webhook", "serve"]
    for name in ("connectors", "webhook"):
        assert any(v.endswith(":/app/watches.yaml:ro") for v in rendered["services"][name]["volumes"]), name


def test_compose_kafka_runs_in_kraft_mode(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert "ports" not in kafka  # no authentication: only the project's network reaches it


def test_compose_init_waits_for_healthy_services_and_the_product_waits_for_init(rendered):
    services = rendered["services"]
    assert services["init"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["init"]["depends_on"]["es-setup"]["condition"] == "service_completed_successfully"
    assert "elasticsearch" in dependencies(rendered, "init")
    for name in ("agents", "connectors", "webhook", "web", "retention", "dashboards"):
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully", name


def test_compose_kibana_never_holds_back_the_data_path(rendered):
    for name in ("init", "agents", "connectors", "webhook", "web", "retention"):
        assert not {"kibana", "dashboards"} & dependencies(rendered, name), name


@pytest.mark.parametrize("name", ["agents", "connector-replay"])
def test_compose_workers_can_be_scaled(compose, name):
    service = compose["services"][name]
    assert "container_name" not in service and "ports" not in service


def test_compose_points_veille_at_the_services(compose):
    env = compose["services"]["agents"]["environment"]
    assert env["VEILLE_KAFKA_BROKERS"] == "kafka:9092"
    assert env["VEILLE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"


def test_compose_init_creates_topics_and_templates_and_dashboards_are_imported_with_credentials(rendered):
    services = rendered["services"]
    assert services["init"]["command"] == ["init"]
    dashboards = services["dashboards"]
    assert dashboards["command"] == ["dashboards", "import", "--kibana", "http://kibana:5601"]
    assert dashboards["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert dashboards["environment"]["VEILLE_KIBANA_USERNAME"] == "elastic"
    assert dashboards["environment"]["VEILLE_KIBANA_PASSWORD"] == env_example()["ELASTIC_PASSWORD"]


def test_compose_web_keeps_its_data_dir_on_a_volume(rendered):
    volumes = rendered["services"]["web"]["volumes"]
    assert any(v.split(":")[1] == "/var/lib/veille" and v.split(":")[0] in rendered["volumes"] for v in volumes)
    assert "VEILLE_DATA_DIR=/var/lib/veille" in (ROOT / "Dockerfile").read_text()


# -- the README's production steps -----------------------------------------------------------------------------

COMPOSE_VERBS = ("up", "logs", "run", "ps", "restart", "exec", "stop", "config", "down", "pull", "build")


def production_section() -> str:
    text = README.read_text()
    start = text.index("### Production with docker-compose")
    end = text.find("\n## ", start)
    return text[start:end if end != -1 else None]


def test_compose_readme_production_steps_name_real_services_and_files(rendered):
    section = production_section()
    assert "cp .env.example .env" in section
    assert "docker-compose up -d --scale agents=3" in section
    for secret in REQUIRED_SECRETS:
        assert secret in section, secret
    services = set(rendered["services"])
    named = set()
    commands = re.findall(r"^\s*(docker-compose [^\n#]*)", section, flags=re.M)
    commands += re.findall(r"`(docker-compose [^`]*)`", section)
    for line in commands:
        words = line.split()
        verb_at = next(i for i, w in enumerate(words) if w in COMPOSE_VERBS)
        arguments = [w for w in words[verb_at + 1:] if not (w.startswith("-") or "=" in w or w.isdigit())]
        if words[verb_at] in ("run", "exec"):
            arguments = arguments[:1]  # the rest is the service's own command
        assert set(arguments) <= services, line
        named.update(arguments)
    assert {"web", "agents", "dashboards", "connectors"} <= named, named


def test_compose_readme_production_table_lists_every_service(rendered):
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", production_section(), flags=re.M))
    assert rows == {name for name, s in rendered["services"].items() if not s.get("profiles")}


def test_compose_env_file_is_kept_out_of_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert result.returncode == 0, ".env (the filled secrets) is not ignored by git"


# -- the image ------------------------------------------------------------------------------------------------

def test_compose_image_holds_every_file_the_services_read_by_default():
    """The Dockerfile copies (from a context .dockerignore does not strip) the files Veille reads at its
    default paths under the project root, which is the image's /app; watches.yaml is mounted there."""
    from pipeline.kibana import DASHBOARDS_DIR
    from pipeline.settings import PROJECT_ROOT, Settings

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^WORKDIR /app$", dockerfile, flags=re.M)
    copied = set()
    for line in re.findall(r"^COPY (.+)$", dockerfile, flags=re.M):
        *sources, _destination = line.split()
        copied.update(sources)
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
               if p.strip() and not p.startswith("#")]
    assert ".env" in ignored and ".venv" in ignored
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source not in ignored, source
    defaults = Settings(_env_file=None)
    for path in (defaults.topics_file, defaults.model_dir, DASHBOARDS_DIR, ROOT / "pyproject.toml"):
        top = Path(path).resolve().relative_to(PROJECT_ROOT).parts[0]
        assert top in copied, path
    assert defaults.watches_file.resolve() == PROJECT_ROOT / "watches.yaml"  # mounted at /app/watches.yaml
