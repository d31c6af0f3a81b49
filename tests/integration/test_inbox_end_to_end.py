"""The inbox end to end on the embedded stack: the bundled sample tagged and indexed, its crisis alerts
stored, ``veille web`` as a real process; triage, assign / note / answer through the API, the CLI and the
page in Chromium; the state surviving a rewrite of the mentions; response times; compare's periods.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from pipeline.inbox.store import inbox_index
from pipeline.sinks.elasticsearch import make_client
from pipeline.stack import free_port, settings_for
from pipeline.tagging.playbook import load_playbook
from tools.showcase import Browser, load_sample, sample_alerts, sample_in_index, tagged_sample
from web_process import running_web

pytestmark = pytest.mark.integration

RANGES = {"microblog": (15, 60), "social": (30, 240), "web": (120, 1440)}


def _run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def inbox_env(stack, stack_env):
    return {**stack_env, "VEILLE_INDEX_PREFIX": f"inboxtest{uuid.uuid4().hex[:8]}", "VEILLE_WEB_PORT": str(free_port())}


@pytest.fixture(scope="module")
def inbox_settings(inbox_env):
    return settings_for(inbox_env)


def _planned(document: dict) -> dict:
    """The playbook's action and provisional deadline, as the trained tagger writes them (the rule tagger,
    used when no trained model is installed, leaves them out)."""
    if document.get("priority"):
        return document
    plan = load_playbook().plan(document["categories"], document["platform"],
                                datetime.fromisoformat(document["created_at"].replace("Z", "+00:00")))
    return {**document, "action": plan.action, "priority": plan.priority,
            "reply_by": plan.reply_by.isoformat() if plan.reply_by else None}


@pytest.fixture(scope="module")
def sample(inbox_settings):
    now = datetime.now(UTC)
    documents = [_planned(doc) for doc in tagged_sample(now=now)]
    alerts = sample_alerts(documents, now)

    with sample_in_index(inbox_settings, documents, alerts):
        yield {"documents": documents, "alerts": alerts, "by_id": {d["id"]: d for d in documents}}


@pytest.fixture(scope="module")
def web(sample, inbox_settings, inbox_env):
    with running_web(inbox_settings, inbox_env) as base:
        yield base


@contextlib.contextmanager
def _client_with_csrf(web: str):
    """A client with a session cookie and its CSRF token, as a browser gets them from a page."""
    with httpx.Client(base_url=web, timeout=60) as client:
        page = client.get("/inbox", params={"since": "24h"})
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)
        yield client, {"x-csrf-token": csrf, "origin": web}


def _state(settings, mention_id):
    async def get():
        async with make_client(settings) as client:
            found = await client.options(ignore_status=404).get(index=inbox_index(settings), id=mention_id)
            return found.body.get("_source")
    return _run(get())


def _veille(env, *args):
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], env={**os.environ, **env},
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _minutes(a: str, b: str) -> float:
    return (_time(a) - _time(b)) / timedelta(minutes=1)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_inbox_api_triages_inside_the_network_ranges_and_groups(web, sample):
    data = httpx.get(f"{web}/api/inbox", params={"since": "7d"}, timeout=60).json()
    assert data["open"] > 100 and data["triaged"] == min(data["open"], 1000)
    playbook = load_playbook()
    mentions = [m for item in data["items"] for m in item["mentions"]]
    delays = {}
    for mention in mentions:
        fastest, slowest = RANGES[playbook.network_of(mention["platform"]).name]
        delay = _minutes(mention["reply_by"], sample["by_id"][mention["id"]]["created_at"])
        if "complaint" in mention["categories"]:
            assert delay <= 60, mention
        assert min(fastest, 60) <= delay <= slowest, mention
        delays.setdefault(tuple(mention["categories"]), set()).add(delay)
    complaints = {d for cats, ds in delays.items() if "complaint" in cats for d in ds}
    assert len(complaints) >= 3, "every complaint got the same deadline"
    overdue = [i for i in data["items"] if i["overdue"]]
    assert data["overdue_items"] == len(overdue) and data["overdue"] >= len(overdue)
    triaged_overdue = sum(_time(m["reply_by"]) < _time(data["now"]) for m in mentions)
    assert data["overdue"] == triaged_overdue + data["overdue_untriaged"]
    if not data["complete"]:  # the older, untriaged ones past any deadline the triage could give are counted
        assert data["overdue_untriaged"] > 0
    assert [i["overdue"] for i in data["items"]] == sorted((i["overdue"] for i in data["items"]), reverse=True)
    crisis_items = [i for i in data["items"] if i["kind"] == "crisis"]
    open_crises = {a.id for a in sample["alerts"] if a.active}
    assert crisis_items and {i["key"].removeprefix("crisis:") for i in crisis_items} <= open_crises
    assert max(len(i["mentions"]) for i in crisis_items) > 1
    assert any("crisis" in r for i in crisis_items for m in i["mentions"] for r in m["reasons"])
    assert httpx.get(f"{web}/api/inbox", params={"since": "yesterday"}, timeout=30).status_code == 400


def test_inbox_api_assign_note_answer_survive_a_rewrite_and_feed_the_figures(web, sample, inbox_settings):
    with _client_with_csrf(web) as (client, headers):
        item = next(i for i in client.get("/api/inbox", params={"since": "7d"}).json()["items"] if i["kind"] == "mention")
        mention_id = item["ids"][0]
        refused = client.post("/api/inbox/answer", json={"ids": [mention_id], "who": "mallory"})
        assert refused.status_code == 403 and _state(inbox_settings, mention_id) is None
        forged = client.post("/inbox/act", data={"action": "answer", "id": mention_id, "who": "mallory",
                                                 "csrf_token": "guess"}, headers={"origin": web})
        assert forged.status_code == 403 and _state(inbox_settings, mention_id) is None

        assigned = client.post("/api/inbox/assign", json={"ids": [mention_id], "who": "Ana", "assignee": "Bo"},
                               headers=headers)
        assert assigned.status_code == 200 and assigned.json()["changed"] == [mention_id]
        client.post("/api/inbox/note", json={"ids": [mention_id], "who": "Bo", "note": "DM sent"}, headers=headers)
        mine = client.get("/api/inbox", params={"since": "7d", "assignee": "Bo"}).json()
        assert [m["id"] for i in mine["items"] for m in i["mentions"]] == [mention_id]
        assert mine["items"][0]["mentions"][0]["state"]["notes"][0]["text"] == "DM sent"

        created = _time(sample["by_id"][mention_id]["created_at"])
        answered_at = created + timedelta(minutes=12)
        answered = client.post("/api/inbox/answer", json={"ids": [mention_id], "who": "Bo",
                                                          "at": answered_at.isoformat()}, headers=headers)
        assert answered.status_code == 200
        state = _state(inbox_settings, mention_id)
        assert state["answered_by"] == "Bo" and state["assignee"] == "Bo"
        assert _time(state["answered_at"]) == answered_at
        assert state["reply_by"] == item["reply_by"]  # the deadline the inbox showed
        missing = client.post("/api/inbox/answer", json={"ids": ["twitter:nope"], "who": "Bo"}, headers=headers)
        assert missing.status_code == 404
        empty_note = client.post("/api/inbox/note", json={"ids": [mention_id], "who": "Bo"}, headers=headers)
        assert empty_note.status_code == 400
        other = next(i for i in client.get("/api/inbox", params={"since": "7d"}).json()["items"][5:] if i["kind"] == "mention")
        too_early = client.post("/api/inbox/answer", headers=headers, json={
            "ids": [other["ids"][0]], "who": "Bo", "at": (created - timedelta(days=30)).isoformat()})
        assert too_early.status_code == 400 and "was posted at" in too_early.json()["error"]
        assert _state(inbox_settings, other["ids"][0]) is None

        async def rewrite():  # what veille reprocess does to a mention: the document written again
            async with make_client(inbox_settings) as es:
                await load_sample(es, inbox_settings, [sample["by_id"][mention_id]])
        _run(rewrite())
        assert _state(inbox_settings, mention_id)["answered_by"] == "Bo"
        ids = [m["id"] for i in client.get("/api/inbox", params={"since": "7d"}).json()["items"] for m in i["mentions"]]
        assert mention_id not in ids

        times = client.get("/api/kpis/response-times", params={"since": "7d"}).json()
        assert times["overall"]["answered"] == 1 and times["overall"]["median_minutes"] == 12.0
        assert times["overall"]["answered_within_deadline"] == int(answered_at <= _time(item["reply_by"]))
        assert times["by_teammate"]["Bo"]["answered"] == 1
        network = load_playbook().network_of(sample["by_id"][mention_id]["platform"]).name
        assert times["by_network"][network]["p90_minutes"] == 12.0
        assert times["overall"]["open"] > 0 and times["overall"]["overdue"] >= 0
        assert len(times["benchmarks"]) == 3
        assert client.get("/api/kpis/response-times", params={"since": "soon"}).status_code == 400


def test_inbox_cli_lists_and_changes_the_same_state(web, sample, inbox_env, inbox_settings):
    listed = orjson.loads(_veille(inbox_env, "inbox", "list", "--since", "7d", "--json"))
    api = httpx.get(f"{web}/api/inbox", params={"since": "7d"}, timeout=60).json()
    assert listed["open"] == api["open"]
    assert {i["key"] for i in listed["items"]} == {i["key"] for i in api["items"]}  # the order follows each one's now
    assert [i["key"] for i in listed["items"][:3]] == [i["key"] for i in api["items"][:3]]  # the open crises
    thread = next((i for i in listed["items"] if i["kind"] != "mention"), listed["items"][0])
    out = _veille(inbox_env, "inbox", "answer", *thread["ids"], "--who", "Cli")
    assert out.splitlines() == [f"answer: {i}" for i in thread["ids"]]
    assert all(_state(inbox_settings, i)["answered_by"] == "Cli" for i in thread["ids"])
    text = _veille(inbox_env, "inbox", "list", "--since", "7d", "--limit", "5")
    assert len(text.splitlines()) == 5 and thread["ids"][0] not in text
    times = orjson.loads(_veille(inbox_env, "inbox", "times", "--since", "7d", "--json"))
    assert times["by_teammate"]["Cli"]["answered"] == len(thread["ids"])
    api_times = httpx.get(f"{web}/api/kpis/response-times", params={"since": "7d"}, timeout=60).json()
    assert times["overall"]["answered"] == api_times["overall"]["answered"]
    assert times["by_teammate"]["Cli"] == api_times["by_teammate"]["Cli"]


def test_inbox_compare_accepts_the_same_periods_everywhere(web, inbox_env):
    params = {"brand": "Aquarelle", "against": "Nordlys"}
    eight = httpx.get(f"{web}/api/compare", params={**params, "since": "8d"}, timeout=60).json()
    assert _minutes(eight["until"], eight["since"]) == pytest.approx(8 * 24 * 60, abs=1)
    assert eight["counts"] == "mention_watch_pairs" and eight["distinct_mentions"] <= eight["total_mentions"]
    everything = httpx.get(f"{web}/api/compare", params={**params, "since": "all"}, timeout=60).json()
    cli = orjson.loads(_veille(inbox_env, "compare", "Aquarelle", "--against", "Nordlys", "--since", "all", "--json"))
    assert [w["mentions"] for w in cli["watches"]] == [w["mentions"] for w in everything["watches"]]
    assert cli["period"] == everything["period"] == "all"
    bad = httpx.get(f"{web}/api/compare", params={**params, "since": "yesterday"}, timeout=30)
    assert bad.status_code == 400 and "not a time" in bad.json()["error"]
    page = httpx.get(f"{web}/compare", params={**params, "since": "all"}, timeout=60)
    assert f'data-total="{everything["total_mentions"]}"' in page.text  # the page's 'all' is the API's too


@pytest.mark.skipif(not Browser.available(), reason="Debian's chromium and chromium-driver are not installed")
def test_inbox_page_in_chromium_assigns_and_answers(web, sample, inbox_settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    with Browser() as browser:
        driver = browser.driver
        driver.get(f"{web}/inbox?since=7d&lang=en")
        summary = driver.find_element(By.CSS_SELECTOR, ".inbox-summary")
        assert re.search(r"\d+ open, \d+ overdue, \d+ due within the hour", summary.text), summary.text
        items = driver.find_elements(By.CSS_SELECTOR, "ol.inbox li.mention")
        assert len(items) >= 20
        assert any(i.get_attribute("data-kind") == "crisis" for i in items)
        crisis_reason = driver.find_element(By.CSS_SELECTOR, "li.item-crisis .reason[data-reason=open_crisis]")
        assert crisis_reason.text == "part of an open crisis"
        item = items[0]
        key, ids = item.get_attribute("data-key"), None
        form = item.find_element(By.CSS_SELECTOR, "form.act-assign")
        ids = [e.get_attribute("value") for e in form.find_elements(By.CSS_SELECTOR, "input[name=id]")]
        form.find_element(By.NAME, "assignee").send_keys("Dee")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "Assigned"))
        assert all(_state(inbox_settings, i)["assignee"] == "Dee" for i in ids)
        assignee_form = driver.find_element(By.CSS_SELECTOR, "form.assignee-filter")
        assignee_form.find_element(By.NAME, "assignee").send_keys("Dee")
        assignee_form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(EC.url_contains("assignee=Dee"))
        shown = driver.find_elements(By.CSS_SELECTOR, "ol.inbox li.mention")
        assert [i.get_attribute("data-key") for i in shown] == [key]
        item = driver.find_element(By.CSS_SELECTOR, f'li.mention[data-key="{key}"]')
        assert item.find_element(By.CSS_SELECTOR, ".assignee").get_attribute("data-assignee") == "Dee"
        form = item.find_element(By.CSS_SELECTOR, "form.act-answer")
        form.find_element(By.NAME, "who").clear()
        form.find_element(By.NAME, "who").send_keys("Dee")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".notice"), "answered"))
        assert "assignee=Dee" in driver.current_url and not driver.find_elements(By.CSS_SELECTOR, "ol.inbox li.mention")
        assert all(_state(inbox_settings, i)["answered_by"] == "Dee" for i in ids)

        driver.get(f"{web}/inbox?since=7d&lang=fr")
        reasons = driver.find_elements(By.CSS_SELECTOR, ".reason[data-reason$=_audience]")
        assert reasons and all("abonnés" in r.text for r in reasons)
        driver.get(f"{web}/?since=7d&lang=fr")
        section = driver.find_element(By.CSS_SELECTOR, "#response-times")
        assert "Temps de réponse" in section.text and "22 minutes" in section.text
        api = httpx.get(f"{web}/api/kpis/response-times", params={"since": "7d"}, timeout=60).json()
        shown = driver.find_element(By.CSS_SELECTOR, "[data-kpi=rt-answered]").text
        assert int(shown) == api["overall"]["answered"] >= len(ids)
        # "to answer" leaves out what was answered: the inbox's open count, not every mention with a deadline
        to_answer = driver.find_element(By.CSS_SELECTOR, "[data-kpi=to-answer]").text
        assert to_answer == driver.find_element(By.CSS_SELECTOR, "[data-kpi=rt-open]").text
        everything = httpx.get(f"{web}/api/overview", params={"since": "7d"}, timeout=60).json()["to_answer"]
        assert api["open_total"] == everything - api["overall"]["answered"]
        rows = driver.find_elements(By.CSS_SELECTOR, "table[data-group=by_teammate] tbody tr")
        assert "Dee" in {r.get_attribute("data-name") for r in rows}


def test_inbox_response_times_read_answered_mentions_in_pages(stack, stack_env):
    """More answered mentions than one page: every one is read (search_after), the percentiles are exact."""
    from elasticsearch.helpers import async_bulk

    from pipeline.inbox.service import Scope, response_times
    from pipeline.inbox.store import PAGE_SIZE, setup_inbox_index

    settings = settings_for({**stack_env, "VEILLE_INDEX_PREFIX": f"inboxpages{uuid.uuid4().hex[:8]}"})
    now = datetime.now(UTC)
    created = now - timedelta(days=1)
    minutes = [(i * 7) % 600 + 1 for i in range(2 * PAGE_SIZE + 137)]

    async def run():
        async with make_client(settings) as client:
            await setup_inbox_index(client, settings)
            await async_bulk(client, [{"_index": inbox_index(settings), "_id": f"twitter:{i}", "_source": {
                "mention_id": f"twitter:{i}", "created_at": created.isoformat(), "network": "microblog",
                "categories": ["complaint"], "answered_by": "Ana", "reply_by": (created + timedelta(minutes=60)).isoformat(),
                "answered_at": (created + timedelta(minutes=m)).isoformat()}} for i, m in enumerate(minutes)],
                refresh="true")
            try:
                return await response_times(client, settings, Scope(now - timedelta(days=7), now), now)
            finally:
                await client.indices.delete(index=inbox_index(settings))

    overall = _run(run()).to_json()["overall"]
    ordered = sorted(minutes)
    assert overall["answered"] == len(minutes)
    assert overall["answered_within_deadline"] == sum(m <= 60 for m in minutes)
    assert overall["median_minutes"] == ordered[len(ordered) // 2]
    assert overall["p90_minutes"] == ordered[-(-9 * len(ordered) // 10) - 1]
