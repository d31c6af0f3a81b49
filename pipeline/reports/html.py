"""The report as one self-contained HTML page: Jinja2, the web app's inline SVG charts, no script, no
external file (it opens from an e-mail attachment or a disk as it does from a server)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipeline.reports.view import Chart, ReportView
from pipeline.web.charts import bar_chart, donut_chart, time_series_chart

TEMPLATES = Path(__file__).with_name("templates")
WEB_CSS = Path(__file__).parents[1] / "web" / "static" / "app.css"


def chart_css(stylesheet: Path = WEB_CSS) -> Markup:
    """The web app's rules for its SVG charts, so that the report draws them as the pages do."""
    rules = [line.strip() for line in stylesheet.read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("svg.chart")]
    return Markup("\n  ".join(rules))


def chart_svg(chart: Chart) -> Markup:
    if chart.kind in ("time", "stacked"):
        return time_series_chart(chart.series, chart.title, chart.colors, stacked=chart.kind == "stacked")
    if chart.kind == "donut":
        return donut_chart(chart.items, chart.title, chart.colors)
    if chart.kind == "bars":
        return bar_chart(chart.items, chart.title, chart.colors)
    raise ValueError(f"unknown chart kind {chart.kind!r}")


def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                              trim_blocks=True, lstrip_blocks=True)
    environment.globals["chart_svg"] = chart_svg
    return environment


def render_html(view: ReportView) -> str:
    return _environment().get_template("report.html").render(view=view, chart_css=chart_css())
