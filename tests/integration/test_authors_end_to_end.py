"""Influencers, authors and likely fake accounts end to end on the embedded Elasticsearch: mentions from
established accounts and from a burst of fresh look-alike accounts, tagged like the tag agent does (so each
carries its author's score) and indexed; ``veille web`` as a real process answers the top authors, the share
of mentions from likely fake accounts (API, authors page, overview), an author's page and API, and erases
an author from the web form; ``veille authors`` lists the same top authors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import orjson
import pytest

from pipeline.alerts.model import Detection, apply_detection
from pipeline.processing import RawRecord, process_raw_batch
from pipeline.stack import free_port, settings_for
from pipeline.tagging.rules import RuleTagger
from tools.showcase import sample_in_index
from web_process import running_web

pytestmark = pytest.mark.integration
WATCH = "Aquarelle"


def _mention(n: int, author: dict, text: str, at: datetime, likes: int = 0) -> dict:
    return {"platform": "mastodon", "native_id": str(n), "source": "mastodon.social", "author": author,
            "text": text, "created_at": at.isoformat(), "watch": [WATCH], "metrics": {"likes": likes}}


def _documents(now: datetime) -> list[dict]:
    established = [
        ({"id": "star", "handle": "star", "followers": 50_000, "created_at": "2015-03-01T00:00:00Z", "posts": 8000},
         "Aquarelle's new paint set is lovely, my students adore it", 5),
        ({"id": "fan", "handle": "fan", "followers": 1_200, "created_at": "2019-06-01T00:00:00Z", "posts": 900},
         "Ordered Aquarelle brushes twice this year, always on time", 400),
    ]
    raw = []
    for n, (author, text, likes) in enumerate(established):
        for k in range(3):
            raw.append(_mention(10 * n + k, author, f"{text} ({k})", now - timedelta(hours=5 + k), likes))
    for k in range(8):  # a burst of fresh accounts pasting the same complaint
        bot = {"id": f"bot{k}", "handle": f"bot{k}", "followers": 3, "following": 2000, "posts": 400,
               "created_at": (now - timedelta(days=2, hours=k)).isoformat()}
        raw.append(_mention(100 + k, bot, "Aquarelle is a scam, they never deliver, avoid Aquarelle!!!",
                            now - timedelta(minutes=30 - k)))
    records = [RawRecord(orjson.dumps(m), "mentions.raw", 0, offset) for offset, m in enumerate(raw)]
    return process_raw_batch(records, RuleTagger(), now).enriched


@pytest.fixture(scope="module")
def authors_env(stack, stack_env):
    return {**stack_env, "VEILLE_INDEX_PREFIX": f"authorstest{uuid.uuid4().hex[:8]}",
            "VEILLE_WEB_PORT": str(free_port()), "VEILLE_ERASE_SETTLE_SECONDS": "0"}


@pytest.fixture(scope="module")
def web(authors_env):
    settings = settings_for(authors_env)
    subprocess.run([sys.executable, "-m", "pipeline", "init"], env={**os.environ, **authors_env}, check=True,
                   capture_output=True, timeout=120)  # the erasures topic, for the erasure
    now = datetime.now(UTC)
    documents = _documents(now)
    raid = Detection(watch=WATCH, kind="troll_spike", severity="warning", title="Troll spike on Aquarelle",
                     explanation="8 mentions", sample_ids=[d["id"] for d in documents[-8:]], fake_share=1.0)
    alert, _, _ = apply_detection(None, raid, now, timedelta(minutes=30))
    with sample_in_index(settings, documents, [alert]) as indexed, running_web(settings, authors_env) as base:
        assert indexed == len(documents) == 14
        yield base


def test_authors_api_top_authors_by_reach_and_engagement_with_the_fake_share(web):
    data = httpx.get(f"{web}/api/authors", params={"since": "7d", "watch": WATCH}, timeout=60).json()
    assert [a["id"] for a in data["authors"][:2]] == ["star", "fan"]
    star = data["authors"][0]
    assert (star["mentions"], star["reach"], star["interactions"], star["likely_fake"]) == (3, 150_000, 15, 0)
    assert {a["id"]: a["likely_fake"] for a in data["authors"]}["bot3"] == 1
    assert data["likely_fake"]["mentions"] == 14 and data["likely_fake"]["likely_fake"] == 8
    assert data["likely_fake"]["watches"][WATCH]["share"] == round(8 / 14, 4)
    engaged = httpx.get(f"{web}/api/authors", params={"since": "7d", "by": "engagement"}, timeout=60).json()
    assert engaged["authors"][0]["id"] == "fan" and engaged["authors"][0]["interactions"] == 1200
    assert httpx.get(f"{web}/api/authors", params={"by": "loudest"}, timeout=60).status_code == 400
    eight_days = httpx.get(f"{web}/api/authors", params={"since": "8d"}, timeout=60).json()  # as veille search reads it
    assert eight_days["since"][:10] == (datetime.fromisoformat(eight_days["until"]) - timedelta(days=8)).date().isoformat()
    assert httpx.get(f"{web}/api/authors", params={"since": "someday"}, timeout=60).status_code == 400


def test_authors_pages_show_top_authors_fake_share_and_link_each_author(web):
    page = httpx.get(f"{web}/authors", params={"since": "7d"}, timeout=60)
    assert page.status_code == 200
    assert 'data-kpi="fake-share">57.1%' in page.text
    assert f'/author?{urlencode({"since": "7d", "platform": "mastodon", "id": "star"})}' in page.text.replace("&amp;", "&")
    overview = httpx.get(f"{web}/", params={"since": "7d"}, timeout=60)
    assert overview.status_code == 200 and 'data-kpi="fake-share">57.1%' in overview.text
    crisis = httpx.get(f"{web}/crisis", timeout=60)
    assert crisis.status_code == 200 and 'data-fake-share="1.0">100% from likely fake accounts' in crisis.text
    assert 'class="author" href="/author?platform=mastodon&amp;id=bot' in crisis.text  # its evidence links authors
    legal = httpx.get(f"{web}/legal", params={"since": "7d"}, timeout=60)  # its mention list links authors too
    assert legal.status_code == 200


def test_authors_author_page_and_api_show_their_mentions_sentiment_and_open_items(web):
    page = httpx.get(f"{web}/author", params={"platform": "mastodon", "id": "bot2", "since": "7d"}, timeout=60)
    assert page.status_code == 200
    assert 'data-mention-id="mastodon:102"' in page.text
    assert "Likely fake" in page.text and 'href="/author/erase?platform=mastodon&amp;id=bot2"' in page.text
    french = httpx.get(f"{web}/author", params={"platform": "mastodon", "id": "bot2", "lang": "fr"}, timeout=60)
    assert french.status_code == 200 and "Effacer cet auteur" in french.text and "Compte suspect" in french.text
    data = httpx.get(f"{web}/api/author", params={"platform": "mastodon", "id": "star", "since": "7d"}, timeout=60).json()
    assert data["mentions"] == 3 and data["reach"] == 150_000 and data["followers"] == 50_000
    assert [m["id"] for m in data["latest"]] == ["mastodon:0", "mastodon:1", "mastodon:2"]
    assert sum(data["sentiment"].values()) == 3 and sum(sum(p[s] for s in data["sentiment"]) for p in
                                                      data["sentiment_over_time"]) == 3
    assert not data["health"]["likely_fake"] and "open" in data["open_items"]
    missing = httpx.get(f"{web}/author", params={"platform": "mastodon", "id": "nobody", "since": "all"}, timeout=60)
    assert missing.status_code == 404
    assert httpx.get(f"{web}/api/author", params={"platform": "mastodon"}, timeout=60).status_code == 400


def test_authors_erase_link_erases_the_author(web):
    with httpx.Client(base_url=web, timeout=60) as client:
        confirm = client.get("/author/erase", params={"platform": "mastodon", "id": "bot7"})
        assert confirm.status_code == 200 and "veille erase --platform mastodon --author bot7" in confirm.text
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', confirm.text).group(1)
        refused = client.post("/author/erase", data={"platform": "mastodon", "id": "bot7"}, headers={"origin": web})
        assert refused.status_code == 403
        everywhere = client.post("/author/erase", data={"id": "bot7", "csrf_token": csrf}, headers={"origin": web})
        assert everywhere.status_code == 400  # an id on every platform is for veille erase, not a button
        done = client.post("/author/erase", data={"platform": "mastodon", "id": "bot7", "csrf_token": csrf},
                           headers={"origin": web})
        assert done.status_code == 303 and done.headers["location"].startswith("/authors?erased=mastodon")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = client.get("/api/author", params={"platform": "mastodon", "id": "bot7", "since": "all"}).json()
            if left["mentions"] == 0:
                break
            time.sleep(0.5)
        assert left["mentions"] == 0


def test_authors_cli_lists_the_same_top_authors(web, authors_env):
    result = subprocess.run([sys.executable, "-m", "pipeline", "authors", WATCH, "--since", "7d", "--json"],
                            env={**os.environ, **authors_env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    data = orjson.loads(result.stdout)
    assert [a["id"] for a in data["authors"][:2]] == ["star", "fan"]
    assert data["likely_fake"]["likely_fake"] >= 7  # bot7 may be erased already
    table = subprocess.run([sys.executable, "-m", "pipeline", "authors", WATCH, "--since", "7d", "--by", "engagement"],
                           env={**os.environ, **authors_env}, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0 and table.stdout.splitlines()[2].startswith("fan ")
