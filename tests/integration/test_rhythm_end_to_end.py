"""Audience rhythm end to end on the embedded Elasticsearch API: mentions indexed at known local times for two
watches (Europe/Paris and, by watches.yaml, America/Montreal), ``veille web`` as a real process answering
``/api/rhythm``, ``/api/audience/rhythm`` and the ``/rhythm`` page, and ``veille rhythm`` as a real command."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from pipeline.stack import free_port, settings_for
from tools.showcase import Browser, sample_in_index, tagged_sample
from web_process import running_web

pytestmark = pytest.mark.integration
PARIS, MONTREAL = ZoneInfo("Europe/Paris"), ZoneInfo("America/Montreal")
WATCHES = """
watches:
  - name: Aquarelle
    keywords: [Aquarelle]
  - name: Lumio
    keywords: [Lumio]
    timezone: America/Montreal
"""


def _last(weekday: int, hour: int, zone: ZoneInfo, now: datetime, weeks: int) -> list[datetime]:
    """The local ``weekday`` at ``hour`` of each of the last ``weeks`` weeks, the newest at least an hour before
    ``now``, in UTC."""
    local = (now - timedelta(hours=1)).astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    if datetime(day.year, day.month, day.day, hour, tzinfo=zone) > local:
        day -= timedelta(weeks=1)
    return [datetime(d.year, d.month, d.day, hour, tzinfo=zone).astimezone(UTC)
            for d in (day - timedelta(weeks=w) for w in range(weeks))]


def _slot_hour(weekday: int, hour: int, zone: ZoneInfo, now: datetime) -> int:
    """``hour``, or three hours earlier when ``now`` is near that weekly slot: then the newest whole slot is a week
    old and the oldest of four would fall at the 28-day window's edge (an hour earlier across a clock change)."""
    local = now.astimezone(zone)
    return hour - 3 if local.weekday() == weekday and hour - 1 <= local.hour < hour + 2 else hour


def _mentions(templates, watch: str, starts: list[datetime], likes: int) -> list[dict]:
    """Three mentions in each hour of ``starts`` (at :05, :20 and :40), each with ``likes`` likes."""
    found = []
    for start in starts:
        for minute in (5, 20, 40):
            base = templates[len(found) % len(templates)]
            found.append({**base, "id": f"rhythm-{uuid.uuid4().hex}", "watch": [watch],
                          "created_at": (start + timedelta(minutes=minute)).isoformat(),
                          "metrics": {"likes": likes, "shares": 0, "replies": 0}})
    return found


@pytest.fixture(scope="module")
def rhythm_env(stack, stack_env, tmp_path_factory):
    watches_file = tmp_path_factory.mktemp("rhythm") / "watches.yaml"
    watches_file.write_text(WATCHES)
    return {**stack_env, "VEILLE_INDEX_PREFIX": f"rhythmtest{uuid.uuid4().hex[:8]}",
            "VEILLE_WEB_PORT": str(free_port()), "VEILLE_WATCHES_FILE": str(watches_file)}


@pytest.fixture(scope="module")
def indexed(rhythm_env):
    now = datetime.now(UTC)
    templates = tagged_sample(now=now, limit=20)
    evening, morning = _slot_hour(1, 18, PARIS, now), _slot_hour(3, 9, PARIS, now)
    tuesday_evenings = _last(1, evening, PARIS, now, 4)
    thursday_mornings = _last(3, morning, PARIS, now, 4)
    lumio_fridays = _last(4, 12, MONTREAL, now, 3)
    documents = [*_mentions(templates, "Aquarelle", tuesday_evenings, 10),
                 *_mentions(templates, "Aquarelle", thursday_mornings, 1),
                 *_mentions(templates, "Lumio", lumio_fridays, 2)]
    with sample_in_index(settings_for(rhythm_env), documents) as count:
        assert count == len(documents) == 3 * 11
        yield {"tuesday_evenings": tuesday_evenings, "evening": evening, "morning": morning}


@pytest.fixture(scope="module")
def web(indexed, rhythm_env):
    with running_web(settings_for(rhythm_env), rhythm_env) as base:
        yield base


