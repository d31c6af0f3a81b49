"""The web app with demo data in a real browser: what the end-to-end tests and the README screenshots use.

- :func:`load_sample` tags the bundled sample stream with the real tagger (the tag agent's own
  function) and indexes it with the real sink, timestamps moved so the newest mention is now.
- :func:`sample_alerts` builds crisis alerts from those mentions with the alert model's own functions
  (the crisis agent raises the real ones), so the crisis page has something to show.
- :class:`Browser` drives Debian's Chromium headless through its chromedriver.

``python -m tools.showcase --out docs/screenshots`` starts an embedded stack of its own in a
temporary directory, loads the sample, starts ``veille web`` and writes one 1280×800 PNG per page.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.alerts.model import Alert, Detection, Severity, acknowledge, apply_detection
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.timestamps import parse_iso

SAMPLE = PROJECT_ROOT / "data" / "sample" / "mentions.jsonl"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 800)
PAGES = (
    ("overview", "/?since=24h"),
    ("crisis", "/crisis"),
    ("inbox", "/inbox?since=24h"),
    ("legal", "/legal?since=7d"),
    ("trends", "/trends?since=24h"),
    ("compare", "/compare?brand=Aquarelle&against=Nordlys&against=Lumio&since=24h"),
)


def tagged_sample(path: Path = SAMPLE, now: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The sample mentions, moved in time so the newest is ``now``, validated and tagged like the tag agent does."""
    from pipeline.sources.replay.paced import prepare_line, rebase_offset
    from pipeline.processing import RawRecord, process_raw_batch
    from pipeline.tagging import get_tagger

    now = now or datetime.now(UTC)
    lines = path.read_bytes().splitlines()[:limit]
    shift = rebase_offset(lines, now)
    records = [RawRecord(value=prepare_line(line, shift)[1], topic="sample", partition=0, offset=offset)
               for offset, line in enumerate(lines)]
    return process_raw_batch(records, get_tagger(), now).enriched


async def load_sample(client: Any, settings: Settings, documents: Sequence[dict[str, Any]]) -> int:
    """Index ``documents`` into the mentions index (template installed first), then refresh it."""
    from pipeline.alerts.store import setup_alert_indices
    from pipeline.sinks.elasticsearch import ElasticsearchMentionSink, document_for

    sink = ElasticsearchMentionSink(client, settings)
    await sink.setup()
    await setup_alert_indices(client, settings)
    outcome = await sink.write([document_for(doc) for doc in documents])
    await client.indices.refresh(index=settings.mentions_index)
    return len(outcome.indexed)


async def seed_sample(client: Any, settings: Settings, documents: Sequence[dict[str, Any]],
                      alerts: Sequence[Alert] = (), trends: Sequence[dict[str, Any]] = ()) -> int:
    """Index ``documents`` (:func:`load_sample`), store ``alerts`` and index the trend events ``trends``; the
    number of mentions indexed."""
    from pipeline.alerts.store import AlertStore, index_trends, trends_index

    count = await load_sample(client, settings, documents)
    store = AlertStore(client, settings)
    for alert in alerts:
        await store.upsert(alert, refresh=True)
    if trends:
        await index_trends(client, settings, trends)
        await client.indices.refresh(index=trends_index(settings))
    return count


async def drop_sample(client: Any, settings: Settings) -> None:
    """Delete what :func:`seed_sample` and the web app wrote: the mentions, alerts, trends and inbox indices."""
    for suffix in ("mentions", "alerts", "trends", "inbox"):
        await client.options(ignore_status=404).indices.delete(index=f"{settings.index_prefix}-{suffix}")


@contextmanager
def sample_in_index(settings: Settings, documents: Sequence[dict[str, Any]], alerts: Sequence[Alert] = (),
                    trends: Sequence[dict[str, Any]] = ()) -> Iterator[int]:
    """The sample seeded (:func:`seed_sample`) while the block runs and dropped after; yields the number of
    mentions indexed."""
    from pipeline.sinks.elasticsearch import make_client

    async def with_client(action, *args):
        async with make_client(settings) as client:
            return await action(client, settings, *args)

    try:
        yield asyncio.run(with_client(seed_sample, documents, alerts, trends))
    finally:
        asyncio.run(with_client(drop_sample))


