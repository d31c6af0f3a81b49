"""Fuzzing the web app: schemathesis over the OpenAPI description it serves (every /api operation, valid
and invalid parameters and bodies), hypothesis over the pages (random query strings) and the forms
(random fields). The app talks to a real HTTP server standing in for Elasticsearch that answers every
call with a valid, empty result, so no answer may be a 5xx: no 500, no traceback, every 4xx says why."""

from __future__ import annotations

import os
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.settings import Settings
from pipeline.web.app import create_app, routes
from pipeline.web.openapi import description

BASE = "http://127.0.0.1:8765"
TOKEN = "fuzz-token-0123456789"
# Examples per test (per operation for the API); VEILLE_FUZZ_EXAMPLES=500 for a longer run.
FUZZ = settings(max_examples=int(os.environ.get("VEILLE_FUZZ_EXAMPLES", 30)), deadline=None,
                suppress_health_check=list(HealthCheck))
STREAMING = "/api/alerts/stream"  # endless by design: checked apart


def _empty_aggregations(aggs: dict[str, Any] | None) -> dict[str, Any]:
    """What Elasticsearch answers for these aggregations over no documents."""
    answers: dict[str, Any] = {}
    for name, spec in (aggs or {}).items():
        if not isinstance(spec, dict):
            continue
        kind = next((key for key in spec if key not in ("aggs", "aggregations", "meta")), "")
        inner = _empty_aggregations(spec.get("aggs") or spec.get("aggregations"))
        if kind in ("filter", "missing", "global", "nested", "reverse_nested", "sampler"):
            answers[name] = {"doc_count": 0, **inner}
        elif kind in ("sum", "cardinality", "value_count"):
            answers[name] = {"value": 0}
        elif kind in ("min", "max", "avg"):
            answers[name] = {"value": None}
        elif kind == "filters":
            answers[name] = {"buckets": {key: {"doc_count": 0, **inner} for key in spec[kind].get("filters", {})}
                             if isinstance(spec[kind].get("filters"), dict) else []}
        elif kind == "top_hits":
            answers[name] = {"hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}}
        else:  # terms, date_histogram, histogram, range, significant_terms…
            answers[name] = {"buckets": []}
    return answers


class EmptyElasticsearch(BaseHTTPRequestHandler):
    """An Elasticsearch with empty indices: searches find nothing, documents are missing, writes succeed."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict[str, Any] | None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return parsed if isinstance(parsed, dict) else {}

    def _route(self) -> None:
        body = self._body()
        path = self.path.split("?")[0]
        index, _, rest = path.strip("/").partition("/")
        shards = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
        if rest.startswith("_search"):
            self._answer(200, {"took": 1, "timed_out": False, "_shards": shards,
                               "hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []},
                               "aggregations": _empty_aggregations(body.get("aggs") or body.get("aggregations"))})
        elif rest.startswith("_count"):
            self._answer(200, {"count": 0, "_shards": shards})
        elif rest.startswith("_doc/") and self.command in ("GET", "HEAD"):
            self._answer(404, {"_index": index, "_id": rest[5:], "found": False})
        elif rest.startswith(("_doc/", "_create/", "_update/")):
            self._answer(200, {"_index": index, "_id": rest.partition("/")[2], "_version": 1, "result": "updated",
                               "_shards": shards, "_seq_no": 1, "_primary_term": 1})
        elif rest.startswith("_refresh"):
            self._answer(200, {"_shards": shards})
        elif self.command == "HEAD":
            self._answer(200, None)
        else:
            self._answer(200, {"acknowledged": True})

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _route


@pytest.fixture(scope="module")
def empty_elasticsearch():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmptyElasticsearch)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def web(empty_elasticsearch, tmp_path_factory):
    settings_ = Settings(elasticsearch_url=empty_elasticsearch, data_dir=tmp_path_factory.mktemp("fuzz-web"),
                         web_port=8765, web_token=TOKEN, kafka_brokers="127.0.0.1:9")
    with TestClient(create_app(settings_), base_url=BASE, follow_redirects=False,
                    headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def assert_answered_with_a_reason(response) -> None:
    """No 5xx (Elasticsearch answers), no traceback, a reason with every refusal."""
    text = response.text
    assert response.status_code < 500, (response.request.method, str(response.request.url)[:300],
                                         response.status_code, text[:500])
    assert "Traceback (most recent call last)" not in text
    if 400 <= response.status_code < 500:
        assert text.strip(), (response.status_code, str(response.request.url)[:300])
        if response.headers.get("content-type", "").startswith("application/json"):
            assert str(response.json().get("error") or "").strip(), text[:300]


# -- the description ---------------------------------------------------------------------------------

def _api_paths() -> set[str]:
    found = set()
    for route in routes():
        if isinstance(route, Route) and route.path.startswith("/api/"):
            found.add(re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path))
    return found


def test_fuzz_web_openapi_describes_every_api_route(web):
    response = web.get("/api/openapi.json")
    assert response.status_code == 200
    described = response.json()["paths"]
    assert _api_paths() <= set(described), _api_paths() - set(described)
    for route in routes():
        if isinstance(route, Route) and route.path.startswith("/api/"):
            path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
            assert {m.lower() for m in route.methods} - {"head"} <= set(described[path]), path


def test_fuzz_web_openapi_needs_the_token_like_the_rest_of_the_api(web):
    refused = web.get("/api/openapi.json", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert "token" in refused.json()["error"]
    assert web.get(STREAMING, headers={"Authorization": "Bearer wrong"}).status_code == 401


# -- the JSON API, from its description ------------------------------------------------------------

schema = schemathesis.openapi.from_dict(description()).exclude(path=STREAMING)


def _request_kwargs(case) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=BASE)
    sent: dict[str, Any] = {"method": kwargs["method"], "url": kwargs["url"],
                            "headers": {k: v for k, v in (kwargs.get("headers") or {}).items()
                                        if k.lower() not in ("authorization", "host", "content-length")},
                            "params": kwargs.get("params")}
    if "json" in kwargs:
        sent["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        sent["content"] = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return sent


@schema.parametrize()
@FUZZ
def test_fuzz_web_api_operations_answer_without_5xx_and_with_reasons(case, web):
    response = web.request(**_request_kwargs(case))
    assert_answered_with_a_reason(response)


# -- pages and forms ---------------------------------------------------------------------------------

PAGES = ["/", "/crisis", "/crisis/alerts", "/inbox", "/legal", "/legal.csv", "/trends", "/compare", "/login",
         "/healthz", "/api/overview", "/api/inbox", "/api/legal", "/api/trends", "/api/compare", "/api/alerts",
         "/api/kpis/response-times", "/static/app.css", "/static/../app.py", "/nope"]
PARAMS = ["q", "since", "until", "watch", "lang", "show", "done", "saved", "brand", "against", "assignee", "state",
          "size", "next", "period"]
awkward = st.one_of(st.text(max_size=40), st.sampled_from([
    "", "all", "24h", "7d", "30d", "-1", "0", "1e9", "9" * 400, "2026-02-30", "2026-12-02T25:00", "now-24h",
    "lang:", "((", '"', "NOT", "NEAR/999 a", "a" * 3000, "fr", "en", "xx", "//evil.example", "\x00", "\ud7ff",
    "Lumio", "Lumio,Nordlys", ",", "acknowledged", "resolved", "open"]))
query_strings = st.lists(st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=8)), awkward), max_size=6)


@FUZZ
@given(path=st.sampled_from(PAGES), params=query_strings)
def test_fuzz_web_pages_answer_any_query_string_without_5xx(web, path, params):
    assert_answered_with_a_reason(web.get(path, params=params))


FORMS = ["/alerts/a1/acknowledge", "/alerts/x%2Fy/resolve", "/inbox/feedback", "/inbox/act", "/login", "/logout",
         "/api/inbox/assign", "/api/inbox/note", "/api/alerts/a1/resolve"]
FIELDS = ["who", "show", "id", "category", "sentiment", "back", "action", "assignee", "note", "at", "token", "next",
          "ids"]
form_fields = st.lists(st.tuples(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), awkward), max_size=8)


@FUZZ
@given(path=st.sampled_from(FORMS), fields=form_fields, as_json=st.booleans(), raw=st.none() | st.binary(max_size=80))
def test_fuzz_web_forms_answer_any_fields_without_5xx(web, path, fields, as_json, raw):
    if raw is not None:
        response = web.post(path, content=raw, headers={"Content-Type": "application/json" if as_json
                                                        else "application/x-www-form-urlencoded"})
    elif as_json:
        response = web.post(path, json=dict(fields))
    else:
        response = web.post(path, data=dict(fields))
    assert_answered_with_a_reason(response)


# -- what the fuzzing found (each answered 500 with a traceback before) -------------------------------

def test_fuzz_web_empty_elasticsearch_lets_the_pages_and_api_answer_200(web):
    for path in ["/", "/crisis", "/inbox", "/legal", "/trends", "/compare", "/api/overview", "/api/inbox",
                 "/api/legal", "/api/trends", "/api/alerts", "/api/kpis/response-times"]:
        assert web.get(path).status_code == 200, path


@pytest.mark.parametrize("body", [[], ["who"], "Ana", 3])
def test_fuzz_web_alert_action_with_a_body_not_an_object_is_a_400(web, body):
    response = web.post("/api/alerts/a1/acknowledge", json=body)
    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]


@pytest.mark.parametrize("body", [{"ids": 1.5, "who": "Ana"}, {"ids": [{"a": 1}], "who": "Ana"},
                                  {"id": ["x"], "who": "Ana"}, {"ids": True, "who": "Ana"}])
def test_fuzz_web_inbox_action_with_ids_not_ids_is_a_400(web, body):
    response = web.post("/api/inbox/note", json={**body, "note": "vu"})
    assert response.status_code == 400
    assert "ids must be" in response.json()["error"]


@pytest.mark.parametrize("at", [5, ["2026-12-01"], "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_fuzz_web_inbox_action_with_an_unusable_at_is_a_400(web, at):
    response = web.post("/api/inbox/note", json={"ids": ["forum:1"], "who": "Ana", "note": "vu", "at": at})
    assert response.status_code == 400
    assert "at must be an ISO date-time" in response.json()["error"]


@pytest.mark.parametrize("fields", [{}, {"id": ""}, {"id": "  ", "category": "delivery"}])
def test_fuzz_web_feedback_form_without_a_mention_id_is_a_400(web, fields):
    response = web.post("/inbox/feedback", data=fields)
    assert response.status_code == 400
    assert "which mention" in response.text


header_value = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(str.strip)


@FUZZ
@given(path=st.sampled_from(["/", "/crisis", "/inbox", "/compare", "/api/overview", "/login"]),
       accept_language=header_value | st.sampled_from(["fr;q=abc", "en;q=1e999, fr;q=-1", "*;q=0", ",,,;q="]),
       session=header_value, lang=header_value, who=header_value, forwarded=header_value)
def test_fuzz_web_pages_answer_any_language_cookie_and_forwarded_header(web, path, accept_language, session, lang,
                                                                        who, forwarded):
    web.cookies.clear()
    response = web.get(path, headers={"Accept-Language": accept_language, "X-Forwarded-For": forwarded,
                                      "X-Forwarded-Proto": forwarded,
                                      "Cookie": f"veille_session={session}; veille_lang={lang}; veille_who={who}"})
    web.cookies.clear()
    assert_answered_with_a_reason(response)


@FUZZ
@given(path=st.sampled_from(PAGES + FORMS + ["/api/openapi.json"]), method=st.sampled_from(["GET", "POST"]),
       params=query_strings)
def test_fuzz_web_without_the_token_everything_but_sign_in_is_refused_with_a_reason(web, path, method, params):
    response = web.request(method, path, params=params, headers={"Authorization": ""})  # what anyone else gets
    assert_answered_with_a_reason(response)
    if path.startswith("/api/"):
        assert response.status_code in (401, 404, 405), (method, path, response.status_code)
    elif not path.startswith(("/login", "/static/", "/healthz")):
        assert response.status_code in (303, 404, 405), (method, path, response.status_code)
