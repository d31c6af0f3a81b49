"""Client reports end to end on the embedded Elasticsearch: the bundled sample tagged and indexed with its
crisis alerts (one handled: acknowledged, then resolved), trend events and answered inbox states;
``veille report`` as a real process writes a PDF, rendered to PNG with pdfium and checked page by page,
and an HTML page; ``--email`` sends it to a local SMTP server with an alert channel's settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pipeline.alerts.model import acknowledge, resolve
from pipeline.inbox.service import apply_change
from pipeline.inbox.store import check_change, setup_inbox_index
from pipeline.reports.view import section_titles
from pipeline.sinks.elasticsearch import make_client
from pipeline.stack import free_port, settings_for
from test_alerts_delivery import MailRecorder
from test_inbox_end_to_end import _planned
from tools.showcase import drop_sample, sample_alerts, sample_trends, seed_sample, tagged_sample

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 renders the PDF (the test extra)")
aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd plays the SMTP server")

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report_env(stack, stack_env):
    return {**stack_env, "VEILLE_INDEX_PREFIX": f"reporttest{uuid.uuid4().hex[:8]}"}


@pytest.fixture(scope="module")
def sample(report_env):
    settings = settings_for(report_env)
    now = datetime.now(UTC)
    documents = [_planned(doc) for doc in tagged_sample(now=now)]  # a deadline whichever tagger is installed
    alerts = sample_alerts(documents, now)
    first = alerts[0]
    handled = resolve(acknowledge(first, "Ana", first.opened_at + timedelta(minutes=12)), "Ana",
                      first.opened_at + timedelta(hours=2))
    alerts = [handled, *alerts[1:]]
    answered = [d["id"] for d in documents if "Aquarelle" in (d.get("watch") or []) and d.get("reply_by")][:5]

    async def seed():
        async with make_client(settings) as client:
            await seed_sample(client, settings, documents, alerts, sample_trends(documents))
            await setup_inbox_index(client, settings)
            await apply_change(client, settings, check_change("answer", answered, "Ana"), now)
            await client.indices.refresh(index=f"{settings.index_prefix}-inbox")
    asyncio.run(seed())
    yield {"documents": documents, "alerts": alerts, "answered": answered}

    async def drop():
        async with make_client(settings) as client:
            await drop_sample(client, settings)
    asyncio.run(drop())


def _veille(env, *args, timeout=300):
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], env={**os.environ, **env},
                            capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _pdf_pages(data: bytes, out: Path) -> list[tuple[str, Path]]:
    """(text, PNG file) of each page."""
    document = pdfium.PdfDocument(data)
    pages = []
    for number in range(len(document)):
        page = document[number]
        image = page.render(scale=1.0).to_pil()
        path = out / f"page-{number + 1}.png"
        image.save(path)
        pages.append((page.get_textpage().get_text_range(), path))
    return pages


def _inked_share(path: Path) -> float:
    """The share of pixels that are not white."""
    from PIL import Image

    gray = Image.open(path).convert("L")
    histogram = gray.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


def test_reports_pdf_in_french_renders_every_section(sample, report_env, tmp_path):
    out = tmp_path / "aquarelle.pdf"
    printed = _veille(report_env, "report", "Aquarelle", "--since", "7d", "--format", "pdf", "--lang", "fr",
                      "--out", str(out))
    assert f"wrote {out}" in printed
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = _pdf_pages(data, tmp_path)
    assert 3 <= len(pages) <= 12
    text = " ".join(" ".join(page.split()) for page, _ in pages)
    assert "Rapport de veille : Aquarelle" in text
    for title in section_titles("fr"):
        assert title in text, title
    assert "Nordlys" in text  # the competitor of watches.yaml, in the share of voice
    assert "Prise en charge par Ana" in text and "Résolue par Ana" in text  # the handled crisis's timeline
    assert "22 minutes" in text  # the published figure beside the measured ones
    assert all(Path(png).stat().st_size > 0 for _, png in pages)
    assert _inked_share(pages[0][1]) > 0.02  # the first page holds the summary and charts, not a blank page
    assert min(_inked_share(png) for _, png in pages) > 0.001


def test_reports_html_in_english_has_charts_and_the_figures(sample, report_env, tmp_path):
    out = tmp_path / "aquarelle.html"
    _veille(report_env, "report", "aquarelle", "--since", "all", "--format", "html", "--lang", "en",
            "--against", "Lumio,Nordlys", "--output", str(out))
    page = out.read_text(encoding="utf-8")
    assert "Social listening report: Aquarelle" in page
    for title in section_titles("en"):
        assert title in page, title
    assert page.count("<svg") >= 6 and "Lumio" in page and "Nordlys" in page
    mentions = sum(1 for d in sample["documents"] if "Aquarelle" in (d.get("watch") or []))
    assert f"{mentions:,} mentions of Aquarelle" in page


def test_reports_unknown_watch_and_bad_period_are_refused(sample, report_env):
    env = {**os.environ, **report_env}
    unknown = subprocess.run([sys.executable, "-m", "pipeline", "report", "Nobody"], env=env, capture_output=True,
                             text=True, timeout=120, cwd=ROOT)
    assert unknown.returncode == 2 and "known watches" in unknown.stderr
    bad = subprocess.run([sys.executable, "-m", "pipeline", "report", "Aquarelle", "--since", "soon"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 2


def test_reports_email_goes_through_the_alert_channel_smtp_settings(sample, report_env, tmp_path):
    recorder = MailRecorder()
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        routing = tmp_path / "alerting.yaml"
        routing.write_text(yaml.safe_dump({"channels": {
            "hook": {"type": "webhook", "url_env": "UNSET_REPORT_HOOK_URL", "secret_env": "UNSET_REPORT_HOOK_SECRET"},
            "client-mail": {"type": "email", "host": "127.0.0.1", "port": controller.port, "security": "none",
                            "sender": "veille@example.org", "to": ["cm@example.org"], "timeout": 10}}}))
        env = {**report_env, "VEILLE_ALERTING_FILE": str(routing)}
        printed = _veille(env, "report", "Aquarelle", "--since", "7d", "--lang", "fr",
                          "--email", "client@example.org,direction@example.org")
        assert "sent the report of Aquarelle to client@example.org, direction@example.org" in printed
    finally:
        controller.stop()
    [(sender, recipients, message)] = recorder.messages
    assert sender == "veille@example.org" and recipients == ["client@example.org", "direction@example.org"]
    assert "Rapport Veille : Aquarelle" in str(message["Subject"])
    [attachment] = [part for part in message.walk() if part.get_content_disposition() == "attachment"]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith("veille-report-Aquarelle-")
    data = attachment.get_payload(decode=True)
    assert data.startswith(b"%PDF-") and len(pdfium.PdfDocument(data)) >= 3


def test_reports_every_sends_a_new_report_at_each_interval(sample, report_env, tmp_path):
    """``--every`` (what the docker-compose report service runs): a first report at --first, then one per
    interval, each to the e-mail channel's own recipients (--send), until the process is stopped."""
    import time

    recorder = MailRecorder()
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    routing = tmp_path / "alerting.yaml"
    routing.write_text(yaml.safe_dump({"channels": {"mail": {
        "type": "email", "host": "127.0.0.1", "port": controller.port, "security": "none",
        "sender": "veille@example.org", "to": ["cm@example.org"], "timeout": 10}}}))
    first = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "report", "Aquarelle", "--since", "7d", "--format", "html", "--send",
         "--email", "", "--every", "20s", "--first", first],
        env={**os.environ, **report_env, "VEILLE_ALERTING_FILE": str(routing)}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 150
        while len(recorder.messages) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        controller.stop()
    assert len(recorder.messages) >= 2, output[-3000:]
    assert all(recipients == ["cm@example.org"] for _, recipients, _ in recorder.messages)
    assert "next report of Aquarelle at" in output
    attachments = [part for _, _, message in recorder.messages for part in message.walk()
                   if part.get_content_disposition() == "attachment"]
    assert [part.get_content_type() for part in attachments] == ["text/html"] * len(recorder.messages)


def test_reports_html_opens_in_chromium_with_its_charts_drawn(sample, report_env, tmp_path):
    """The HTML report as a client opens it from the e-mail: a file, no server, every chart drawn."""
    from tools.showcase import Browser

    if not Browser.available():
        pytest.skip("Debian's chromium and chromedriver are needed")
    out = tmp_path / "rapport.html"
    _veille(report_env, "report", "Aquarelle", "--since", "7d", "--format", "html", "--lang", "fr", "--out", str(out))
    with Browser(lang="fr-FR") as browser:
        browser.driver.get(out.as_uri())
        headings = [h.text for h in browser.driver.find_elements("css selector", "h2")]
        sizes = browser.driver.execute_script(
            "return [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect())"
            ".map(r => [r.width, r.height]);")
        marks = browser.driver.execute_script(
            "return document.querySelectorAll('svg.chart path, svg.chart rect, svg.chart polyline').length;")
        browser.driver.save_screenshot(str(tmp_path / "rapport.png"))
    assert headings == section_titles("fr")
    assert len(sizes) >= 6 and all(width > 100 and height > 80 for width, height in sizes)
    assert marks > 20  # lines, areas, bars and donut slices of the seven charts
    assert _inked_share(tmp_path / "rapport.png") > 0.02
