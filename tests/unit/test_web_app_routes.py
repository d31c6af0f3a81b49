"""The app's URL map and what its pages answer before anything was indexed: an Elasticsearch whose indices do
not exist yet (a real HTTP server answering ``index_not_found_exception`` to every call) is no error."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.settings import Settings
from pipeline.web.app import create_app, routes


def test_web_app_every_route_is_defined_once():
    defined = Counter((route.path, method) for route in routes() if isinstance(route, Route)
                      for method in route.methods or ())
    assert [key for key, count in defined.items() if count > 1] == []


class NoIndices(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _missing(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        index = self.path.strip("/").partition("/")[0]
        body = json.dumps({"error": {"type": "index_not_found_exception", "reason": f"no such index [{index}]"},
                           "status": 404}).encode()
        self.send_response(404)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _missing


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoIndices)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = Settings(elasticsearch_url=f"http://127.0.0.1:{server.server_address[1]}",
                        data_dir=tmp_path_factory.mktemp("web"), web_port=8765)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as opened:
        yield opened
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/", "/crisis", "/crisis/alerts", "/inbox", "/legal", "/legal.csv", "/trends",
                                  "/compare", "/api/overview", "/api/alerts", "/api/inbox", "/api/legal", "/api/trends",
                                  "/api/kpis/response-times"])
def test_web_app_pages_answer_before_anything_is_indexed(client, path):
    assert client.get(path).status_code == 200


def test_web_app_missing_index_reads_as_no_mentions(client):
    assert client.get("/api/legal").json() == {"total": 0, "mentions": []}
    assert client.get("/api/alerts").json() == []
    assert client.get("/api/overview").json()["total"] == 0
    assert client.get("/api/trends").json() == {"detected": [], "frequent": []}


def test_web_app_tag_correction_of_an_unknown_mention_is_a_404(client):
    from pipeline.web import security

    client.get("/healthz")
    token = security.csrf_token(client.app.state.secret, client.cookies.get(security.SESSION_COOKIE))
    response = client.post("/inbox/feedback", data={"csrf_token": token, "id": "twitter:1"},
                           headers={"origin": "http://127.0.0.1:8765"}, follow_redirects=False)
    assert response.status_code == 404 and "twitter:1" in response.text