def _peak_hour(documents: Sequence[dict[str, Any]], watch: str, category: str, now: datetime
               ) -> tuple[datetime, int, float, list[str]]:
    """The busiest hour of ``watch`` in ``category`` over the last day: its end, its count, the average count
    per hour over the 24 hours before it, and its mention ids (newest first)."""
    created = {}
    for doc in documents:
        if watch in (doc.get("watch") or []) and category in (doc.get("categories") or []):
            created[doc["id"]] = parse_iso(doc["created_at"])
    hours = Counter(int((now - moment) // timedelta(hours=1)) for moment in created.values())
    peak = min((h for h in hours if h < 24), key=lambda h: (-hours[h], h), default=0)
    end = now - timedelta(hours=peak)
    ids = sorted((i for i, m in created.items() if end - timedelta(hours=1) < m <= end), key=lambda i: created[i], reverse=True)
    before = sum(hours[h] for h in range(peak + 1, peak + 25))
    return end, hours[peak], before / 24, ids


def _terms(documents: Sequence[dict[str, Any]], ids: Sequence[str], exclude: Sequence[str]) -> list[str]:
    from pipeline.compare import top_terms

    wanted = set(ids)
    return [term for term, _ in top_terms([d["text"] for d in documents if d["id"] in wanted], exclude, limit=5)]


def sample_alerts(documents: Sequence[dict[str, Any]], now: datetime) -> list[Alert]:
    """Three alerts of the kinds the crisis agent raises, with figures counted in ``documents`` (each at
    the busiest hour of its series): an open critical complaint spike and an open troll spike on the
    most mentioned watch, and an acknowledged complaint spike on the least mentioned one."""
    watches = Counter(w for doc in documents for w in doc.get("watch") or [])
    names = [name for name, _ in watches.most_common()]
    plans = [
        (names[0], "complaint", "complaint_spike", Severity.critical, "organic"),
        (names[0], "troll", "troll_spike", Severity.warning, "troll_raid"),
        (names[-1], "complaint", "negative_spike", Severity.warning, "organic"),
    ]
    alerts = []
    for watch, category, kind, severity, verdict in plans:
        at, observed, baseline, ids = _peak_hour(documents, watch, category, now)
        terms = _terms(documents, ids, names)
        detection = Detection(
            watch=watch, kind=kind, severity=severity, verdict=verdict,
            title=f"{watch}: {observed} {category} mentions in one hour",
            explanation=(f"{observed} {category} mentions of {watch} in the hour to {at:%H:%M} UTC against {baseline:.1f} per hour "
                         f"over the previous day ({observed / max(baseline, 0.5):.0f}×)."
                         + (f" Most cited: {', '.join(terms[:3])}." if terms else "")),
            top_terms=terms, sample_ids=ids[:20], baseline=round(baseline, 2), observed=observed,
            score=round(2 * (observed ** 0.5 - baseline ** 0.5), 2),
        )
        alert, _, _ = apply_detection(None, detection, at, timedelta(hours=1))
        alerts.append(alert)
    alerts[2] = acknowledge(alerts[2], "Camille", max(alerts[2].opened_at, now - timedelta(minutes=5)))
    return alerts


def sample_trends(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trend events the trending agent would report on ``documents``, replayed in time order through
    its own per-watch tracker (:class:`pipeline.trends.trending.WatchTrends`)."""
    from pipeline.trends.signals import signals_for
    from pipeline.trends.trending import WatchTrends

    trackers: dict[str, WatchTrends] = {}
    counts: dict[tuple[str, int], Counter] = {}
    events: list[dict[str, Any]] = []
    for signal in sorted((s for doc in documents for s in signals_for(doc)), key=lambda s: s.at):
        tracker = trackers.setdefault(signal.watch, WatchTrends(signal.watch))
        start = tracker.observe(signal)
        counts.setdefault((signal.watch, start), Counter()).update(signal.terms)
        for due in tracker.due():
            events.extend(tracker.close(due, counts.pop((signal.watch, due), Counter())))
    return events


class Browser:
    """Headless Debian Chromium through Selenium and Debian's chromedriver (no browser download)."""

    def __init__(self, width: int = WINDOW[0], height: int = WINDOW[1], lang: str = "en-GB"):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                         "--disable-dev-shm-usage", "--hide-scrollbars", f"--window-size={width},{height}",
                         f"--lang={lang}"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(60)

    @staticmethod
    def available() -> bool:
        return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()

    def close(self) -> None:
        self.driver.quit()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _screenshots(base_url: str, out: Path) -> list[Path]:
    written = []
    out.mkdir(parents=True, exist_ok=True)
    with Browser() as browser:
        for lang in ("en", "fr"):
            for name, path in PAGES:
                if lang == "fr" and name not in ("overview", "crisis", "compare"):
                    continue
                separator = "&" if "?" in path else "?"
                browser.driver.get(f"{base_url}{path}{separator}lang={lang}")
                time.sleep(0.5)  # the page's script turns times into local time
                target = out / f"{name}{'' if lang == 'en' else '-fr'}.png"
                browser.driver.save_screenshot(str(target))
                written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary stack's directory (logs)")
    args = parser.parse_args(argv)

    from pipeline.commands.web import start_in_background, web_url
    from pipeline.sinks.elasticsearch import make_client
    from pipeline.stack import EmbeddedStack, free_port, isolated_stack_env, settings_for, web_process

    workdir = Path(tempfile.mkdtemp(prefix="veille-showcase-"))
    env = {**isolated_stack_env(workdir), "VEILLE_WEB_PORT": str(free_port())}
    settings = settings_for(env)
    stack = EmbeddedStack(settings)
    web = web_process(settings)
    try:
        stack.up(timeout=60)
        now = datetime.now(UTC)
        documents = tagged_sample(now=now)

        async def seed() -> int:
            async with make_client(settings) as client:
                return await seed_sample(client, settings, documents, sample_alerts(documents, now), sample_trends(documents))

        print(f"indexed {asyncio.run(seed())} sample mentions", file=sys.stderr)
        start_in_background(settings, timeout=60, env=env)
        for path in _screenshots(web_url(settings).rstrip("/"), args.out):
            print(path, file=sys.stderr)
    finally:
        web.stop()
        stack.down()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
