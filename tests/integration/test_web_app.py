"""The web app end to end: the sample stream tagged and indexed into the session's embedded
Elasticsearch API (an index prefix of its own), crisis alerts written with the alert store, ``veille web``
running as a real process, and Debian's Chromium (headless) loading every page and clicking.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest

from pipeline.alerts.model import AlertState
from pipeline.alerts.store import AlertStore
from pipeline.kafka_tools import read_topic
from pipeline.sinks.elasticsearch import make_client
from pipeline.stack import free_port, settings_for
from pipeline.tagging.feedback import feedback_path, read_feedback
from pipeline.topics import SIGNALS
from tools.showcase import Browser, sample_alerts, sample_in_index, sample_trends, tagged_sample
from web_process import running_web

pytestmark = pytest.mark.integration

if not Browser.available():
    pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def web_env(stack, stack_env):
    return {**stack_env, "VEILLE_INDEX_PREFIX": f"webtest{uuid.uuid4().hex[:8]}", "VEILLE_WEB_PORT": str(free_port()),
            "VEILLE_WEB_LIVE_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def web_settings(web_env):
    return settings_for(web_env)


@pytest.fixture(scope="module")
def sample(web_settings, web_env):
    """The bundled sample stream, tagged, indexed, and three alerts from it."""
    subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **web_env}, check=True,
                   capture_output=True, timeout=120)  # topics: acknowledging tells the crisis agent through Kafka
    now = datetime.now(UTC)
    documents = tagged_sample(now=now)
    alerts = sample_alerts(documents, now)
    trends = sample_trends(documents)
    assert trends, "the trending tracker found no bursting term in the sample's crisis"

    with sample_in_index(web_settings, documents, alerts, trends) as indexed:
        assert indexed == len(documents) == 3600
        yield {"documents": documents, "alerts": alerts, "trends": trends}


@pytest.fixture(scope="module")
def web(sample, web_settings, web_env):
    with running_web(web_settings, web_env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with Browser() as opened:
        yield opened


def _alert(settings, alert_id):
    async def get():
        async with make_client(settings) as client:
            return await AlertStore(client, settings).get(alert_id)
    return _run(get())


def _wait(browser, condition, seconds: float = 20):
    # While a form's POST redirects, Chrome can answer a lookup on the page being left with a plain
    # WebDriverException ("Node with given id does not belong to the document"), not a stale-element
    # error: retry it like one.
    return WebDriverWait(browser.driver, seconds, ignored_exceptions=(WebDriverException,)).until(condition)


@pytest.mark.parametrize(("path", "lang", "heading", "selector", "at_least"), [
    ("/?since=7d", "en", "Overview", "svg.chart", 4),
    ("/?since=7d", "fr", "Vue d'ensemble", "svg.chart", 4),
    ("/crisis", "en", "Crisis alerts", "article.alert", 3),
    ("/crisis", "fr", "Alertes de crise", "article.alert", 3),
    ("/inbox?since=7d", "en", "Inbox", "ol.inbox li.mention", 50),
    ("/legal?since=7d", "en", "Legal risk", "table.evidence-table tbody tr", 20),
    ("/trends?since=24h", "en", "Trends", "svg.chart rect", 10),
    ("/trends?since=24h", "fr", "Tendances", "table tbody tr", 5),
    ("/compare?brand=Aquarelle&against=Nordlys,Lumio&since=7d", "en", "Competitors", "table.compare tbody tr", 3),
    ("/compare?brand=Aquarelle&against=Nordlys,Lumio&since=7d", "fr", "Concurrents", "svg.chart", 4),
])
def test_web_pages_load_in_chromium(web, browser, tmp_path, path, lang, heading, selector, at_least):
    separator = "&" if "?" in path else "?"
    browser.driver.get(f"{web}{path}{separator}lang={lang}")
    assert browser.driver.find_element(By.CSS_SELECTOR, "nav a.active").text == heading
    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert not browser.driver.find_elements(By.CSS_SELECTOR, ".problem"), browser.driver.find_element(By.CSS_SELECTOR, ".problem").text
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, selector)) >= at_least
    shot = tmp_path / "page.png"
    assert browser.driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_web_overview_kpis_match_elasticsearch(web, browser, sample):
    browser.driver.get(f"{web}/?since=all&lang=en")
    mentions = browser.driver.find_element(By.CSS_SELECTOR, "[data-kpi=mentions]").text
    assert mentions == "3.6k"
    assert browser.driver.find_element(By.CSS_SELECTOR, "[data-kpi=open-alerts]").text.isdigit()


def test_web_trends_page_lists_the_bursting_terms(web, browser, sample):
    browser.driver.get(f"{web}/trends?since=24h&watch=Aquarelle&lang=en")
    shown = [row.find_element(By.TAG_NAME, "td").text.split()[0]
             for row in browser.driver.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    best = max(sample["trends"], key=lambda event: event["burst_score"])
    assert shown[0] == best["term"]


def test_web_acknowledge_and_resolve_change_the_alert_in_elasticsearch(web, browser, sample, web_settings):
    target = next(a for a in sample["alerts"] if a.state is AlertState.open)
    browser.driver.get(f"{web}/crisis?lang=en")
    article = browser.driver.find_element(By.CSS_SELECTOR, f'article[data-alert-id="{target.id}"]')
    assert article.get_attribute("data-state") == "open"
    form = article.find_element(By.CSS_SELECTOR, "form[action$='/acknowledge']")
    form.find_element(By.NAME, "who").send_keys("Ana Test")
    form.find_element(By.CSS_SELECTOR, "button[data-action=acknowledge]").click()
    _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    assert "acknowledged" in browser.driver.find_element(By.CSS_SELECTOR, ".notice").text

    stored = _alert(web_settings, target.id)
    assert stored.state is AlertState.acknowledged and stored.acknowledged_by == "Ana Test"
    article = browser.driver.find_element(By.CSS_SELECTOR, f'article[data-alert-id="{target.id}"]')
    assert article.get_attribute("data-state") == "acknowledged"
    assert not article.find_elements(By.CSS_SELECTOR, "button[data-action=acknowledge]")

    form = article.find_element(By.CSS_SELECTOR, "form[action$='/resolve']")
    assert form.find_element(By.NAME, "who").get_attribute("value") == "Ana Test"  # remembered
    acknowledged_notice = browser.driver.find_element(By.CSS_SELECTOR, ".notice")
    form.find_element(By.CSS_SELECTOR, "button[data-action=resolve]").click()
    _wait(browser, EC.staleness_of(acknowledged_notice))  # the page the resolve redirects to, not this one
    _wait(browser, EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "resolved"))
    assert _alert(web_settings, target.id).state is AlertState.resolved
    assert not browser.driver.find_elements(By.CSS_SELECTOR, f'article[data-alert-id="{target.id}"]')

    # The crisis agent, which keeps the alert in its table, is told too.
    records = _run(read_topic(web_settings, web_settings.topic(SIGNALS)))
    actions = [orjson.loads(r.value) for r in records]
    told = [(a["action"], a["by"]) for a in actions  # the tag stage's records there are arrays of signals
            if isinstance(a, dict) and a.get("type") == "action" and a.get("alert_id") == target.id]
    assert told == [("acknowledge", "Ana Test"), ("resolve", "Ana Test")]


class _CrossSitePage(BaseHTTPRequestHandler):
    """Another site: its page submits a form to the web app as soon as it loads."""

    target = ""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = (f'<form id="f" method="post" action="{self.target}"><input name="who" value="mallory">'
                f'<input name="csrf_token" value="guess"></form><script>document.getElementById("f").submit()</script>')
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_web_cross_site_form_cannot_acknowledge(web, browser, sample, web_settings):
    still_open = [a for a in sample["alerts"] if _alert(web_settings, a.id).state is AlertState.open]
    if not still_open:
        pytest.skip("no open alert left")
    target = still_open[0]
    browser.driver.get(f"{web}/crisis")  # the browser has a session with the app
    _CrossSitePage.target = f"{web}/alerts/{target.id}/acknowledge"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CrossSitePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.driver.get(f"http://localhost:{server.server_address[1]}/")
        _wait(browser, lambda driver: driver.current_url.startswith(web))
        assert "refused" in browser.driver.find_element(By.CSS_SELECTOR, ".problem").text
    finally:
        server.shutdown()
    assert _alert(web_settings, target.id).state is AlertState.open


def test_web_crisis_page_updates_live(web, browser, sample, web_settings):
    browser.driver.get(f"{web}/crisis?lang=en")
    candidates = browser.driver.find_elements(By.CSS_SELECTOR, "article.alert[data-state=open]")
    assert candidates, "no open alert left to acknowledge"
    alert_id = candidates[0].get_attribute("data-alert-id")

    async def acknowledge_elsewhere():
        async with make_client(web_settings) as client:
            await AlertStore(client, web_settings).acknowledge(alert_id, "someone else")
    _run(acknowledge_elsewhere())

    selector = f'article[data-alert-id="{alert_id}"][data-state=acknowledged]'
    _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, selector)), seconds=20)
    assert "someone else" in browser.driver.find_element(By.CSS_SELECTOR, selector).text


def test_web_inbox_tag_correction_is_recorded(web, browser, sample, web_settings):
    browser.driver.get(f"{web}/inbox?since=7d&lang=en")
    item = browser.driver.find_element(By.CSS_SELECTOR, "ol.inbox li.mention")
    mention_id = item.get_attribute("data-mention-id")
    countdown = item.find_element(By.CSS_SELECTOR, ".countdown").text
    assert re.match(r"(due|overdue) \d", countdown), countdown
    item.find_element(By.CSS_SELECTOR, "details.correct summary").click()
    box = item.find_element(By.CSS_SELECTOR, "input[name=category][value=review]")
    box.click()
    item.find_element(By.CSS_SELECTOR, "details.correct button[type=submit]").click()
    _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    records = [r for r in read_feedback(feedback_path(web_settings.data_dir)) if r.id == mention_id]
    assert records, "no feedback recorded"
    assert "review" in records[-1].add or "review" in records[-1].remove


def test_web_api_compare_overview_alerts_and_csv(web, sample):
    with httpx.Client(base_url=web, timeout=30) as client:
        compare = client.get("/api/compare", params={"brand": "aquarelle", "against": "Nordlys,Lumio", "since": "7d"})
        assert compare.status_code == 200, compare.text
        data = compare.json()
        assert [w["watch"] for w in data["watches"]] == ["Aquarelle", "Nordlys", "Lumio"]
        assert sum(w["share_of_voice"] for w in data["watches"]) == pytest.approx(1.0, abs=0.001)
        assert all(w["top_terms"] for w in data["watches"])
        unknown = client.get("/api/compare", params={"brand": "Aquarelle", "against": "Nobody"})
        assert unknown.status_code == 400 and "known watches" in unknown.json()["error"]
        bad_query = client.get("/api/overview", params={"q": "(livraison"})
        assert bad_query.status_code == 400 and "never closed" in bad_query.json()["error"]

        overview = client.get("/api/overview", params={"since": "all"}).json()
        assert overview["total"] == 3600
        assert overview["reach"] == sum((d.get("author") or {}).get("followers") or 0 for d in sample["documents"])

        alerts = client.get("/api/alerts").json()
        assert {a["id"] for a in alerts} == {a.id for a in sample["alerts"]}

        refused = client.post(f"/api/alerts/{sample['alerts'][0].id}/acknowledge", json={"who": "script"})
        assert refused.status_code == 403
        page = client.get("/crisis")  # a session cookie and its CSRF token, as a browser gets them
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)
        acknowledged = next(a for a in sample["alerts"] if a.state is AlertState.acknowledged)
        again = client.post(f"/api/alerts/{acknowledged.id}/acknowledge", json={"who": "script"},
                            headers={"x-csrf-token": csrf, "origin": web})
        assert again.status_code == 409 and "already acknowledged by Camille" in again.json()["error"]
        missing = client.post("/api/alerts/no-such-alert/resolve", json={"who": "script"},
                              headers={"x-csrf-token": csrf, "origin": web})
        assert missing.status_code == 404

        legal = client.get("/api/legal", params={"since": "7d"}).json()
        exported = client.get("/legal.csv", params={"since": "7d"})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert len(rows) == legal["total"] > 0
        assert all(re.fullmatch(r"[0-9a-f]{64}", row["content_hash"]) for row in rows)
        assert all(row["url"].startswith("http") for row in rows)


def test_web_veille_compare_command_agrees_with_the_api(web, web_env, sample):
    result = subprocess.run([sys.executable, "-m", "pipeline", "compare", "Aquarelle", "--against", "Nordlys",
                             "--since", "7d", "--json"], env={**os.environ, **web_env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    cli = orjson.loads(result.stdout)
    api = httpx.get(f"{web}/api/compare", params={"brand": "Aquarelle", "against": "Nordlys", "since": "7d"}, timeout=30).json()
    assert [w["mentions"] for w in cli["watches"]] == [w["mentions"] for w in api["watches"]]
