"""A :class:`Report` in one language: titles, sentences, tiles, tables and chart series, every number
already written the way a reader of that language writes it. The HTML and PDF renderers only lay it out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.reports.model import Crisis, Report, Totals
from pipeline.web.charts import PALETTE, SENTIMENT_COLORS
from pipeline.web.i18n import LANGUAGES, Translator, load_messages

MESSAGES = load_messages(Path(__file__).with_name("messages.yaml"))
TOP_CATEGORIES = 6
TEXT_CHARS = 220


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    value: str
    change: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""
    numeric: frozenset[int] = frozenset()  # columns aligned right
    wide: frozenset[int] = frozenset()  # columns that take the remaining width (mention texts)


@dataclass(frozen=True, slots=True)
class Chart:
    """``time``: lines over time; ``stacked``: stacked areas over time; ``bars`` and ``donut``: ``items``."""

    kind: str
    title: str
    series: list[tuple[str, list[tuple[datetime, float]]]] = field(default_factory=list)
    items: list[tuple[str, float]] = field(default_factory=list)
    colors: list[str] = field(default_factory=lambda: list(PALETTE))


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportView:
    lang: str
    title: str
    period: str
    generated: str
    sections: list[Section]


# -- numbers, shares, durations and dates as a reader of the language writes them -------------------

def number(value: float, lang: str) -> str:
    """12345 → "12,345" (en) or "12 345" (fr, a no-break space)."""
    text = f"{round(value):,}"
    return text.replace(",", "\u00a0") if lang == "fr" else text


def percent(share: float | None, lang: str) -> str:
    """0.125 → "12.5%" (en) or "12,5 %" (fr)."""
    if share is None:
        return "–"
    text = f"{100 * share:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}\u00a0%" if lang == "fr" else f"{text}%"


def signed(value: float, lang: str) -> str:
    text = f"{value:+.2f}"
    return text.replace(".", ",") if lang == "fr" else text


def change(current: float, previous: float, lang: str) -> str:
    """The relative change written with its sign ("+12.5%"), or an empty string when there is no base."""
    if not previous:
        return ""
    share = (current - previous) / previous
    return ("+" if share >= 0 else "−") + percent(abs(share), lang)


def duration(minutes: float | None, t: Translator) -> str:
    if minutes is None:
        return "–"
    if minutes < 60:
        value = f"{minutes:.1f}".rstrip("0").rstrip(".")
        return t("unit.minutes", value=value.replace(".", ",") if t.lang == "fr" else value)
    whole = round(minutes)
    if whole < 24 * 60:
        return t("unit.hours", hours=whole // 60, minutes=whole % 60)
    return t("unit.days", days=whole // (24 * 60), hours=whole % (24 * 60) // 60)


def when(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return "–"
    return moment.strftime("%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M")


def day(moment: datetime, lang: str) -> str:
    return moment.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")


def interval_words(interval: str, lang: str) -> str:
    """"6h" → "6 h", "1d" → "1 d" (en) or "1 j" (fr)."""
    amount, unit = interval[:-1], interval[-1]
    units = {"m": "min", "h": "h", "d": "j" if lang == "fr" else "d"}
    return f"{amount}\u00a0{units.get(unit, unit)}"


def translator(lang: str) -> Translator:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return Translator(lang, MESSAGES)


def short(text: str, limit: int = TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the sections ------------------------------------------------------------------------------------

def _summary(report: Report, t: Translator) -> Section:
    lang, now, before = t.lang, report.totals, report.previous

    def tile(label: str, value: float, previous: float | None, text: str | None = None) -> Tile:
        moved = change(value, previous, lang) if previous is not None else ""
        return Tile(t(label), text or number(value, lang), t("summary.change", change=moved) if moved else "")

    previous = before if before is not None and before.mentions else None
    tiles = [
        tile("metric.mentions", now.mentions, previous and previous.mentions),
        tile("metric.reach", now.reach, previous and previous.reach),
        tile("metric.impressions", now.impressions, previous and previous.impressions),
        tile("metric.interactions", now.interactions, previous and previous.interactions),
        Tile(t("metric.net_sentiment"), signed(now.net_sentiment, lang),
             "" if previous is None else t("summary.change", change=signed(now.net_sentiment - previous.net_sentiment, lang))),
        Tile(t("metric.negative_share"), percent(now.negative_share, lang)),
    ]
    paragraphs = [t("summary.text", mentions=number(now.mentions, lang), watch=report.watch,
                    reach=number(now.reach, lang), interactions=number(now.interactions, lang),
                    negative=percent(now.negative_share, lang))]
    notes = [t("summary.notes")] + ([] if previous is not None else [t("summary.no_previous")])
    return Section("summary", t("section.summary"), paragraphs, tiles, notes=notes)


def _top_categories(totals: Totals, limit: int = TOP_CATEGORIES) -> list[str]:
    return [name for name, _ in sorted(totals.categories.items(), key=lambda item: (-item[1], item[0]))[:limit]]


def _activity(report: Report, t: Translator) -> Section:
    lang = t.lang
    at = [bucket.at for bucket in report.buckets]

    def series(value) -> list[tuple[datetime, float]]:
        return [(moment, float(value(bucket.totals))) for moment, bucket in zip(at, report.buckets, strict=True)]

    sentiments = list(report.sentiments)
    categories = _top_categories(report.totals)
    charts = [
        Chart("time", t("chart.volume", interval=interval_words(report.interval, lang)),
              [(t("metric.mentions"), series(lambda totals: totals.mentions))]),
        Chart("stacked", t("chart.sentiment"),
              [(t(f"sentiment.{name}"), series(lambda totals, name=name: totals.sentiment.get(name, 0)))
               for name in sentiments], colors=[SENTIMENT_COLORS[name] for name in sentiments]),
        Chart("stacked", t("chart.categories"),
              [(t.category(name), series(lambda totals, name=name: totals.categories.get(name, 0)))
               for name in categories]),
        Chart("time", t("chart.reach"), [(t("metric.reach"), series(lambda totals: totals.reach)),
                                         (t("metric.interactions"), series(lambda totals: totals.interactions))]),
    ]
    mix = sorted(report.totals.categories.items(), key=lambda item: (-item[1], item[0]))
    table = Table([t("col.category"), t("col.mentions"), t("col.share_of_mentions")],
                  [[t.category(name), number(count, lang), percent(count / report.totals.mentions, lang)]
                   for name, count in mix], t("chart.category_mix"), frozenset({1, 2}))
    return Section("activity", t("section.activity"), charts=charts, tables=[table] if mix else [],
                   paragraphs=[] if report.totals.mentions else [t("mentions.none")])


def _share_of_voice(report: Report, t: Translator) -> Section:
    lang = t.lang
    section = Section("share_of_voice", t("section.share_of_voice"))
    missing = [t("sov.missing", names=", ".join(report.competitors_without_mentions))] \
        if report.competitors_without_mentions else []
    comparison = report.comparison
    if comparison is None:
        return Section(section.key, section.title, [t("sov.none"), *missing])
    rows = [[f.watch, number(f.mentions, lang), percent(f.share_of_voice, lang), signed(f.net_sentiment, lang),
             number(f.reach, lang), number(f.interactions, lang)] for f in comparison.watches]
    table = Table([t("col.watch"), t("col.mentions"), t("col.share"), t("metric.net_sentiment"), t("col.reach"),
                   t("col.interactions")], rows, numeric=frozenset({1, 2, 3, 4, 5}))
    ours = comparison.figures(comparison.brand)
    rivals = sorted(comparison.watches[1:], key=lambda f: -f.mentions)
    paragraphs = [t("sov.text", watch=comparison.brand, share=percent(ours.share_of_voice, lang),
                    leader=rivals[0].watch, leader_share=percent(rivals[0].share_of_voice, lang))] if rivals else []
    charts = [
        Chart("donut", t("chart.share_of_voice"), items=[(f.watch, float(f.mentions)) for f in comparison.watches]),
        Chart("time", t("chart.volume", interval=interval_words(comparison.interval, lang)),
              [(f.watch, [(at, float(count)) for at, count in f.volume]) for f in comparison.watches]),
    ]
    return Section(section.key, section.title, [*paragraphs, *missing], charts=charts, tables=[table],
                   notes=[t("sov.note")])


def _handled(moment: datetime | None, who: str | None, delay: float | None, t: Translator, auto: bool = False) -> str:
    if moment is None:
        return t("crisis.not_yet")
    return t("crisis.after", when=when(moment, t.lang), who=t("crisis.auto") if auto else (who or "?"),
             delay=duration(delay, t))


def _crisis_title(crisis: Crisis, t: Translator) -> str:
    return crisis.title or t(f"kind.{crisis.kind}")


def _timeline(crisis: Crisis, report: Report, t: Translator) -> Table:
    rows = []
    for moment, event, who in crisis.timeline():
        text = t(f"event.{event}", who=who or "?", severity=t(f"severity.{crisis.peak_severity}"))
        rows.append([when(moment, t.lang), text])
    if crisis.resolved_at is None:
        rows.append([when(report.until, t.lang), t("event.still_open")])
    return Table([t("col.date"), t("col.crisis")], rows, t("crisis.timeline", title=_crisis_title(crisis, t)),
                 wide=frozenset({1}))


def _crises(report: Report, t: Translator) -> Section:
    lang = t.lang
    if not report.crises:
        return Section("crises", t("section.crises"), [t("crises.none")])
    acknowledged = sum(1 for c in report.crises if c.acknowledged_at is not None)
    resolved = [c for c in report.crises if c.resolved_at is not None and c.resolved_at <= report.until]
    paragraphs = [t("crises.text", count=len(report.crises), acknowledged=acknowledged, resolved=len(resolved),
                    still_open=len(report.crises) - len(resolved))]
    rows = []
    for crisis in report.crises:
        figures = t("crisis.figures", observed=number(crisis.observed, lang), baseline=number(crisis.baseline, lang)) \
            if crisis.observed is not None and crisis.baseline is not None else ""
        verdict = t(f"verdict.{crisis.verdict}") if crisis.verdict else ""
        described = "; ".join(filter(None, (t(f"kind.{crisis.kind}"), figures, verdict)))
        rows.append([
            f"{_crisis_title(crisis, t)} ({described})",
            t(f"severity.{crisis.peak_severity}"),
            when(crisis.opened_at, lang),
            _handled(crisis.acknowledged_at, crisis.acknowledged_by, crisis.minutes_to_acknowledge, t),
            _handled(crisis.resolved_at, crisis.resolved_by, crisis.minutes_to_resolve, t, crisis.auto_resolved),
            f"{number(crisis.mentions_during, lang)} ({number(crisis.negative_during, lang)})",
        ])
    table = Table([t("col.crisis"), t("col.severity"), t("col.opened"), t("col.acknowledged"), t("col.resolved"),
                   t("col.mentions_during")], rows, numeric=frozenset({5}), wide=frozenset({0}))
    return Section("crises", t("section.crises"), paragraphs,
                   tables=[table, *(_timeline(crisis, report, t) for crisis in report.crises)])


def _group_name(kind: str, name: str, t: Translator) -> str:
    if kind == "network":
        key = f"network.{name}"
        return t(key) if t(key) != key else name
    if kind == "category":
        return t.category(name)
    return t("teammate.unassigned") if name == "(unassigned)" else name


def _figures_row(name: str, figures: Mapping[str, Any], t: Translator) -> list[str]:
    lang = t.lang
    return [name, number(figures["answered"], lang), percent(figures["share_within_deadline"], lang),
            duration(figures["median_minutes"], t), duration(figures["p90_minutes"], t),
            number(figures["open"], lang), number(figures["overdue"], lang)]


def _response(report: Report, t: Translator) -> Section:
    lang, kpis = t.lang, report.kpis
    title = t("section.response")
    if kpis is None or not (kpis.overall["answered"] or kpis.overall["open"]):
        return Section("response", title, [t("response.none")])
    overall = kpis.overall
    paragraphs = [t("response.text", answered=number(overall["answered"], lang),
                    within=percent(overall["share_within_deadline"], lang), median=duration(overall["median_minutes"], t),
                    p90=duration(overall["p90_minutes"], t), open=number(overall["open"], lang),
                    overdue=number(overall["overdue"], lang))]

    def yours(key: str, value: str | None) -> str:
        return t(f"bench.{key}.yours", value=value) if value is not None else t("bench.no_value")

    median = overall["median_minutes"]
    benchmarks = Table([t("col.published"), t("col.yours")], [
        [t("bench.airline_median"), yours("airline_median", None if median is None else duration(median, t))],
        [t("bench.expect_within_hour"), yours("expect_within_hour", None if kpis.within_hour_share is None
                                               else percent(kpis.within_hour_share, lang))],
        [t("bench.mostly_unanswered"), yours("mostly_unanswered", None if overall["answered_share"] is None
                                             else percent(overall["answered_share"], lang))],
    ], t("response.benchmarks"), wide=frozenset({0, 1}))
    headers = [t("col.group"), t("col.answered"), t("col.within_deadline"), t("col.median"), t("col.p90"),
               t("col.open"), t("col.overdue")]
    groups = [("network", kpis.by_network, "response.by_network"), ("category", kpis.by_category, "response.by_category"),
              ("teammate", kpis.by_teammate, "response.by_teammate")]
    tables = [benchmarks] + [
        Table(headers, [_figures_row(_group_name(kind, name, t), figures, t) for name, figures in table.items()],
              t(title_key), frozenset(range(1, 7)), frozenset({0}))
        for kind, table, title_key in groups if table]
    return Section("response", title, paragraphs, tables=tables,
                   notes=[] if kpis.complete else [t("response.partial")])


def _top_mentions(report: Report, t: Translator) -> Section:
    lang = t.lang
    if not report.top_mentions:
        return Section("top_mentions", t("section.top_mentions"), [t("mentions.none")])
    rows = [[when(m.created_at, lang), m.author, m.platform, short(m.text),
             t(f"sentiment.{m.sentiment}") if m.sentiment else "–", number(m.reach, lang), number(m.interactions, lang)]
            for m in report.top_mentions]
    table = Table([t("col.date"), t("col.author"), t("col.network"), t("col.text"), t("col.sentiment"),
                   t("col.reach"), t("col.interactions")], rows, numeric=frozenset({5, 6}), wide=frozenset({3}))
    return Section("top_mentions", t("section.top_mentions"), tables=[table])


def _top_authors(report: Report, t: Translator) -> Section:
    lang = t.lang
    if not report.top_authors:
        return Section("top_authors", t("section.top_authors"), [t("mentions.none")])
    rows = [[a.name, a.platform, number(a.followers, lang), number(a.mentions, lang), number(a.interactions, lang),
             number(a.negative, lang)] for a in report.top_authors]
    table = Table([t("col.author"), t("col.network"), t("col.followers"), t("col.mentions"), t("col.interactions"),
                   t("col.negative")], rows, numeric=frozenset({2, 3, 4, 5}), wide=frozenset({0}))
    return Section("top_authors", t("section.top_authors"), tables=[table], notes=[t("authors.note")])


def _trending(report: Report, t: Translator) -> Section:
    lang = t.lang
    tables, paragraphs = [], []
    if report.bursts:
        tables.append(Table([t("col.term"), t("col.count"), t("col.burst")],
                            [[b.term, number(b.count, lang), signed(b.burst_score or 0, lang).lstrip("+")]
                             for b in report.bursts], t("trending.bursts"), frozenset({1, 2})))
    else:
        paragraphs.append(t("trending.no_bursts"))
    charts = [Chart("bars", t("trending.frequent"), items=[(f.term, float(f.count)) for f in report.frequent_terms])] \
        if report.frequent_terms else []
    if not charts:
        paragraphs.append(t("trending.no_terms"))
    return Section("trending", t("section.trending"), paragraphs, charts=charts, tables=tables)


SECTIONS = (_summary, _activity, _share_of_voice, _crises, _response, _top_mentions, _top_authors, _trending)


def present(report: Report, lang: str) -> ReportView:
    """The report's view in ``lang`` (en or fr); raises ValueError for another language."""
    t = translator(lang)
    return ReportView(
        lang=lang,
        title=t("report.title", watch=report.watch),
        period=t("report.period", since=when(report.since, lang), until=when(report.until, lang)),
        generated=t("report.generated", at=when(report.generated_at, lang)),
        sections=[build(report, t) for build in SECTIONS],
    )


def email_words(report: Report, lang: str) -> tuple[str, str]:
    """The subject and body of the e-mail that carries the report."""
    t = translator(lang)
    dates = {"since": day(report.since, lang), "until": day(report.until, lang)}
    return (t("report.subject", watch=report.watch, **dates),
            t("report.email_body", watch=report.watch, mentions=number(report.totals.mentions, lang),
              crises=len(report.crises), since=when(report.since, lang), until=when(report.until, lang)))


def section_titles(lang: str) -> list[str]:
    t = translator(lang)
    return [t(f"section.{key}") for key in ("summary", "activity", "share_of_voice", "crises", "response",
                                             "top_mentions", "top_authors", "trending")]

