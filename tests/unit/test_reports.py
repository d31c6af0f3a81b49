"""Client reports from fixture data: the requests (only aggregations Elasticsearch has), the report model
shaped from their answers, its view in English and French, and the HTML and PDF renderers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.compare import shape_comparison
from pipeline.inbox.kpis import response_times
from pipeline.reports import gather
from pipeline.reports.html import render_html
from pipeline.reports.model import Report
from pipeline.reports.pdf import printable, render_pdf
from pipeline.reports.view import MESSAGES, duration, number, percent, present, section_titles, translator

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)
ALLOWED_AGGREGATIONS = {"terms", "date_histogram", "sum", "avg"}


def _sums(mentions: int, negative: int, complaint: int, reach: int, likes: int) -> dict:
    return {"doc_count": mentions, "reach": {"value": reach}, "impressions": {"value": 10 * likes},
            "likes": {"value": likes}, "shares": {"value": likes // 2}, "replies": {"value": 1},
            "sentiment": {"buckets": [{"key": "negative", "doc_count": negative},
                                      {"key": "neutral", "doc_count": mentions - negative}]},
            "categories": {"buckets": [{"key": "complaint", "doc_count": complaint},
                                       {"key": "neutral", "doc_count": mentions - complaint}]}}


def activity_response() -> dict:
    days = [(SINCE + timedelta(days=i), 10 + i, i, i, 100 * (i + 1), 2 * i) for i in range(7)]
    buckets = [{"key": int(at.timestamp() * 1000), **_sums(m, n, c, r, li)} for at, m, n, c, r, li in days]
    total = sum(b["doc_count"] for b in buckets)
    return {"hits": {"total": {"value": total}},
            "aggregations": {**_sums(total, sum(d[2] for d in days), sum(d[3] for d in days),
                                     sum(d[4] for d in days), sum(d[5] for d in days)),
                             "over_time": {"buckets": buckets}}}


def alert(**fields) -> dict:
    return {"id": "crisis:Aquarelle:1", "kind": "complaint_spike", "severity": "critical", "peak_severity": "critical",
            "state": "resolved", "title": "Complaints about Crème Nuage surge", "explanation": "",
            "opened_at": (SINCE + timedelta(days=5, hours=1)).isoformat(),
            "acknowledged_at": (SINCE + timedelta(days=5, hours=1, minutes=12)).isoformat(), "acknowledged_by": "Ana",
            "resolved_at": (SINCE + timedelta(days=5, hours=9)).isoformat(), "resolved_by": "Ana",
            "observed": 120, "baseline": 8, "verdict": "organic", "top_terms": ["rappel"], "update_count": 3, **fields}


def fixture_report() -> Report:
    totals, buckets = gather.shape_activity(activity_response())
    crises = gather.crises_in_period(
        [alert(), alert(id="troll:Aquarelle:2", kind="troll_spike", severity="warning", peak_severity="warning",
                        state="open", acknowledged_at=None, acknowledged_by=None, resolved_at=None, resolved_by=None,
                        opened_at=(NOW - timedelta(hours=5)).isoformat(), verdict="troll_raid"),
         alert(id="old", opened_at=(SINCE - timedelta(days=3)).isoformat(),
               resolved_at=(SINCE - timedelta(days=2)).isoformat())],
        SINCE, NOW)
    crises = [gather.with_mentions(crisis, {"hits": {"total": {"value": 40 + i}}, "aggregations": {"sentiment": {
        "buckets": [{"key": "negative", "doc_count": 30 + i}]}}}) for i, crisis in enumerate(crises)]
    comparison = shape_comparison({"hits": {"total": {"value": 130}}, "aggregations": {"by_watch": {"buckets": [
        {"key": "Aquarelle", "doc_count": 91, "sentiment": {"buckets": [{"key": "negative", "doc_count": 21}]}},
        {"key": "Nordlys", "doc_count": 39, "sentiment": {"buckets": [{"key": "positive", "doc_count": 9}]}}]}}},
        "Aquarelle", ["Nordlys"], SINCE, NOW, "1d")
    answered = [{"created_at": (SINCE + timedelta(hours=h)).isoformat(),
                 "answered_at": (SINCE + timedelta(hours=h, minutes=m)).isoformat(),
                 "reply_by": (SINCE + timedelta(hours=h, minutes=60)).isoformat(), "network": "microblog",
                 "categories": ["complaint"], "answered_by": "Ana"} for h, m in ((1, 10), (2, 30), (3, 90), (4, 240))]
    open_mentions = [{"reply_by": (NOW - timedelta(hours=1)).isoformat(), "network": "web", "categories": ["review"]}]
    kpis = gather.shape_kpis(response_times(answered, open_mentions, NOW))
    hits = [{"id": "bluesky:1", "platform": "bluesky", "author": {"id": "a1", "handle": "lea.bsky", "followers": 5000},
             "text": "Crème Nuage m'a brûlé la peau 😡", "created_at": NOW.isoformat(), "sentiment": "negative",
             "categories": ["complaint"], "metrics": {"likes": 40, "shares": 12, "replies": 3}},
            {"id": "reddit:2", "platform": "reddit", "author": {"id": "a2", "handle": "skinfan", "followers": 10},
             "title": "Review", "text": "Love the Sérum Éclat", "created_at": NOW.isoformat(), "sentiment": "positive",
             "categories": ["review"], "metrics": {"likes": 2}}]
    authors = gather.shape_authors({"aggregations": {"authors": {"buckets": [
        {"key": "a1", "doc_count": 3, "followers": {"value": 5000}, "likes": {"value": 40}, "shares": {"value": 12},
         "replies": {"value": 3}, "sentiment": {"buckets": [{"key": "negative", "doc_count": 3}]},
         "handle": {"buckets": [{"key": "lea.bsky", "doc_count": 3}]}, "platform": {"buckets": [{"key": "bluesky", "doc_count": 3}]}},
        {"key": "a2", "doc_count": 7, "followers": {"value": 10}, "handle": {"buckets": []}}]}}})
    bursts = gather.shape_bursts({"hits": {"hits": [
        {"_source": {"term": "#boycottaquarelle", "count": 40, "burst_score": 6.5}},
        {"_source": {"term": "#boycottaquarelle", "count": 20, "burst_score": 3.0}},
        {"_source": {"term": "brûlure", "count": 12, "burst_score": 4.25}}]}})
    return Report(
        watch="Aquarelle", since=SINCE, until=NOW, period="7d", generated_at=NOW, interval="1d", totals=totals,
        previous=gather.shape_totals(_sums(50, 5, 4, 700, 10), 50), buckets=buckets, comparison=comparison,
        competitors_without_mentions=["Lumio"], crises=crises, kpis=kpis,
        top_mentions=gather.rank_mentions(hits), top_authors=gather.rank_authors(authors), bursts=bursts,
        frequent_terms=gather.frequent_terms(["Crème Nuage brûle", "Crème Nuage rappel #BoycottAquarelle",
                                              "rappel Crème Nuage"], exclude=["Aquarelle"]),
    )


def _aggregation_kinds(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "aggs":
                for aggregation in value.values():
                    found |= {kind for kind in aggregation if kind != "aggs"}
            found |= _aggregation_kinds(value)
    elif isinstance(node, list):
        for value in node:
            found |= _aggregation_kinds(value)
    return found


def test_reports_requests_use_only_aggregations_elasticsearch_has():
    requests = [gather.activity_request("Aquarelle", SINCE, NOW, "6h"), gather.totals_request("Aquarelle", SINCE, NOW),
                gather.authors_request("Aquarelle", SINCE, NOW), gather.authors_request("Aquarelle", SINCE, NOW, ["a1"]),
                gather.crisis_mentions_request("Aquarelle", SINCE, NOW)]
    kinds = set().union(*map(_aggregation_kinds, requests))
    assert kinds and kinds <= ALLOWED_AGGREGATIONS
    named = gather.authors_request("Aquarelle", SINCE, NOW, ["a1", "a2"])
    assert named["aggs"]["authors"]["terms"] == {"field": "author.id", "size": 2}
    assert {"terms": {"author.id": ["a1", "a2"]}} in named["query"]["bool"]["filter"]
    window = gather.window_query("Aquarelle", SINCE, NOW)["bool"]["filter"]
    assert {"term": {"watch": "Aquarelle"}} in window
    assert window[1]["range"]["created_at"] == {"gte": SINCE.isoformat(), "lt": NOW.isoformat()}
    assert gather.report_interval(SINCE, NOW) == "6h"


def test_reports_model_sums_the_period_and_its_buckets():
    report = fixture_report()
    assert report.totals.mentions == sum(10 + i for i in range(7)) == 91
    assert report.totals.reach == 2800 and report.totals.likes == 42 and report.totals.interactions == 42 + 21 + 1
    assert report.totals.impressions == 420
    assert [b.totals.mentions for b in report.buckets] == [10, 11, 12, 13, 14, 15, 16]
    assert report.totals.sentiment["negative"] == 21
    assert report.totals.net_sentiment == pytest.approx(-21 / 91)


def test_reports_crises_of_the_period_with_their_handling():
    report = fixture_report()
    assert [c.id for c in report.crises] == ["crisis:Aquarelle:1", "troll:Aquarelle:2"]  # the old one ended before
    handled, still_open = report.crises
    assert handled.minutes_to_acknowledge == 12 and handled.minutes_to_resolve == 8 * 60
    assert [event for _, event, _ in handled.timeline()] == ["opened", "acknowledged", "resolved"]
    assert handled.mentions_during == 40 and handled.negative_during == 30
    assert still_open.minutes_to_resolve is None and still_open.mentions_during == 41
    assert gather.crisis_window(handled, SINCE, NOW) == (handled.opened_at, handled.resolved_at)
    assert gather.crisis_window(still_open, SINCE, NOW) == (still_open.opened_at, NOW)
    started_before = gather.crises_in_period([alert(opened_at=(SINCE - timedelta(hours=2)).isoformat())], SINCE, NOW)[0]
    assert gather.crisis_window(started_before, SINCE, NOW)[0] == SINCE
    auto = gather.crises_in_period([alert(resolved_by="auto")], SINCE, NOW)[0]
    assert auto.auto_resolved and auto.timeline()[-1][1] == "resolved_auto"


def test_reports_top_mentions_and_authors_are_ranked_once_each():
    report = fixture_report()
    assert [m.id for m in report.top_mentions] == ["bluesky:1", "reddit:2"]
    assert report.top_mentions[0].interactions == 55 and report.top_mentions[1].text == "Review Love the Sérum Éclat"
    assert [a.name for a in report.top_authors] == ["lea.bsky", "a2"]  # by reach; no handle: the id
    assert report.top_authors[0].negative == 3 and report.top_authors[0].interactions == 55
    assert [(b.term, b.burst_score) for b in report.bursts] == [("#boycottaquarelle", 6.5), ("brûlure", 4.25)]
    assert report.frequent_terms[0].term in {"crème", "crème nuage"} and report.frequent_terms[0].count == 3


def test_reports_kpis_add_the_share_answered_within_the_hour():
    kpis = fixture_report().kpis
    assert kpis.overall["answered"] == 4 and kpis.overall["answered_within_deadline"] == 2
    assert kpis.within_hour_share == 0.5
    assert kpis.overall["open"] == 1 and kpis.overall["overdue"] == 1


def test_reports_messages_have_both_languages_and_the_same_placeholders():
    import string

    for key in MESSAGES["en"]:
        fields = [{name for _, name, _, _ in string.Formatter().parse(MESSAGES[lang][key]) if name}
                  for lang in ("en", "fr")]
        assert fields[0] == fields[1], key


def test_reports_numbers_and_durations_are_written_per_language():
    assert number(12345, "en") == "12,345" and number(12345, "fr") == "12\u00a0345"
    assert percent(0.125, "en") == "12.5%" and percent(0.125, "fr") == "12,5\u00a0%"
    assert duration(22, translator("en")) == "22 min" and duration(22.5, translator("fr")) == "22,5 min"
    assert duration(125, translator("fr")) == "2 h 05" and duration(3000, translator("en")) == "2 d 2 h"
    with pytest.raises(ValueError):
        translator("de")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reports_view_has_every_section_in_the_language(lang):
    view = present(fixture_report(), lang)
    assert [s.title for s in view.sections] == section_titles(lang)
    text = json.dumps([s.paragraphs + [c for t in s.tables for r in t.rows for c in r] for s in view.sections],
                      ensure_ascii=False)
    assert "Aquarelle" in view.title
    if lang == "fr":
        assert "Rapport de veille" in view.title and "Prise en charge par Ana" in text
        assert "22 minutes environ" in text and "réclamation" in text and "50\u00a0%" in text
    else:
        assert "Social listening report" in view.title and "Acknowledged by Ana" in text
        assert "about 22 minutes" in text and "complaint" in text and "50%" in text
    summary = view.sections[0]
    assert summary.tiles[0].value == number(91, lang) and "+82" in summary.tiles[0].change  # 91 against 50


def test_reports_view_without_competitors_or_answers_says_so():
    from dataclasses import replace

    report = replace(fixture_report(), comparison=None, competitors_without_mentions=[], crises=[], kpis=None)
    sections = {s.key: s for s in present(report, "en").sections}
    assert "No competitor is configured" in sections["share_of_voice"].paragraphs[0]
    assert sections["crises"].paragraphs == ["No crisis alert during the period."]
    assert sections["response"].paragraphs == ["No mention needed an answer in the period."]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reports_html_is_one_page_with_inline_charts(lang):
    page = render_html(present(fixture_report(), lang))
    assert page.startswith("<!doctype html>") and f'<html lang="{lang}">' in page
    assert page.count("<svg") >= 5 and "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    for title in section_titles(lang):
        assert title.replace("'", "&#39;") in page
    assert "lea.bsky" in page


def test_reports_pdf_is_a_pdf_and_leaves_out_what_the_font_cannot_draw():
    pdf = render_pdf(present(fixture_report(), "fr"))
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    assert printable("brûlé 😡 ok") == "brûlé  ok"


def test_reports_competitors_and_own_accounts_come_from_the_watches():
    from pipeline.watches import Watches

    watches = Watches.from_yaml("""
