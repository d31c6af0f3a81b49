"""The audience rhythm page (``/rhythm``) and its JSON twin (``/api/rhythm``, also ``/api/audience/rhythm``):
mentions and interactions by weekday and hour in the watch's time zone, as heatmaps, and the best slots to
publish. The figures come from :mod:`pipeline.rhythm`."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pipeline.compare import UnknownWatch
from pipeline.rhythm import HOURS, WEEKDAYS, Rhythm, UnknownTimeZone, fetch_rhythm
from pipeline.web import charts, context, fetch
from pipeline.web.filters import BadParameter, checked_watch, parse_filters, parse_period_and_query
from pipeline.web.render import render

PAGE_PERIOD = "30d"  # four weeks at least: a weekday slot is ranked on three different weeks
API_PERIOD = "28d"  # as veille rhythm
MAX_ZONE_CHARS = 64
HEAT_COLORS = {"mentions": "#2563eb", "interactions": "#ea580c"}


def _zone_param(request: Request) -> str | None:
    zone = (request.query_params.get("tz") or "").strip()
    if len(zone) > MAX_ZONE_CHARS:
        raise BadParameter(f"tz is an IANA time zone name, at most {MAX_ZONE_CHARS} characters")
    return zone or None


def heatmap_chart(grid: Sequence[Sequence[float]], row_labels: Sequence[str], label: str, unit: str,
                  color: str = charts.PALETTE[0], cell: int = 24) -> Markup:
    """A weekday × hour grid as coloured cells, darker for more; each cell's ``<title>`` gives its value."""
    left, top = 44, 18
    peak = max((value for row in grid for value in row), default=0) or 1
    body = [f'<text x="{left + hour * cell + cell / 2}" y="{top - 6}" class="axis" text-anchor="middle">{hour}</text>'
            for hour in range(0, HOURS, 3)]
    for day, (name, row) in enumerate(zip(row_labels, grid)):
        y = top + day * cell
        body.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" class="axis" text-anchor="end">{escape(name)}</text>')
        for hour, value in enumerate(row):
            shade = f'fill="{color}" fill-opacity="{0.12 + 0.88 * value / peak:.2f}"' if value else 'fill="#f1f5f9"'
            body.append(f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" rx="3" {shade} '
                        f'data-day="{day}" data-hour="{hour}" data-value="{value:g}"><title>{escape(name)} '
                        f'{hour:02d}:00–{(hour + 1) % 24:02d}:00: {charts.compact_number(value)} {escape(unit)}'
                        f'</title></rect>')
    width, height = left + HOURS * cell + 4, top + len(grid) * cell + 4
    return Markup(f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" width="100%" role="img" '
                  f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def heatmaps(rhythm: Rhythm, t) -> dict[str, Markup]:
    """The mentions and interactions heatmaps of the page, with translated weekday names."""
    days = [t(f"weekday.{name}") for name in WEEKDAYS]
    return {kind: heatmap_chart(getattr(rhythm, kind), days, t(f"rhythm.{kind}_heatmap"), t(f"rhythm.unit.{kind}"),
                                HEAT_COLORS[kind]) for kind in HEAT_COLORS}


async def rhythm_page(request: Request) -> Response:
    """The filter bar's watch and period (four weeks unless asked otherwise) as heatmaps and best slots."""
    params = request.query_params
    filters = parse_filters({**params, "since": params.get("since") or PAGE_PERIOD}, context.now())
    watches = [] if filters.error else await fetch.watches(request)
    rhythm, problem = None, None
    if not filters.error:
        try:
            rhythm = await fetch_rhythm(context.es(request), context.settings(request).mentions_index,
                                        context.settings(request).watches_file, filters.watch or None, filters.since,
                                        filters.until or context.now(), filters.period, filters.compiled,
                                        _zone_param(request))
        except (UnknownWatch, UnknownTimeZone, BadParameter) as exc:
            problem = str(exc)
    t = context.translator(request)
    return render(request, "rhythm.html", "rhythm", context.filters_status(filters), filters=filters,
                  watches=watches, rhythm=rhythm, problem=problem, weekdays=WEEKDAYS,
                  heatmaps=heatmaps(rhythm, t) if rhythm else None,
                  best_slots=rhythm.best_slots() if rhythm else [], best_hours=rhythm.best_hours() if rhythm else [])


async def rhythm_api(request: Request) -> Response:
    """The grids and best slots of ``watch`` (every mention when absent) over ``since``/``until``, as
    ``veille rhythm`` reads them (four weeks by default); ``tz`` overrides the watch's time zone."""
    params = request.query_params
    period, compiled = parse_period_and_query({**params, "since": params.get("since") or API_PERIOD}, context.now())
    watch = checked_watch((request.query_params.get("watch") or "").strip()) or None
    try:
        rhythm = await fetch_rhythm(context.es(request), context.settings(request).mentions_index,
                                    context.settings(request).watches_file, watch, period.since, period.until,
                                    period.label, compiled, _zone_param(request))
    except UnknownTimeZone as exc:
        raise BadParameter(str(exc)) from None
    return JSONResponse(rhythm.to_json())
