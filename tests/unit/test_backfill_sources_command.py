"""``veille backfill WATCH --source ...`` end to end, offline: watches.yaml points the sources at a local
server that serves the real recorded Mastodon statuses of ../shared/payloads/mastodon as a tag timeline
(skipped when absent); the history is printed (``--dry-run``), nothing is sent."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import yaml
from typer.testing import CliRunner

import pipeline.commands.backfill as backfill_command
from pipeline.cli import app
from pipeline.mention import Mention
from pipeline.processing import RawRecord, process_raw_batch
from pipeline.settings import Settings
from pipeline.sources.mastodon.connector import id_key
from pipeline.sources.mastodon.normalize import normalize_mastodon
from pipeline.tagging import Tags, get_tagger
from pipeline.trends.backfill import HistoryCounter, count_document
from pipeline.trends.backfill_sources import count_mentions
from recorded_mastodon import SHARED, recorded_statuses

STATUSES = [s for s in recorded_statuses() if "visibility" in s]
pytestmark = pytest.mark.skipif(len(STATUSES) < 6, reason=f"recorded Mastodon statuses not found at {SHARED}")
NOW = datetime(2026, 8, 3, 12, 2, tzinfo=UTC)
TOOTS = [s for s in STATUSES if "toot" in s["content"].lower() and s["visibility"] in ("public", "unlisted")]


@contextmanager
def mastodon_server(status: int = 200):
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if status != 200 or not parts.path.startswith("/api/v1/timelines/tag/"):
                self.send_response(status if status != 200 else 404)
                self.end_headers()
                self.wfile.write(b'{"error": "Record not found"}')
                return
            max_id = query.get("max_id")
            older = [s for s in STATUSES if max_id is None or id_key(str(s["id"])) < id_key(max_id)]
            body = orjson.dumps(older[: int(query.get("limit", 20))])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


class WordTagger:
    """Negative and a complaint when the text says "finally": shows the tags drive the series."""

    name = "word-test"

    def tag_batch(self, items):
        return [Tags(lang="en", sentiment="negative" if "finally" in i.text else "neutral", sentiment_score=0.0,
                     categories=["complaint"] if "finally" in i.text else ["neutral"]) for i in items]


def run(tmp_path, monkeypatch, base: str, *args: str, follows=("mastodon-test",), keywords=("toot",)):
    watches = {
        "sources": [{"name": "mastodon-test", "type": "mastodon", "base_url": base},
                    {"name": "hn-test", "type": "hackernews", "base_url": base}],
        "watches": [{"name": "Tooters", "keywords": list(keywords), "sources": list(follows)}],
    }
    path = tmp_path / "watches.yaml"
    path.write_text(yaml.safe_dump(watches))
    monkeypatch.setenv("VEILLE_CONNECTOR_MIN_INTERVAL", "0")
    monkeypatch.setenv("VEILLE_CONNECTOR_MAX_RETRIES", "0")
    monkeypatch.setattr(backfill_command, "get_settings", lambda: Settings(watches_file=path))
    monkeypatch.setattr(backfill_command, "utc_now", lambda: NOW)
    monkeypatch.setattr("pipeline.tagging.get_tagger", lambda: WordTagger())
    return CliRunner().invoke(app, ["backfill", "Tooters", *args, "--dry-run"])


def test_backfill_sources_command_counts_the_watch_mentions_read_back_with_zeros_from_the_window(tmp_path, monkeypatch):
    with mastodon_server() as (base, requests):
        result = run(tmp_path, monkeypatch, base, "--source", "mastodon", "--days", "7")
    assert result.exit_code == 0, result.output
    assert requests and all(r.startswith("/api/v1/timelines/tag/toot?") for r in requests)
    finally_ = sum("finally" in s["content"] for s in TOOTS)
    assert f"{len(TOOTS)} mention(s) of Tooters counted from 2026-07-27T12:05" in result.output
    # 7 days back from 12:02, from the first whole 5-minute interval, to the one still filling (left out)
    intervals = (NOW.replace(minute=0) - (NOW - timedelta(days=7)).replace(minute=5)) // timedelta(minutes=5)
    assert f"Tooters: {intervals} interval(s) of 300 s from 2026-07-27T12:05:00+00:00 to 2026-08-03T12:00:00+00:00" \
        in result.output
    assert f"(volume {len(TOOTS)}, negative {finally_}, complaint {finally_}, troll 0)" in result.output
    assert "page 1, " in result.output and "oldest reached 2026-08-01" in result.output  # progress on stderr


def test_backfill_sources_command_a_quiet_watch_gets_zeros_and_is_told_so(tmp_path, monkeypatch):
    with mastodon_server() as (base, requests):
        result = run(tmp_path, monkeypatch, base, "--source", "mastodon", "--days", "1", keywords=("#kakapo",))
    assert result.exit_code == 0, result.output
    assert requests[0].startswith("/api/v1/timelines/tag/kakapo?")
    assert "no mention of Tooters" in result.output and "(volume 0, negative 0, complaint 0, troll 0)" in result.output


def test_backfill_sources_command_error_names_source_url_and_page(tmp_path, monkeypatch):
    with mastodon_server(status=403) as (base, _):
        result = run(tmp_path, monkeypatch, base, "--source", "mastodon")
    assert result.exit_code == 1
    assert re.search(rf"mastodon: {re.escape(base)}/api/v1/timelines/tag/toot\S* page 1: HTTP 403", result.output)


def test_backfill_sources_command_refuses_a_source_the_watch_does_not_follow(tmp_path, monkeypatch):
    with mastodon_server() as (base, requests):
        result = run(tmp_path, monkeypatch, base, "--source", "hackernews")
        unknown = run(tmp_path, monkeypatch, base, "--source", "youtube")
        too_far = run(tmp_path, monkeypatch, base, "--source", "mastodon", "--days", "29")
    assert result.exit_code == 2 and "follows none of the hackernews sources" in result.output and requests == []
    assert unknown.exit_code == 2 and "mastodon, reddit, hackernews, rss" in unknown.output
    assert too_far.exit_code == 2


def test_backfill_sources_mentions_are_counted_as_the_tag_stage_would_flag_them():
    """The tag agent's path (process_raw_batch with get_tagger, then the Kafka backfill's count_document) and
    the source backfill's count_mentions give the same counts for the same mentions."""
    mentions: list[Mention] = normalize_mastodon(orjson.dumps(STATUSES), source_hint="localhost").mentions
    tagger = get_tagger()
    records = [RawRecord(topic="mentions.raw", partition=0, offset=n, key=None,
                         value=orjson.dumps(m.model_copy(update={"watch": ["Tooters"]}).model_dump(mode="json")),
                         timestamp_ms=None) for n, m in enumerate(mentions)]
    staged, direct = HistoryCounter(300), HistoryCounter(300)
    for document in process_raw_batch(records, tagger).enriched:
        count_document(document, staged)
    assert count_mentions(mentions, "Tooters", direct, tagger) == len(mentions) > 5
    assert direct.buckets == staged.buckets
