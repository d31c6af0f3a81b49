"""The report as an A4 PDF drawn with ReportLab (pure Python, no system library): the same sections,
tables and charts as the HTML page, the charts as ReportLab drawings (vector, text extractable).

The text font is Bitstream Vera, shipped with ReportLab; a character it has no glyph for (an emoji, a
CJK character in a quoted mention) is left out instead of printed as an empty box.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import Table as PdfTable
from reportlab.platypus import TableStyle

from pipeline.reports.view import Chart, ReportView, Section, Table, Tile
from pipeline.web.charts import compact_number

FONT, BOLD = "VeilleSans", "VeilleSans-Bold"
FONTS_DIR = Path(reportlab.__file__).with_name("fonts")
PAGE_WIDTH = A4[0] - 30 * mm
INK, MUTED, LINE, ACCENT = (colors.HexColor(c) for c in ("#0f172a", "#64748b", "#e2e8f0", "#2563eb"))
CHART_HEIGHT = 150
AXIS_LABELS = 8  # time labels under a chart at most


@cache
def _fonts() -> frozenset[int]:
    """Register Vera (regular, bold); the code points it draws."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def printable(text: str) -> str:
    """``text`` without the characters the font cannot draw; a no-break space stays."""
    known = _fonts()
    return "".join(c for c in text if ord(c) in known or c in "\n\u00a0")


def _markup(text: str) -> str:
    return escape(printable(text))


def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=20, leading=24, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=body, textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceBefore=12,
                             spaceAfter=6, textColor=ACCENT, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6,
                             keepWithNext=1),
        "lead": ParagraphStyle("lead", parent=body, keepWithNext=1),
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontSize=8, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
        "cell_num": ParagraphStyle("cell_num", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=8, leading=10, spaceAfter=0),
        "head_num": ParagraphStyle("head_num", parent=body, fontName=BOLD, fontSize=8, leading=10, spaceAfter=0,
                                   alignment=TA_RIGHT),
        "tile_label": ParagraphStyle("tile_label", parent=body, fontSize=7.5, leading=9, textColor=MUTED, spaceAfter=1),
        "tile_value": ParagraphStyle("tile_value", parent=body, fontName=BOLD, fontSize=15, leading=18, spaceAfter=1),
    }


def _tiles(tiles: Sequence[Tile], styles: dict[str, ParagraphStyle]) -> PdfTable:
    per_row = 3
    cells = [[Paragraph(_markup(tile.label), styles["tile_label"]), Paragraph(_markup(tile.value), styles["tile_value"]),
              Paragraph(_markup(tile.change), styles["note"])] for tile in tiles]
    rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
    rows[-1] += [""] * (per_row - len(rows[-1]))
    table = PdfTable(rows, colWidths=[PAGE_WIDTH / per_row] * per_row)
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, LINE), ("INNERGRID", (0, 0), (-1, -1), 0.5, LINE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 5)]))
    return table


def _column_widths(table: Table) -> list[float]:
    count = len(table.headers)
    narrow = [i for i in range(count) if i not in table.wide]
    if not table.wide:
        return [PAGE_WIDTH / count] * count
    narrow_width = min(PAGE_WIDTH * 0.72 / max(len(narrow), 1), 30 * mm) if narrow else 0
    wide_width = (PAGE_WIDTH - narrow_width * len(narrow)) / len(table.wide)
    return [wide_width if i in table.wide else narrow_width for i in range(count)]


def _table(table: Table, styles: dict[str, ParagraphStyle]) -> PdfTable:
    def cell(text: str, column: int) -> Paragraph:
        return Paragraph(_markup(text), styles["cell_num" if column in table.numeric else "cell"])

    rows = [[Paragraph(_markup(h), styles["head_num" if i in table.numeric else "head"])
             for i, h in enumerate(table.headers)]]
    rows += [[cell(text, i) for i, text in enumerate(row)] for row in table.rows]
    pdf_table = PdfTable(rows, colWidths=_column_widths(table), repeatRows=1)
    pdf_table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return pdf_table


LEGEND_ROW = 10


