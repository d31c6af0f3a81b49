"""Shared normaliser machinery: decoding, truncation salvage, HTML to text, timestamps, the collector."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.mention import MAX_TEXT_CHARS, Platform
from pipeline.sources.cassettes import load_recording
from pipeline.sources.decoding import decode_text, is_truncated, parse_json_documents
from pipeline.sources.results import Collector, PayloadError
from pipeline.sources.text import html_to_text, parse_time


def test_common_html_to_text_keeps_paragraphs_and_line_breaks():
    html = "<p>First <b>bold</b> &amp; more</p><p>Second<br>line two<br/>three</p><script>alert(1)</script>"
    assert html_to_text(html) == "First bold & more\n\nSecond\nline two\nthree"


def test_common_html_to_text_lists_and_preformatted():
    html = "<ul><li>one</li><li>two</li></ul><pre>a  b\n  c</pre>"
    text = html_to_text(html)
    assert "- one\n- two" in text
    assert text.endswith("a b\nc")  # line breaks inside <pre> survive; runs of spaces do not


def test_common_html_to_text_survives_broken_markup():
    assert html_to_text("<p>unclosed <a href='x'>link <div") == "unclosed link"


RUSSIAN = (
    "Наверное, единственное, во что сегодня можно верить безоговорочно, так это в то, "
    "что Новый год обязательно наступит. Несмотря ни на что!"
)


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("Très déçu «jamais»".encode("cp1252"), "Très déçu «jamais»"),
        ("Très déçu".encode("utf-16"), "Très déçu"),
        ("\ufeffplain".encode(), "plain"),
        (RUSSIAN.encode("koi8-r"), RUSSIAN),
        (RUSSIAN.encode("cp1251"), RUSSIAN),
    ],
)
def test_common_decode_text_recovers_wrong_encodings(encoded, expected):
    assert decode_text(encoded) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-04-20T01:03:39.000Z", datetime(2019, 4, 20, 1, 3, 39, tzinfo=UTC)),
        ("2026-11-09T17:26:00+0000", datetime(2026, 11, 9, 17, 26, tzinfo=UTC)),
        ("Mon, 09 Nov 2026 18:30:00 +0100", datetime(2026, 11, 9, 17, 30, tzinfo=UTC)),
        (1175714200, datetime(2007, 4, 4, 19, 16, 40, tzinfo=UTC)),
        (1457764197627, datetime(2016, 3, 12, 6, 29, 57, 627000, tzinfo=UTC)),
        ("not a date", None),
        (None, None),
    ],
)
def test_common_parse_time_reads_api_formats(value, expected):
    assert parse_time(value) == expected


def test_common_parse_json_documents_reads_json_lines_and_rejects_bad_lines():
    payload = b'{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n'
    documents, rejects = parse_json_documents(payload)
    assert [d.data["a"] for d in documents] == [1, 2, 4]
    assert len(rejects) == 1 and rejects[0].item_ref == "line 3"


def test_common_parse_json_documents_salvages_a_truncated_document():
    items = [{"id": n, "text": f"item {n}"} for n in range(5)]
    payload = orjson.dumps({"items": items})
    cut = payload[: payload.index(b'"item 3"') + 4]
    documents, rejects = parse_json_documents(cut)
    kept = documents[0].data["items"]
    assert [i["id"] for i in kept if not is_truncated(i)] == [0, 1, 2]
    assert is_truncated(kept[-1])
    assert "truncated" in rejects[0].reason


def test_common_parse_json_documents_refuses_garbage():
    with pytest.raises(PayloadError):
        parse_json_documents(b"\x00\x01 this is not json")


def test_common_load_recording_unwraps_a_vcr_cassette():
    cassette = b"""interactions:
- request: {method: GET, uri: 'https://x.example/api/v1/statuses/1'}
  response:
    status: {code: 200, message: OK}
    body: {string: '{"id": "1"}'}
- request: {method: GET, uri: 'https://x.example/api/v1/statuses/2'}
  response:
    status: {code: 404, message: Not Found}
    body: {string: '{"error": "Record not found"}'}
version: 1
"""
    documents, rejects = load_recording(cassette)
    assert [d.data for d in documents] == [{"id": "1"}]
    assert documents[0].context["method"] == "GET"
    assert rejects[0].reason.startswith("HTTP 404")


def test_common_collector_keeps_last_version_and_truncates_enormous_text():
    collector = Collector(Platform.other)
    base = {"source": "s", "author": {"id": "a"}, "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
    collector.add({}, native_id="1", text="first", **base)
    collector.add({}, native_id="2", text="x" * (MAX_TEXT_CHARS * 3), **base)
    collector.add({}, native_id="1", text="edited", **base)
    result = collector.result()
    assert [m.id for m in result.mentions] == ["other:1", "other:2"]
    assert result.mentions[0].text == "edited"
    assert result.mentions[1].truncated and len(result.mentions[1].text) == MAX_TEXT_CHARS


def test_common_collector_rejects_missing_fields_with_reasons():
    collector = Collector(Platform.other)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    collector.add({"n": 1}, native_id=None, source="s", author={"id": "a"}, text="t", created_at=now)
    collector.add({"n": 2}, native_id="2", source="s", author={"id": "a"}, text="t", created_at=None)
    collector.add({"n": 3}, native_id="3", source="s", author={"id": None}, text="t", created_at=now)
    collector.add({"n": 4}, native_id="4", source="s", author={"id": "a"}, text="  ", created_at=now)
    collector.add({"n": 5}, native_id="5", source="", author={"id": "a"}, text="t", created_at=now)
    reasons = [r.reason for r in collector.result().rejects]
    assert reasons[:4] == ["missing id", "missing or unreadable creation date", "missing author", "no text"]
    assert "source" in reasons[4]
    assert not collector.result().mentions


def test_common_hostile_nesting_is_one_reject_not_a_crash():
    from pipeline.sources.reddit.normalize import normalize_reddit

    result = normalize_reddit(b'{"kind":"Listing","data":{"children":[' * 3000)
    assert not result.mentions
    assert "payload nested too deeply to walk" in [r.reason for r in result.rejects]


def test_common_load_recording_rejects_non_json_bodies_unless_asked():
    cassette = orjson.dumps(
        {
            "interactions": [
                {
                    "request": {"method": "GET", "uri": "https://oauth.reddit.com/r/x/new"},
                    "response": {"status": {"code": 200}, "body": {"string": "<html>slow down</html>"}, "headers": {}},
                }
            ],
            "recorded_at": "2026-11-09T12:00:00",
        }
    )
    documents, rejects = load_recording(cassette)
    assert not documents and "response body is not valid JSON" in rejects[0].reason
    documents, rejects = load_recording(cassette, keep_non_json=True)
    assert documents[0].data is None and documents[0].context["body"] == b"<html>slow down</html>"
