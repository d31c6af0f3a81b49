"""Pages out of the Jinja2 templates: what every page is given (language, filters, CSRF token, charts), the
error page (or, under ``/api/``, its JSON twin) and the template filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from pipeline.timestamps import parse_iso
from pipeline.web import charts, context, queries
from pipeline.web.filters import PERIODS, Filters, parse_filters

TEMPLATES = Path(__file__).resolve().parent / "templates"


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=TEMPLATES)
    found.env.filters["compact"] = charts.compact_number
    found.env.filters["when"] = _when
    return found


def _when(value: Any) -> str:
    moment = parse_iso(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def render(request: Request, template: str, page: str, status_code: int = 200, **page_context: Any) -> Response:
    t = context.translator(request)
    filters: Filters = page_context.get("filters") or parse_filters({}, context.now())
    other_lang = "fr" if t.lang == "en" else "en"
    switch_params = {**dict(request.query_params), "lang": other_lang}
    switch_path = page_context.pop("switch_path", request.url.path)
    return request.app.state.templates.TemplateResponse(request, template, {
        "t": t, "lang": t.lang, "page": page, "filters": filters, "charts": charts,
        "csrf_token": request.state.csrf_token, "login_required": context.settings(request).web.token is not None,
        "lang_switch_url": f"{switch_path}?{urlencode(switch_params)}",
        "periods": PERIODS, "format_countdown": queries.format_countdown,
        "sentiment_colors": charts.SENTIMENT_COLORS, "who": request.cookies.get(context.WHO_COOKIE, ""),
        "named_categories": lambda items: [(t.category(name), count) for name, count in items],
        **page_context,
    }, status_code=status_code)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, status_code: int, title_key: str, detail: str = "") -> Response:
    if is_api(request):
        return JSONResponse({"error": context.translator(request)(title_key), "detail": detail},
                            status_code=status_code)
    return render(request, "error.html", "error", status_code=status_code, title_key=title_key, detail=detail)