def legend_rows(names: Sequence[str], width: float) -> int:
    """Rows the legend of ``names`` needs to fit in ``width``, each key as wide as the longest."""
    key_width = 5 * max((len(name) for name in names), default=8) + 20
    per_row = max(1, int(width // key_width))
    return max(1, -(-len(names) // per_row))


def _legend(drawing: Drawing, names: Sequence[str], palette: Sequence[colors.Color], width: float) -> None:
    rows = legend_rows(names, width)
    legend = Legend()
    legend.x, legend.y, legend.dx, legend.dy = 0, rows * LEGEND_ROW, 7, 7
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = rows
    legend.deltay = LEGEND_ROW
    legend.deltax = width / max(1, -(-len(names) // rows))
    legend.colorNamePairs = [(palette[i], printable(name)) for i, name in enumerate(names)]
    drawing.add(legend)


def _time_labels(chart: Chart) -> list[str]:
    points = chart.series[0][1] if chart.series else []
    if not points:
        return []
    span = (points[-1][0] - points[0][0]).total_seconds()
    step = max(1, -(-len(points) // AXIS_LABELS))
    fmt = "%H:%M" if span <= 36 * 3600 else "%d/%m"
    return [moment.strftime(fmt) if i % step == 0 else "" for i, (moment, _) in enumerate(points)]


def _axes(chart, labels: Sequence[str]) -> None:
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = compact_number
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = LINE


def _time_chart(chart: Chart, width: float, palette: list[colors.Color]) -> Drawing:
    drawing = Drawing(width, CHART_HEIGHT + 30)
    values = [[value for _, value in points] or [0] for _, points in chart.series] or [[0]]
    if chart.kind == "stacked":
        plot = VerticalBarChart()
        plot.categoryAxis.style = "stacked"
        plot.barSpacing, plot.groupSpacing = 0, 1
        for i, color in enumerate(palette[:len(values)]):
            plot.bars[i].fillColor = color
            plot.bars[i].strokeColor = None
    else:
        plot = HorizontalLineChart()
        for i, color in enumerate(palette[:len(values)]):
            plot.lines[i].strokeColor = color
            plot.lines[i].strokeWidth = 1.5
    names = [name for name, _ in chart.series]
    legend_height = legend_rows(names, width) * LEGEND_ROW
    plot.x, plot.y, plot.width, plot.height = 30, 24 + legend_height, width - 40, CHART_HEIGHT - 20 - legend_height
    plot.data = values
    if max((max(series) for series in values), default=0) <= 0:
        plot.valueAxis.valueMax = 1
    _axes(plot, _time_labels(chart))
    drawing.add(plot)
    _legend(drawing, names, palette, width)
    drawing.add(String(0, CHART_HEIGHT + 18, printable(chart.title), fontName=BOLD, fontSize=8.5, fillColor=INK))
    return drawing


def _donut(chart: Chart, width: float, palette: list[colors.Color]) -> Drawing:
    drawing = Drawing(width, CHART_HEIGHT + 30)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 10, 20, CHART_HEIGHT - 20, CHART_HEIGHT - 20
    values = [value for _, value in chart.items]
    pie.data = values if sum(values) > 0 else [1]
    pie.innerRadiusFraction = 0.55
    pie.slices.strokeColor = colors.white
    for i, color in enumerate(palette[:len(pie.data)]):
        pie.slices[i].fillColor = color if sum(values) > 0 else LINE
    drawing.add(pie)
    total = sum(values)
    names = [f"{name}: {100 * value / total:.0f}%" if total else name for name, value in chart.items]
    legend = Legend()
    legend.x, legend.y = CHART_HEIGHT + 10, CHART_HEIGHT - 20
    legend.fontName, legend.fontSize, legend.dx, legend.dy = FONT, 8, 8, 8
    legend.colorNamePairs = [(palette[i], printable(name)) for i, name in enumerate(names)]
    drawing.add(legend)
    drawing.add(String(0, CHART_HEIGHT + 18, printable(chart.title), fontName=BOLD, fontSize=8.5, fillColor=INK))
    return drawing


def _bars(chart: Chart, width: float, palette: list[colors.Color]) -> Drawing:
    row = 14
    height = max(row * len(chart.items), row) + 40
    drawing = Drawing(width, height)
    plot = HorizontalBarChart()
    plot.x, plot.y, plot.width, plot.height = 110, 10, width - 130, height - 40
    plot.data = [[value for _, value in reversed(chart.items)] or [0]]
    plot.bars[0].fillColor, plot.bars[0].strokeColor = palette[0], None
    _axes(plot, [printable(name)[:24] for name, _ in reversed(chart.items)])
    plot.categoryAxis.labels.boxAnchor = "e"
    plot.categoryAxis.labels.dx = -4
    drawing.add(plot)
    drawing.add(String(0, height - 12, printable(chart.title), fontName=BOLD, fontSize=8.5, fillColor=INK))
    return drawing


def _chart(chart: Chart, width: float) -> Drawing:
    palette = [colors.HexColor(c) for c in chart.colors] or [ACCENT]
    palette += palette * 3  # more series than colours: the colours repeat
    if chart.kind in ("time", "stacked"):
        return _time_chart(chart, width, palette)
    if chart.kind == "donut":
        return _donut(chart, width, palette)
    if chart.kind == "bars":
        return _bars(chart, width, palette)
    raise ValueError(f"unknown chart kind {chart.kind!r}")


def _section(section: Section, styles: dict[str, ParagraphStyle]) -> list:
    """The section's flowables; its heading and opening sentences stay on the page of what follows them."""
    flow: list = [CondPageBreak(50 * mm), Paragraph(_markup(section.title), styles["h2"])]
    flow += [Paragraph(_markup(text), styles["lead"]) for text in section.paragraphs]
    if section.tiles:
        flow += [_tiles(section.tiles, styles), Spacer(1, 4)]
    half = PAGE_WIDTH / 2 - 4
    charts = [_chart(chart, half) for chart in section.charts]
    for i in range(0, len(charts), 2):
        pair = charts[i:i + 2]
        grid = PdfTable([pair + [""] * (2 - len(pair))], colWidths=[half + 4, half + 4])
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        flow += [grid, Spacer(1, 6)]
    for table in section.tables:
        heading = [Paragraph(_markup(table.title), styles["h3"])] if table.title else []
        flow.append(KeepTogether([*heading, _table(table, styles)]) if len(table.rows) < 25
                    else _table(table, styles))
        flow.append(Spacer(1, 6))
    flow += [Paragraph(_markup(note), styles["note"]) for note in section.notes]
    return flow


def render_pdf(view: ReportView) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(15 * mm, 10 * mm, printable(f"{view.title} · {view.period}"))
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, str(document.page))
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=18 * mm, title=printable(view.title), author="Veille",
                                 lang=view.lang)
    flow: list = [Paragraph(_markup(view.title), styles["title"]),
                  Paragraph(_markup(f"{view.period} · {view.generated}"), styles["subtitle"]), Spacer(1, 6)]
    for section in view.sections:
        flow += _section(section, styles)
    document.build(flow, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