watches:
  - {name: Aquarelle, kind: brand, keywords: [Aquarelle, "@aquarelle", "@Aquarelle_Care"]}
  - {name: Lumio, kind: brand, keywords: [Lumio]}
  - {name: Nordlys, kind: competitor, keywords: [Nordlys]}
""")
    assert gather.configured_competitors(watches, "aquarelle") == ["Nordlys"]
    assert gather.configured_competitors(watches, "Nordlys") == []
    assert gather.configured_competitors(None, "Aquarelle") == []
    own = gather.own_handles(watches, "Aquarelle")
    assert own == {"aquarelle", "aquarelle_care"} and gather.own_handles(None, "Lumio") == {"lumio"}
    for handle in ("Aquarelle", "@aquarelle_care", "aquarelle@mastodon.social", "aquarelle.bsky.social"):
        assert gather.is_own_account(handle, own), handle
    for handle in ("aquarelle_fan", "lea.bsky.social", "", None):
        assert not gather.is_own_account(handle, own), handle
    reply = {"id": "instagram:9", "author": {"id": "brand", "handle": "Aquarelle_care", "followers": 150000},
             "text": "Désolés, écrivez-nous en DM", "metrics": {"likes": 900}}
    fan = {"id": "twitter:1", "author": {"id": "fan", "handle": "lea", "followers": 10}, "text": "J'adore",
           "metrics": {"likes": 1}}
    assert [m.id for m in gather.rank_mentions([reply, fan], exclude=own)] == ["twitter:1"]
    authors = [gather.TopAuthor("brand", "aquarelle_care", "instagram", 3, 150000, 900, 0),
               gather.TopAuthor("fan", "lea", "twitter", 1, 10, 1, 0)]
    assert [a.id for a in gather.rank_authors(authors, exclude=own)] == ["fan"]
