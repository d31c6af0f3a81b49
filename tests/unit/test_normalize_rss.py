"""RSS / Atom / JSON Feed normaliser over hand-written feeds."""

from __future__ import annotations

from datetime import UTC, datetime

from payload_fixtures import PAYLOADS, payload_runner
from pipeline.sources.rss.normalize import normalize_rss

FIXTURES = PAYLOADS / "rss"
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


_run = payload_runner("rss", normalize_rss, fetched_at=FETCHED)


def test_rss_maps_item_fields_and_strips_html():
    result = _run("brand_news.xml")
    first = result.mentions[0]
    assert first.id == "rss:blog-example-fr-4411"
    assert first.source == "https://blog.example.fr/feed.xml"
    assert first.title == "Acme Cafetière X2 : notre avis après 3 mois"
    assert first.text == (
        "Acme Cafetière X2 : notre avis après 3 mois\n\n"
        "La cafetière X2 d'Acme fuit au bout de trois mois.\n\n"
        "Le SAV ne répond pas.\nNous avons écrit deux fois."
    )
    assert first.author.name == "Claire Martin"
    assert first.language == "fr-FR"
    assert first.created_at == datetime(2026, 11, 9, 17, 30, tzinfo=UTC)
    assert first.metrics.replies == 12
    assert first.url == "https://blog.example.fr/2026/11/acme-x2-avis"


def test_rss_item_without_guid_uses_link_and_feed_date():
    second = _run("brand_news.xml").mentions[1]
    assert second.native_id == "https://blog.example.fr/2026/11/sans-guid"
    assert second.created_at == datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    assert "Acme & de ses concurrents" in second.text


def test_rss_rejects_entry_without_text_with_reason():
    result = _run("brand_news.xml")
    assert len(result.mentions) == 2
    (reject,) = result.rejects
    assert reject.reason == "entry 2: no title and no text"
    assert reject.item_ref == "rss:https://blog.example.fr/2026/11/vide"


def test_rss_source_hint_overrides_feed_link():
    result = _run("brand_news.xml", source_hint="https://feeds.example.net/conso")
    assert {m.source for m in result.mentions} == {"https://feeds.example.net/conso"}


def test_rss_truncated_atom_keeps_recovered_entries():
    result = _run("truncated_atom.xml")
    ids = [m.id for m in result.mentions]
    assert ids[0] == "rss:tag:reviews.example.com,2026:post-77"
    first = result.mentions[0]
    assert first.title == "Acme X2 review"  # type="html" title, tags stripped
    assert first.text == "Acme X2 review\n\nSolid machine, noisy pump."
    assert first.author.id == "https://reviews.example.com/authors/sam"
    assert first.language == "en"


def test_rss_undeclared_cp1252_is_decoded():
    (mention,) = _run("undeclared_cp1252.xml").mentions
    assert mention.title == "Déçu par Acme"
    assert mention.text.endswith("Très déçu, «jamais plus».")


def test_rss_json_feed_items_and_undated_item_takes_fetch_time():
    result = _run("json_feed.json")
    by_id = {m.id: m for m in result.mentions}
    assert by_id["rss:jf-1"].text == "Acme recall\n\nAcme recalls the X2."
    assert by_id["rss:jf-1"].created_at == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    assert by_id["rss:jf-1"].author.name == "Feed Team"
    assert by_id["rss:jf-2"].created_at == FETCHED
    assert by_id["rss:jf-2"].author.name == "Guest"
    assert [r.reason for r in result.rejects] == ["item is not an object"]


def test_rss_undated_entry_without_fetch_time_is_rejected():
    result = normalize_rss((FIXTURES / "json_feed.json").read_bytes())
    assert [m.id for m in result.mentions] == ["rss:jf-1"]
    assert "missing or unreadable creation date" in [r.reason for r in result.rejects]


def test_rss_unreadable_document_is_one_reject():
    result = normalize_rss(b"<rss><channel><title>x</title></chan")
    assert not result.mentions
    assert all(r.reason for r in result.rejects)
    assert normalize_rss(b"").rejects[0].reason == "empty document"