def test_rhythm_api_grid_and_best_slots_in_the_watch_zone(web, indexed):
    with httpx.Client(base_url=web, timeout=30) as client:
        answer = client.get("/api/rhythm", params={"watch": "aquarelle", "since": "28d"})
        assert answer.status_code == 200, answer.text
        rhythm = answer.json()
        assert (rhythm["watch"], rhythm["time_zone"], rhythm["mentions"]) == ("Aquarelle", "Europe/Paris", 24)
        evening, morning = indexed["evening"], indexed["morning"]
        cells = {(day, hour): n for day, row in enumerate(rhythm["grid"]["mentions"]) for hour, n in enumerate(row) if n}
        assert cells == {(1, evening): 12, (3, morning): 12}
        assert rhythm["grid"]["interactions"][1][evening] == 120 and rhythm["interactions"] == 132
        assert [(s["day"], s["hour"], s["interactions_per_mention"]) for s in rhythm["best_slots"]] == \
            [("tuesday", evening, 10.0), ("thursday", morning, 1.0)]
        assert [(s["hour"], s["occurrences"]) for s in rhythm["best_hours"]] == [(evening, 4), (morning, 4)]
        twin = client.get("/api/audience/rhythm", params={"watch": "Aquarelle"}).json()  # four weeks by default
        assert twin["period"] == "28d"
        assert {**twin, "since": None, "until": None} == {**rhythm, "since": None, "until": None}  # another now

        in_utc = client.get("/api/rhythm", params={"watch": "Aquarelle", "since": "28d", "tz": "UTC"}).json()
        utc_hours = {(start.weekday(), start.hour) for start in indexed["tuesday_evenings"]}
        assert {(d, h) for d, row in enumerate(in_utc["grid"]["mentions"]) for h, n in enumerate(row) if n} >= utc_hours

        lumio = client.get("/api/rhythm", params={"watch": "Lumio", "since": "28d"}).json()
        assert lumio["time_zone"] == "America/Montreal" and lumio["grid"]["mentions"][4][12] == 9
        assert lumio["best_slots"] == []  # 9 mentions: under the minimum sample

        everything = client.get("/api/rhythm", params={"since": "all"}).json()
        assert everything["watch"] is None and everything["mentions"] == 33

        unknown = client.get("/api/rhythm", params={"watch": "Nobody"})
        assert unknown.status_code == 400 and "known watches" in unknown.json()["error"]
        spelt = client.get("/api/rhythm", params={"watch": "Aquarelle", "tz": " UTC\n"}).json()
        assert spelt["time_zone"] == "UTC" and spelt["grid"] == in_utc["grid"]
        bad_zone = client.get("/api/rhythm", params={"watch": "Aquarelle", "tz": "Mars/Olympus"})
        assert bad_zone.status_code == 400 and "time zone" in bad_zone.json()["error"]
        bad_period = client.get("/api/rhythm", params={"since": "soon"})
        assert bad_period.status_code == 400


@pytest.mark.parametrize("lang, title", [("en", "Best slots to publish"), ("fr", "Les meilleurs créneaux pour publier")])
def test_rhythm_page_shows_the_heatmaps_and_best_slots(web, indexed, lang, title):
    page = httpx.get(f"{web}/rhythm", params={"watch": "Aquarelle", "lang": lang}, timeout=30)
    assert page.status_code == 200, page.text[-2000:]
    assert page.text.count('<svg class="chart heatmap"') == 2
    evening = indexed["evening"]
    assert f'data-day="1" data-hour="{evening}" data-value="12"' in page.text
    assert title in page.text and 'data-zone="Europe/Paris"' in page.text
    assert f'<tr data-day="1" data-hour="{evening}">' in page.text
    assert 'href="/rhythm"' in page.text


@pytest.mark.skipif(not Browser.available(), reason="Debian's chromium and chromium-driver are not installed")
def test_rhythm_page_in_chromium(web, indexed, tmp_path):
    from selenium.webdriver.common.by import By

    with Browser() as browser:
        browser.driver.get(f"{web}/rhythm?watch=Aquarelle&lang=fr")
        heatmaps = browser.driver.find_elements(By.CSS_SELECTOR, "svg.heatmap")
        assert len(heatmaps) == 2 and all(h.size["width"] > 400 for h in heatmaps)
        assert len(heatmaps[0].find_elements(By.CSS_SELECTOR, "rect")) == 7 * 24
        assert browser.driver.find_element(By.CSS_SELECTOR, "nav a.active").get_attribute("data-nav") == "rhythm"
        first = browser.driver.find_element(By.CSS_SELECTOR, ".best-slots tbody tr td").text
        assert first.startswith(f"mar. {indexed['evening']}:00")
        browser.driver.save_screenshot(str(tmp_path / "rhythm.png"))
        print(tmp_path / "rhythm.png")


def test_rhythm_command_prints_the_grid_and_best_slots(indexed, rhythm_env):
    result = subprocess.run([sys.executable, "-m", "pipeline", "rhythm", "Aquarelle", "--since", "28d"],
                            env={**os.environ, **rhythm_env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Aquarelle: 24 mentions, 132 interactions" in result.stdout
    evening = indexed["evening"]
    assert f"Tuesday {evening}:00–{evening + 1}:00" in result.stdout and "Europe/Paris" in result.stdout
    refused = subprocess.run([sys.executable, "-m", "pipeline", "rhythm", "Nobody"], env={**os.environ, **rhythm_env},
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "known watches" in refused.stderr
