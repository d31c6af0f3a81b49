"""``veille dashboards import`` against a local HTTP receiver standing in for Kibana (Kibana cannot run
here): the request Kibana's saved objects import expects, and how its answers are reported."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

import pipeline.commands.dashboards  # noqa: F401  (registers the command)
from pipeline.cli import app
from pipeline.kibana import (
    DASHBOARDS_DIR,
    import_path,
    load_directory,
    summarise_import,
)


@dataclass
class Upload:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    filename: str
    content: bytes


def uploaded_file(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(filename, bytes) of the multipart part named ``file``."""
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, _, payload = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            filename = head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            return filename, payload[:-2]  # the CRLF before the next boundary
    raise AssertionError("no multipart part named file")


def accept_everything(upload: Upload) -> tuple[int, dict]:
    objects = [json.loads(line) for line in upload.content.splitlines() if line.strip()]
    return 200, {"success": True, "successCount": len(objects), "warnings": [],
                 "successResults": [{"type": o["type"], "id": o["id"]} for o in objects]}


@dataclass
class FakeKibana:
    url: str
    uploads: list[Upload] = field(default_factory=list)
    answer: Callable[[Upload], tuple[int, dict]] = accept_everything


@pytest.fixture
def kibana():
    fake = FakeKibana(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            filename, content = uploaded_file(self.headers["Content-Type"], body)
            split = urlsplit(self.path)
            upload = Upload(split.path, parse_qs(split.query), {k.lower(): v for k, v in self.headers.items()},
                            filename, content)
            fake.uploads.append(upload)
            status, answer = fake.answer(upload)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_kibana_credentials(monkeypatch):
    for name in ("URL", "USERNAME", "PASSWORD", "API_KEY", "CA_FILE"):
        monkeypatch.delenv(f"VEILLE_KIBANA_{name}", raising=False)


def run_import(*args: str):
    return CliRunner().invoke(app, ["dashboards", "import", *args])


def test_dashboards_import_posts_each_file_as_multipart_with_kbn_xsrf(kibana):
    result = run_import("--kibana", kibana.url)
    assert result.exit_code == 0, result.output
    shipped = sorted(DASHBOARDS_DIR.glob("*.ndjson"))
    assert sorted(u.filename for u in kibana.uploads) == [p.name for p in shipped]
    assert kibana.uploads[0].filename == "data-views.ndjson"
    for upload in kibana.uploads:
        assert upload.path == "/api/saved_objects/_import"
        assert upload.query == {"overwrite": ["true"]}
        assert upload.headers["kbn-xsrf"] == "true"
        assert upload.headers["content-type"].startswith("multipart/form-data")
        assert "authorization" not in upload.headers
        assert upload.content == (DASHBOARDS_DIR / upload.filename).read_bytes()
    counts = {p.name: len(objs) for p, objs in load_directory(DASHBOARDS_DIR).items()}
    for name, count in counts.items():
        assert f"{name}: {count}/{count} objects imported" in result.output


def test_dashboards_import_into_a_space_with_basic_auth(kibana, monkeypatch):
    monkeypatch.setenv("VEILLE_KIBANA_USERNAME", "elastic")
    monkeypatch.setenv("VEILLE_KIBANA_PASSWORD", "s3cret")
    result = run_import("--kibana", kibana.url + "/", "--space", "marketing")
    assert result.exit_code == 0, result.output
    assert {u.path for u in kibana.uploads} == {"/s/marketing/api/saved_objects/_import"}
    expected = "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    assert {u.headers["authorization"] for u in kibana.uploads} == {expected}


def test_dashboards_import_reads_the_url_from_the_environment_with_an_api_key(kibana, monkeypatch):
    monkeypatch.setenv("VEILLE_KIBANA_URL", kibana.url)
    monkeypatch.setenv("VEILLE_KIBANA_API_KEY", "a2V5")
    result = run_import()
    assert result.exit_code == 0, result.output
    assert kibana.uploads and {u.headers["authorization"] for u in kibana.uploads} == {"ApiKey a2V5"}


def test_dashboards_import_reports_kibana_errors_and_exits_1(kibana):
    def missing_data_view(upload: Upload):
        if upload.filename != "crisis.ndjson":
            return accept_everything(upload)
        return 200, {"success": False, "successCount": 5, "errors": [{
            "id": "veille-lens-alerts-table", "type": "lens", "meta": {"title": "Alerts"},
            "error": {"type": "missing_references",
                      "references": [{"type": "index-pattern", "id": "veille-dataview-alerts"}]}}]}

    kibana.answer = missing_data_view
    result = run_import("--kibana", kibana.url)
    assert result.exit_code == 1
    assert len(kibana.uploads) == 6  # the other files are still imported
    assert "crisis.ndjson: FAILED, 5/6 objects imported" in result.output
    assert ("lens veille-lens-alerts-table (Alerts): missing references: index-pattern veille-dataview-alerts"
            in result.output)
    assert "overview.ndjson: 10/10 objects imported" in result.output


def test_dashboards_import_explains_an_authentication_failure(kibana):
    kibana.answer = lambda upload: (401, {"statusCode": 401, "error": "Unauthorized",
                                          "message": "[security_exception] unable to authenticate"})
    result = run_import("--kibana", kibana.url)
    assert result.exit_code == 1
    assert "HTTP 401: [security_exception] unable to authenticate" in result.output
    assert "VEILLE_KIBANA_USERNAME" in result.output


def test_dashboards_import_says_when_kibana_is_unreachable(kibana):
    closed = kibana.url.rsplit(":", 1)[0] + ":1"
    result = run_import("--kibana", closed)
    assert result.exit_code == 1
    assert f"cannot reach Kibana at {closed}" in result.output
    assert kibana.uploads == []


def test_dashboards_import_refuses_files_that_fail_the_checks(kibana, tmp_path: Path):
    broken = {"type": "lens", "id": "veille-lens-x", "attributes": {"title": "x"},
              "references": [{"type": "index-pattern", "id": "nowhere", "name": "indexpattern-datasource-layer-l"}]}
    (tmp_path / "broken.ndjson").write_text(json.dumps(broken) + "\n")
    result = run_import("--kibana", kibana.url, "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "index-pattern nowhere is not in the files" in result.output
    assert kibana.uploads == []


def test_dashboards_check_command_passes_on_the_shipped_files():
    result = CliRunner().invoke(app, ["dashboards", "check"])
    assert result.exit_code == 0, result.output
    total = sum(len(objs) for objs in load_directory(DASHBOARDS_DIR).values())
    assert f"{total} saved objects in 6 files" in result.output


@pytest.mark.parametrize("space, path", [
    (None, "/api/saved_objects/_import"),
    ("default", "/api/saved_objects/_import"),
    ("team-a", "/s/team-a/api/saved_objects/_import"),
])
def test_dashboards_import_path(space, path):
    assert import_path(space) == path


def test_dashboards_summarise_import_counts_and_conflicts():
    body = json.dumps({"success": False, "successCount": 2, "errors": [
        {"type": "dashboard", "id": "d", "meta": {"title": "D"}, "error": {"type": "conflict"}}],
        "warnings": [{"type": "simple", "message": "objects created in a new space"}]})
    result = summarise_import("x.ndjson", 200, body)
    assert (result.success, result.success_count) == (False, 2)
    assert result.errors == ["dashboard d (D): conflict"]
    assert result.warnings == ["objects created in a new space"]


def test_dashboards_summarise_import_non_json_error_page():
    result = summarise_import("x.ndjson", 502, "<html>Bad gateway</html>")
    assert not result.success and result.errors == ["HTTP 502: <html>Bad gateway</html>"]
