"""What one request can ask of the web app: query parameters validated (400 with the reason, before any
Elasticsearch call), query size limits, and a timeout on Elasticsearch calls. Built against an
Elasticsearch URL where nothing listens (502 once past validation) or one that never answers."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from pipeline.query.parser import MAX_QUERY_WORDS
from pipeline.settings import Settings
from pipeline.stack import free_port
from pipeline.web.app import create_app
from silent_server import silent_server

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(elasticsearch_url=f"http://127.0.0.1:{free_port()}", data_dir=tmp_path_factory.mktemp("web"),
                        web_port=8765)
    with TestClient(create_app(settings), base_url=BASE, follow_redirects=False) as opened:
        yield opened


@pytest.mark.parametrize(("params", "says"), [
    ({"size": "-1"}, "size"),
    ({"size": "0"}, "size"),
    ({"size": "abc"}, "size"),
    ({"size": "1" * 5000}, "size"),
    ({"state": "bogus"}, "state"),
    ({"watch": "w" * 1000}, "watch"),
])
def test_web_limits_alerts_api_refuses_bad_parameters_with_the_reason(client, params, says):
    response = client.get("/api/alerts", params=params)
    assert response.status_code == 400
    assert says in response.json()["error"]


def test_web_limits_alerts_api_good_parameters_reach_elasticsearch(client):
    assert client.get("/api/alerts", params={"size": "5", "state": "open"}).status_code == 502


@pytest.mark.parametrize("path", ["/", "/inbox", "/legal", "/trends", "/api/overview", "/api/inbox", "/api/legal",
                                  "/api/trends", "/legal.csv"])
def test_web_limits_oversized_query_is_a_400_naming_the_limit(client, path):
    query = " ".join(f"mot{n}" for n in range(150))  # under the character limit, over the words one
    response = client.get(path, params={"q": query})
    assert response.status_code == 400
    assert f"at most {MAX_QUERY_WORDS} words" in response.text


@pytest.fixture
def silent_elasticsearch():
    with silent_server() as address:
        yield f"http://{address}"


def test_web_limits_elasticsearch_calls_time_out(silent_elasticsearch, tmp_path):
    settings = Settings(elasticsearch_url=silent_elasticsearch, data_dir=tmp_path, web_port=8765,
                        web_elasticsearch_timeout_seconds=1.0)
    with TestClient(create_app(settings), base_url=BASE) as client:
        started = time.monotonic()
        response = client.get("/api/overview")
        took = time.monotonic() - started
    assert response.status_code == 504
    assert took < 5
    assert "1" in response.json()["detail"]  # says how long it waited
