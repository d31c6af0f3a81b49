"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN, readable in any browser and
in a screenshot. Each function takes plain numbers and returns markup (labels escaped); every mark has
a ``<title>`` so hovering shows the exact value, and the chart has an ``aria-label``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from math import cos, pi, sin

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#4b5563", "#65a30d",
           "#0f766e")
SENTIMENT_COLORS = {"negative": "#dc2626", "neutral": "#94a3b8", "positive": "#16a34a"}

Point = tuple[datetime, float]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def compact_number(value: float) -> str:
    """12 → "12", 12_345 → "12.3k", 5_301_727 → "5.3M"."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) that is ≥ value: a y axis top."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _time_label(moment: datetime, span_seconds: float) -> str:
    return moment.strftime("%H:%M" if span_seconds <= 36 * 3600 else "%d/%m")


def _svg(width: int, height: int, label: str, body: list[str], kind: str = "") -> Markup:
    return Markup(
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>'
    )


def _legend(names: Sequence[str], colors: Sequence[str], x: float, y: float, max_x: float) -> tuple[list[str], float]:
    """Colour keys in rows that wrap at ``max_x``; returns the markup and the y of the last row."""
    parts, offset = [], x
    for name, color in zip(names, colors):
        width = 24 + 7 * len(name)
        if offset > x and offset + width > max_x:
            offset, y = x, y + 18
        parts.append(f'<rect x="{_fmt(offset)}" y="{_fmt(y - 9)}" width="10" height="10" rx="2" fill="{color}"/>'
                     f'<text x="{_fmt(offset + 14)}" y="{_fmt(y)}" class="legend">{escape(name)}</text>')
        offset += width
    return parts, y


def time_series_chart(
    series: Sequence[tuple[str, Sequence[Point]]], label: str, colors: Sequence[str] = PALETTE,
    stacked: bool = False, width: int = 640, height: int = 240,
) -> Markup:
    """Lines (or stacked areas) over time; all series share the same time buckets."""
    left, right, top, bottom = 44, 12, 24, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    times = [moment for moment, _ in series[0][1]] if series and series[0][1] else []
    body, _ = _legend([name for name, _ in series], colors, left, 14, width - right)
    if not times:
        return _svg(width, height, label, body)
    if stacked:
        totals = [sum(points[i][1] for _, points in series) for i in range(len(times))]
        peak = max(totals, default=0)
    else:
        peak = max((value for _, points in series for _, value in points), default=0)
    y_max = nice_ceiling(peak)
    span = (times[-1] - times[0]).total_seconds() or 1.0

    def x_at(i: int) -> float:
        return left + (plot_w * i / (len(times) - 1) if len(times) > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    for fraction in (0, 0.5, 1):
        y = y_at(y_max * fraction)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_fmt(y)}" y2="{_fmt(y)}" class="grid"/>'
                    f'<text x="{left - 6}" y="{_fmt(y + 4)}" class="axis" text-anchor="end">{compact_number(y_max * fraction)}</text>')
    ticks = sorted({round(i * (len(times) - 1) / 5) for i in range(6)}) if len(times) > 1 else [0]
    for i in ticks:
        anchor = "start" if i == 0 and len(times) > 1 else "end" if i == len(times) - 1 and i else "middle"
        body.append(f'<text x="{_fmt(x_at(i))}" y="{height - 8}" class="axis" text-anchor="{anchor}">'
                    f'{_time_label(times[i], span)}</text>')

    floor = [0.0] * len(times)
    for (name, points), color in zip(series, colors):
        values = [value for _, value in points]
        if stacked:
            upper = [base + value for base, value in zip(floor, values)]
            outline = " ".join(f"{_fmt(x_at(i))},{_fmt(y_at(v))}" for i, v in enumerate(upper))
            back = " ".join(f"{_fmt(x_at(i))},{_fmt(y_at(v))}" for i, v in reversed(list(enumerate(floor))))
            body.append(f'<polygon points="{outline} {back}" fill="{color}" fill-opacity="0.75">'
                        f'<title>{escape(name)}: {compact_number(sum(values))}</title></polygon>')
            floor = upper
        else:
            line = " ".join(f"{_fmt(x_at(i))},{_fmt(y_at(v))}" for i, v in enumerate(values))
            body.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"/>')
            for i, (moment, value) in enumerate(points):
                if value:
                    body.append(f'<circle cx="{_fmt(x_at(i))}" cy="{_fmt(y_at(value))}" r="2.5" fill="{color}">'
                                f'<title>{escape(name)} {moment:%Y-%m-%d %H:%M}: {compact_number(value)}</title></circle>')
    return _svg(width, height, label, body)


def bar_chart(items: Sequence[tuple[str, float]], label: str, colors: Sequence[str] = PALETTE,
              width: int = 420, row_height: int = 24) -> Markup:
    """Horizontal bars, one per (label, value), longest scaled to the width; values written at the end."""
    label_w, value_w = 130, 56
    height = max(row_height * len(items) + 8, 32)
    peak = max((value for _, value in items), default=0) or 1
    body = []
    for row, (name, value) in enumerate(items):
        y = 4 + row * row_height
        bar = (width - label_w - value_w) * value / peak
        color = colors[row % len(colors)] if len(colors) > 1 else colors[0]
        body.append(
            f'<text x="{label_w - 8}" y="{y + row_height / 2 + 4}" class="axis" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{_fmt(max(bar, 1))}" height="{row_height - 8}" rx="3" fill="{color}">'
            f'<title>{escape(name)}: {compact_number(value)}</title></rect>'
            f'<text x="{_fmt(label_w + bar + 6)}" y="{y + row_height / 2 + 4}" class="value">{compact_number(value)}</text>')
    return _svg(width, height, label, body)


def stacked_share_bars(rows: Sequence[tuple[str, Sequence[tuple[str, float]]]], label: str,
                       colors: Sequence[str] = PALETTE, width: int = 560, row_height: int = 30) -> Markup:
    """One 100 % bar per row (e.g. a watch), cut into its parts (e.g. negative / neutral / positive)."""
    label_w = 110
    names = list(dict.fromkeys(name for _, parts in rows for name, _ in parts))
    color_of = {name: colors[i % len(colors)] for i, name in enumerate(names)}
    body, legend_y = _legend(names, [color_of[n] for n in names], label_w, 14, width)
    top = legend_y + 10
    for row, (row_label, parts) in enumerate(rows):
        y = top + row * row_height
        total = sum(value for _, value in parts)
        body.append(f'<text x="{label_w - 8}" y="{y + row_height / 2 + 4}" class="axis" text-anchor="end">{escape(row_label)}</text>')
        x = float(label_w)
        for name, value in parts:
            if not total or not value:
                continue
            share = value / total
            w = (width - label_w - 4) * share
            body.append(f'<rect x="{_fmt(x)}" y="{y + 3}" width="{_fmt(w)}" height="{row_height - 8}" fill="{color_of[name]}">'
                        f'<title>{escape(row_label)} · {escape(name)}: {compact_number(value)} ({share:.0%})</title></rect>')
            if w > 34:
                body.append(f'<text x="{_fmt(x + w / 2)}" y="{y + row_height / 2 + 4}" class="inbar" text-anchor="middle">{share:.0%}</text>')
            x += w
    return _svg(width, int(top + row_height * len(rows) + 4), label, body)


def donut_chart(items: Sequence[tuple[str, float]], label: str, colors: Sequence[str] = PALETTE,
                size: int = 220) -> Markup:
    """Shares of a whole as a ring, with a legend of names and percentages on the right."""
    total = sum(value for _, value in items)
    radius, thickness = size / 2 - 8, 30
    cx = cy = size / 2
    body = []
    angle = -pi / 2
    for i, (name, value) in enumerate(items):
        if not total or not value:
            continue
        share = value / total
        color = colors[i % len(colors)]
        title = f"<title>{escape(name)}: {compact_number(value)} ({share:.1%})</title>"
        if share >= 0.9999:
            body.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt(radius - thickness / 2)}" fill="none" '
                        f'stroke="{color}" stroke-width="{thickness}">{title}</circle>')
            continue
        end = angle + 2 * pi * share
        r = radius - thickness / 2
        x1, y1 = cx + r * cos(angle), cy + r * sin(angle)
        x2, y2 = cx + r * cos(end), cy + r * sin(end)
        large = 1 if share > 0.5 else 0
        body.append(f'<path d="M {_fmt(x1)} {_fmt(y1)} A {_fmt(r)} {_fmt(r)} 0 {large} 1 {_fmt(x2)} {_fmt(y2)}" '
                    f'fill="none" stroke="{color}" stroke-width="{thickness}">{title}</path>')
        angle = end
    body.append(f'<text x="{_fmt(cx)}" y="{_fmt(cy + 6)}" class="donut-total" text-anchor="middle">{compact_number(total)}</text>')
    for i, (name, value) in enumerate(items):
        y = 30 + i * 24
        share = value / total if total else 0
        body.append(f'<rect x="{size + 10}" y="{y - 10}" width="12" height="12" rx="2" fill="{colors[i % len(colors)]}"/>'
                    f'<text x="{size + 28}" y="{y}" class="legend">{escape(name)} — {share:.1%}</text>')
    return _svg(size + 230, max(size, 30 + 24 * len(items)), label, body, kind="donut")
