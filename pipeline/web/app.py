"""The built-in web app (``veille web``): overview, crisis alerts, inbox, legal-risk queue, trends and
competitor watch, in French and English, plus the HTTP JSON API under ``/api``.

Starlette with Jinja2 templates rendered on the server; charts are inline SVG (:mod:`pipeline.web.charts`),
the little JavaScript there is (countdowns, local times, live alert updates by server-sent events) is
the project's own, so everything works offline. Queries and shaping live in :mod:`pipeline.web.queries`
and :mod:`pipeline.compare`; protection in :mod:`pipeline.web.security`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiokafka.errors import KafkaError
from elasticsearch import ApiError, AsyncElasticsearch, ConnectionTimeout, NotFoundError, TransportError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeline.alerts.actions import act_on_alert
from pipeline.alerts.model import Alert, AlertState, InvalidTransition
from pipeline.alerts.store import AlertStore, trends_index
from pipeline.compare import UnknownWatch, fetch_comparison, known_watches, known_watches_request, top_terms
from pipeline.mention import CATEGORIES
from pipeline.redact import mask_credentials
from pipeline.settings import Settings
from pipeline.web import charts, queries, security
from pipeline.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, choose_language

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
WHO_COOKIE = "veille_who"
MAX_EVIDENCE = 5
COMPARE_FALLBACK_PERIOD = timedelta(days=365)


# -- request context ---------------------------------------------------------------------------------

def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _es(request: Request) -> AsyncElasticsearch:
    # Every call of the app waits at most this long, whatever client it was given; no retry after a timeout.
    return request.app.state.es.options(request_timeout=_settings(request).web_elasticsearch_timeout_seconds)


def _now() -> datetime:
    return datetime.now(UTC)


def _translator(request: Request) -> Translator:
    return Translator(request.state.lang)


def _alert_store(request: Request) -> AlertStore:
    return AlertStore(_es(request), _settings(request))


async def _watches(request: Request) -> list[str]:
    try:
        response = await _es(request).search(index=_settings(request).mentions_index, **known_watches_request())
    except NotFoundError:
        return []
    return known_watches(response.body)


def _render(request: Request, template: str, page: str, status_code: int = 200, **context: Any) -> Response:
    t = _translator(request)
    filters: queries.Filters = context.get("filters") or queries.parse_filters({}, _now())
    other_lang = "fr" if t.lang == "en" else "en"
    switch_params = {**dict(request.query_params), "lang": other_lang}
    switch_path = context.pop("switch_path", request.url.path)
    return request.app.state.templates.TemplateResponse(request, template, {
        "t": t, "lang": t.lang, "page": page, "filters": filters, "charts": charts,
        "csrf_token": request.state.csrf_token, "login_required": _settings(request).web_token is not None,
        "lang_switch_url": f"{switch_path}?{urlencode(switch_params)}",
        "periods": queries.PERIODS, "format_countdown": queries.format_countdown,
        "sentiment_colors": charts.SENTIMENT_COLORS, "who": request.cookies.get(WHO_COOKIE, ""),
        "named_categories": lambda items: [(t.category(name), count) for name, count in items],
        **context,
    }, status_code=status_code)


def _error_page(request: Request, status_code: int, title_key: str, detail: str = "") -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": _translator(request)(title_key), "detail": detail}, status_code=status_code)
    return _render(request, "error.html", "error", status_code=status_code, title_key=title_key, detail=detail)


def _elasticsearch_errors(handler: Callable[[Request], Awaitable[Response]]):
    """Elasticsearch being down or refusing a request becomes a clear 502 page (or JSON), not a traceback."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            message = mask_credentials(exc.message)
            log.warning("Elasticsearch refused a request for %s: %s %s", request.url.path, exc.meta.status, message)
            return _error_page(request, 502, "error.elasticsearch", f"HTTP {exc.meta.status}: {message}")
        except ConnectionTimeout:
            waited = _settings(request).web_elasticsearch_timeout_seconds
            log.warning("Elasticsearch did not answer %s within %gs", request.url.path, waited)
            return _error_page(request, 504, "error.elasticsearch", f"no answer within {waited:g} s")
        except TransportError as exc:
            message = mask_credentials(f"{_settings(request).elasticsearch_url}: {exc.message}")
            log.warning("Elasticsearch unreachable for %s: %s", request.url.path, message)
            return _error_page(request, 502, "error.elasticsearch", message)
    return wrapped


def state_changing(handler: Callable[[Request], Awaitable[Response]]):
    """Runs ``handler`` only when the request carries this session's CSRF token (form field or header).

    The Origin check and the login check happen before, in :class:`SecurityMiddleware`; requests
    authenticated by ``Authorization: Bearer`` need no CSRF token (browsers never add that header).
    """

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        if not request.state.bearer:
            token = request.headers.get(security.CSRF_HEADER)
            if token is None and _is_form(request):
                token = (await request.form()).get(security.CSRF_FIELD)
            if not security.csrf_valid(request.app.state.secret, request.state.session_id, token):
                log.warning("refused %s %s: missing or wrong CSRF token", request.method, request.url.path)
                return _error_page(request, 403, "error.forbidden")
        return await handler(request)

    wrapped.csrf_protected = True  # type: ignore[attr-defined]
    return wrapped


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


class SecurityMiddleware(BaseHTTPMiddleware):
    """Session cookie, language, login token and Origin check for every request."""

    OPEN_PATHS = ("/login", "/static/", "/healthz")

    async def dispatch(self, request: Request, call_next) -> Response:
        app_state = request.app.state
        settings: Settings = app_state.settings
        session_id = request.cookies.get(security.SESSION_COOKIE)
        new_session = not security.looks_like_session_id(session_id)
        if new_session:
            session_id = security.new_session_id()
        request.state.session_id = session_id
        peer = request.client.host if request.client else None
        request.state.client_address, forwarded_scheme = security.forwarded_view(
            peer, request.headers, app_state.trusted_proxies)
        request.state.scheme = forwarded_scheme or request.url.scheme
        request.state.csrf_token = security.csrf_token(app_state.secret, session_id)
        query_lang = request.query_params.get("lang")
        request.state.lang = choose_language(query_lang, request.cookies.get(LANGUAGE_COOKIE),
                                             request.headers.get("accept-language"))
        token = settings.web_token.get_secret_value() if settings.web_token else None
        request.state.bearer = token is not None and security.token_matches(
            token, security.bearer_token(request.headers.get("authorization")))

        response = await self._guarded(request, call_next, token)
        secure = request.state.scheme == "https"
        if new_session:
            response.set_cookie(security.SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=secure)
        if query_lang in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, query_lang, max_age=365 * 86400, samesite="lax", secure=secure)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    async def _guarded(self, request: Request, call_next, token: str | None) -> Response:
        app_state = request.app.state
        path = request.url.path
        if token is not None and not request.state.bearer and not path.startswith(self.OPEN_PATHS):
            signed_in = app_state.sessions.valid(request.state.session_id) and security.auth_cookie_valid(
                app_state.secret, request.state.session_id, token, request.cookies.get(security.AUTH_COOKIE))
            if not signed_in:
                if path.startswith("/api/"):
                    return JSONResponse({"error": "this Veille needs its access token (VEILLE_WEB_TOKEN): "
                                                  "send 'Authorization: Bearer <token>' or sign in"}, status_code=401)
                return RedirectResponse(f"/login?{urlencode({'next': str(request.url.path)})}", status_code=303)
        if request.method not in security.SAFE_METHODS and not request.state.bearer:
            if not security.same_origin(request.headers.get("origin"), request.headers.get("referer"),
                                        _own_origins(request)):
                log.warning("refused %s %s from origin %r", request.method, path,
                            request.headers.get("origin") or request.headers.get("referer"))
                return _error_page(request, 403, "error.forbidden")
        return await call_next(request)


def _own_origins(request: Request) -> list[str]:
    origins = [f"{request.state.scheme}://{request.headers.get('host', '')}"]
    public = _settings(request).web_public_origin
    if public:
        origins.append(public)
    return origins


# -- pages -------------------------------------------------------------------------------------------

def _filters_status(filters: queries.Filters) -> int:
    """A page whose filter box holds a bad query shows the error, with 400."""
    return 400 if filters.error else 200


async def _page_context(request: Request) -> tuple[queries.Filters, list[str]]:
    filters = queries.parse_filters(request.query_params, _now())
    # A refused query costs Elasticsearch nothing: the page shows the error without the watch list.
    return filters, [] if filters.error else await _watches(request)


async def _overview(request: Request, filters: queries.Filters) -> queries.Overview | None:
    if filters.error:
        return None
    try:
        response = await _es(request).search(index=_settings(request).mentions_index, **queries.overview_request(filters))
    except NotFoundError:
        return queries.shape_overview({})
    return queries.shape_overview(response.body)


async def _open_alert_count(request: Request) -> int | None:
    try:
        return len(await _alert_store(request).list(state=AlertState.open.value))
    except NotFoundError:
        return None


@_elasticsearch_errors
async def overview_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    overview = await _overview(request, filters)
    return _render(request, "overview.html", "overview", _filters_status(filters), filters=filters, watches=watches,
                   overview=overview, open_alerts=None if filters.error else await _open_alert_count(request))


@_elasticsearch_errors
async def overview_api(request: Request) -> Response:
    filters = queries.parse_filters(request.query_params, _now())
    if filters.error:
        return JSONResponse({"error": filters.error}, status_code=400)
    return JSONResponse((await _overview(request, filters)).to_json())


async def _alerts(request: Request, include_resolved: bool, watch: str = "") -> list[Alert]:
    store = _alert_store(request)
    try:
        if include_resolved:
            alerts = await store.list(watch=watch or None, size=200)
        else:
            alerts = await store.list(watch=watch or None, active_only=True)
    except NotFoundError:
        return []
    return queries.sort_alerts(alerts)


async def _evidence(request: Request, alerts: list[Alert]) -> dict[str, list[dict[str, Any]]]:
    evidence: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        ids = alert.sample_ids[:MAX_EVIDENCE]
        if not ids:
            evidence[alert.id] = []
            continue
        try:
            response = await _es(request).search(index=_settings(request).mentions_index, **queries.evidence_request(ids))
            evidence[alert.id] = [hit["_source"] for hit in response["hits"]["hits"]]
        except NotFoundError:
            evidence[alert.id] = []
    return evidence


async def _crisis_context(request: Request, show_all: bool | None = None, problem: str | None = None) -> dict[str, Any]:
    if show_all is None:
        show_all = request.query_params.get("show") == "all"
    watch = request.query_params.get("watch", "")
    alerts = await _alerts(request, show_all, watch)
    done = request.query_params.get("done")
    return {"alerts": alerts, "evidence": await _evidence(request, alerts), "show_all": show_all,
            "done": done if done in ("acknowledged", "resolved") and problem is None else None,
            "problem": problem, "fingerprint": _fingerprint(alerts)}


def _fingerprint(alerts: list[Alert]) -> str:
    return hashlib.sha256(queries.alerts_fingerprint(alerts).encode()).hexdigest()[:16]


@_elasticsearch_errors
async def crisis_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    return _render(request, "crisis.html", "crisis", filters=filters, watches=watches,
                   live_seconds=_settings(request).web_live_seconds, **await _crisis_context(request))


@_elasticsearch_errors
async def crisis_fragment(request: Request) -> Response:
    """The alert list alone, for the live update of the crisis page."""
    return _render(request, "_alerts.html", "crisis", **await _crisis_context(request))


async def _transition(request: Request, who: str, alert_id: str, action: str) -> tuple[Alert | None, int, str]:
    store = _alert_store(request)
    who = who.strip()[:80]
    if not who:
        return None, 400, "who is acting? (give a name)"
    try:
        alert = await act_on_alert(_settings(request), alert_id, action, who, store=store)
    except KeyError:
        return None, 404, f"no alert {alert_id}"
    except InvalidTransition as exc:
        return None, 409, str(exc)
    except KafkaError as exc:
        log.error("alert %s %sd by %s in Elasticsearch, but the crisis agent could not be told: %s",
                  alert_id, action, who, mask_credentials(exc))
        return None, 502, mask_credentials(f"the alert was {action}d, but Kafka ({_settings(request).kafka_brokers}) "
                                           f"could not be reached to tell the crisis agent: {exc}")
    log.info("alert %s %sd by %s", alert_id, action, who)
    return alert, 200, ""


def _alert_action(action: str):
    @_elasticsearch_errors
    @state_changing
    async def form_handler(request: Request) -> Response:
        form = await request.form()
        who = str(form.get("who") or "")
        alert, status, problem = await _transition(request, who, request.path_params["alert_id"], action)
        show_all = form.get("show") == "all"
        if alert is None:  # shown here rather than put in a URL, where anyone could write any text
            filters, watches = await _page_context(request)
            return _render(request, "crisis.html", "crisis", status_code=status, filters=filters, watches=watches,
                           switch_path="/crisis",
                           live_seconds=_settings(request).web_live_seconds,
                           **await _crisis_context(request, show_all, problem))
        params = {"done": f"{action}d", **({"show": "all"} if show_all else {})}
        response = RedirectResponse(f"/crisis?{urlencode(params)}#alerts", status_code=303)
        if who.strip():
            response.set_cookie(WHO_COOKIE, who.strip()[:80], max_age=365 * 86400, samesite="lax")
        return response

    @_elasticsearch_errors
    @state_changing
    async def api_handler(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            return JSONResponse({"error": 'the body must be a JSON object: {"who": "<your name>"}'}, status_code=400)
        alert, status, problem = await _transition(request, str(body.get("who") or ""),
                                                   request.path_params["alert_id"], action)
        if alert is None:
            return JSONResponse({"error": problem}, status_code=status)
        return JSONResponse(alert.model_dump(mode="json"))

    return form_handler, api_handler


acknowledge_form, acknowledge_api = _alert_action("acknowledge")
resolve_form, resolve_api = _alert_action("resolve")


@_elasticsearch_errors
async def alerts_api(request: Request) -> Response:
    try:
        params = queries.parse_alerts_params(request.query_params)
    except queries.BadParameter as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    try:
        alerts = await _alert_store(request).list(state=params.state, watch=params.watch, size=params.size)
    except NotFoundError:
        alerts = []
    return JSONResponse([alert.model_dump(mode="json") for alert in queries.sort_alerts(alerts)])


async def alerts_stream(request: Request) -> Response:
    """Server-sent events: one ``alerts`` event each time the set of active alerts changes."""
    interval = _settings(request).web_live_seconds
    include_resolved = request.query_params.get("show") == "all"

    async def events():
        last = None
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            try:
                fingerprint = _fingerprint(await _alerts(request, include_resolved))
            except (ApiError, TransportError) as exc:
                yield f"event: problem\ndata: {type(exc).__name__}\n\n"
                fingerprint = last
            if fingerprint != last:
                yield f"event: alerts\ndata: {fingerprint}\n\n"
                last = fingerprint
            else:
                yield ": still here\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _inbox(request: Request, filters: queries.Filters) -> tuple[list[dict[str, Any]], int]:
    try:
        response = await _es(request).search(index=_settings(request).mentions_index, **queries.inbox_request(filters))
    except NotFoundError:
        return [], 0
    return queries.shape_inbox(response.body, _now()), response["hits"]["total"]["value"]


@_elasticsearch_errors
async def inbox_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    items, total = ([], 0) if filters.error else await _inbox(request, filters)
    return _render(request, "inbox.html", "inbox", _filters_status(filters), filters=filters, watches=watches,
                   items=items, total=total, categories=CATEGORIES, saved=request.query_params.get("saved"))


@_elasticsearch_errors
async def inbox_api(request: Request) -> Response:
    filters = queries.parse_filters(request.query_params, _now())
    if filters.error:
        return JSONResponse({"error": filters.error}, status_code=400)
    items, total = await _inbox(request, filters)
    return JSONResponse({"total": total, "mentions": items})


@_elasticsearch_errors
@state_changing
async def feedback_form(request: Request) -> Response:
    """"Correct the tags" from the inbox: one :class:`FeedbackRecord` for the next training run."""
    from pydantic import ValidationError

    from pipeline.tagging.feedback import FeedbackRecord, append_feedback, feedback_path

    form = await request.form()
    mention_id = str(form.get("id") or "")
    if not mention_id.strip():
        return _error_page(request, 400, "error.query", "which mention? (give its id)")
    try:
        response = await _es(request).get(index=_settings(request).mentions_index, id=mention_id,
                                          source_includes=["text", "lang", "categories", "author.id", "platform"])
    except NotFoundError:
        return _error_page(request, 404, "error.not_found", mention_id)
    source = response["_source"]
    current = set(source.get("categories") or [])
    wanted = {name for name in form.getlist("category") if name in CATEGORIES}
    sentiment = str(form.get("sentiment") or "") or None
    try:
        author = source.get("author") if isinstance(source.get("author"), dict) else {}
        record = FeedbackRecord(id=mention_id, text=source["text"], lang=source.get("lang"),
                                author_id=author.get("id"), platform=source.get("platform"),
                                add=sorted(wanted - current), remove=sorted(current - wanted), sentiment=sentiment)
    except ValidationError as exc:
        return _error_page(request, 400, "error.query", str(exc))
    if record.add or record.remove or record.sentiment:
        append_feedback(feedback_path(_settings(request).data_dir), record)
        log.info("tag correction for %s: +%s -%s sentiment %s", mention_id, record.add, record.remove, record.sentiment)
    back = str(form.get("back") or "/inbox")
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{security.safe_next(back)}{separator}saved={mention_id}", status_code=303)


async def _legal(request: Request, filters: queries.Filters, size: int = 200) -> tuple[list[dict[str, Any]], int]:
    try:
        response = await _es(request).search(index=_settings(request).mentions_index,
                                             **queries.legal_request(filters, size))
    except NotFoundError:
        return [], 0
    return [hit["_source"] for hit in response["hits"]["hits"]], response["hits"]["total"]["value"]


@_elasticsearch_errors
async def legal_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    items, total = ([], 0) if filters.error else await _legal(request, filters)
    return _render(request, "legal.html", "legal", _filters_status(filters), filters=filters, watches=watches,
                   items=items, total=total, csv_url=f"/legal.csv?{urlencode(filters.as_params())}")


@_elasticsearch_errors
async def legal_csv(request: Request) -> Response:
    filters = queries.parse_filters(request.query_params, _now())
    if filters.error:
        return PlainTextResponse(filters.error, status_code=400)
    items, _ = await _legal(request, filters, size=10_000)
    stamp = _now().strftime("%Y%m%dT%H%MZ")
    return Response(queries.legal_csv(items), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="veille-legal-{stamp}.csv"'})


@_elasticsearch_errors
async def legal_api(request: Request) -> Response:
    filters = queries.parse_filters(request.query_params, _now())
    if filters.error:
        return JSONResponse({"error": filters.error}, status_code=400)
    items, total = await _legal(request, filters)
    return JSONResponse({"total": total, "mentions": items})


async def _trends(request: Request, filters: queries.Filters, watches: list[str]) -> dict[str, Any]:
    settings = _settings(request)
    try:
        response = await _es(request).search(index=trends_index(settings), **queries.trends_request(filters))
        detected = queries.shape_trends(response.body)
    except NotFoundError:
        detected = []
    frequent: list[tuple[str, int]] = []
    if not filters.error:
        try:
            sample = await _es(request).search(index=settings.mentions_index, **queries.recent_texts_request(filters))
            texts = queries.texts_of(sample.body)
            frequent = await asyncio.to_thread(top_terms, texts, watches, 25)
        except NotFoundError:
            pass
    return {"detected": detected, "frequent": frequent}


@_elasticsearch_errors
async def trends_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    found = {"detected": [], "frequent": []} if filters.error else await _trends(request, filters, watches)
    return _render(request, "trends.html", "trends", _filters_status(filters), filters=filters, watches=watches,
                   **found)


@_elasticsearch_errors
async def trends_api(request: Request) -> Response:
    filters, watches = await _page_context(request)
    if filters.error:
        return JSONResponse({"error": filters.error}, status_code=400)
    found = await _trends(request, filters, watches)
    return JSONResponse({"detected": found["detected"],
                         "frequent": [{"term": term, "mentions": count} for term, count in found["frequent"]]})


def _compare_args(request: Request, filters: queries.Filters, watches: list[str]) -> tuple[str, list[str]]:
    brand = request.query_params.get("brand") or (watches[0] if watches else "")
    against = [name.strip() for value in request.query_params.getlist("against") for name in value.split(",")
               if name.strip() and name.strip() != brand]
    if "brand" not in request.query_params and not against:
        against = [name for name in watches if name != brand]
    return brand, against


async def _comparison(request: Request, filters: queries.Filters, brand: str, against: list[str]):
    since = filters.since or _now() - COMPARE_FALLBACK_PERIOD
    return await fetch_comparison(_es(request), _settings(request).mentions_index, brand, against, since,
                                  filters.until or _now(), filters.compiled)


@_elasticsearch_errors
async def compare_page(request: Request) -> Response:
    filters, watches = await _page_context(request)
    brand, against = _compare_args(request, filters, watches)
    comparison, problem = None, None
    if brand and against and not filters.error:
        try:
            comparison = await _comparison(request, filters, brand, against)
        except UnknownWatch as exc:
            problem = str(exc)
    chart_data = queries.comparison_charts(comparison, _translator(request)) if comparison else None
    return _render(request, "compare.html", "compare", _filters_status(filters), filters=filters, watches=watches, brand=brand,
                   against=against, comparison=comparison, chart_data=chart_data, problem=problem)


@_elasticsearch_errors
async def compare_api(request: Request) -> Response:
    filters = queries.parse_filters(request.query_params, _now())
    if filters.error:
        return JSONResponse({"error": filters.error}, status_code=400)
    brand = request.query_params.get("brand", "")
    against = [name.strip() for value in request.query_params.getlist("against") for name in value.split(",") if name.strip()]
    if not brand or not against:
        return JSONResponse({"error": "give brand=NAME and against=A,B"}, status_code=400)
    try:
        comparison = await _comparison(request, filters, brand, against)
    except UnknownWatch as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(comparison.to_json())


# -- sign in -----------------------------------------------------------------------------------------

async def login_page(request: Request) -> Response:
    if _settings(request).web_token is None:
        return RedirectResponse("/", status_code=303)
    return _render(request, "login.html", "login", next=security.safe_next(request.query_params.get("next")),
                   wrong=False)


@state_changing
async def login_submit(request: Request) -> Response:
    settings = _settings(request)
    if settings.web_token is None:
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    target = security.safe_next(str(form.get("next") or "/"))
    limiter: security.SignInLimiter = request.app.state.sign_in_limiter
    address = request.state.client_address
    wait = limiter.retry_after(address)
    if wait:
        log.warning("sign-in refused: too many attempts from %s (retry in %ds)", address, wait)
        response = _render(request, "login.html", "login", status_code=429, next=target, wrong=False, too_many=True)
        response.headers["Retry-After"] = str(wait)
        return response
    if not security.token_matches(settings.web_token.get_secret_value(), str(form.get("token") or "")):
        limiter.failed(address)
        log.warning("sign-in refused: wrong token from %s", address)
        return _render(request, "login.html", "login", status_code=401, next=target, wrong=True)
    limiter.succeeded(address)
    sessions: security.SessionStore = request.app.state.sessions
    sessions.close(request.state.session_id)
    session_id = sessions.open()  # a new id at sign-in: one planted in the browser before is worth nothing
    secure = request.state.scheme == "https"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(security.AUTH_COOKIE, security.auth_cookie_value(
        request.app.state.secret, session_id, settings.web_token.get_secret_value()),
        httponly=True, samesite="lax", secure=secure)
    response.set_cookie(security.SESSION_COOKIE, session_id, httponly=True, samesite="lax", secure=secure)
    return response


@state_changing
async def logout(request: Request) -> Response:
    request.app.state.sessions.close(request.state.session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.AUTH_COOKIE)
    response.delete_cookie(security.SESSION_COOKIE)
    return response


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def openapi_api(request: Request) -> Response:
    """The API's OpenAPI description; behind the same token as the rest of /api."""
    from pipeline.web.openapi import description

    return JSONResponse(description())


# -- the app -----------------------------------------------------------------------------------------

def routes() -> list:
    from pipeline.web import inbox_routes  # first match wins: its /, /inbox, /compare and their APIs replace these

    return [
        *inbox_routes.routes(),
        Route("/", overview_page),
        Route("/crisis", crisis_page),
        Route("/crisis/alerts", crisis_fragment),
        Route("/alerts/{alert_id:path}/acknowledge", acknowledge_form, methods=["POST"]),
        Route("/alerts/{alert_id:path}/resolve", resolve_form, methods=["POST"]),
        Route("/inbox", inbox_page),
        Route("/inbox/feedback", feedback_form, methods=["POST"]),
        Route("/legal", legal_page),
        Route("/legal.csv", legal_csv),
        Route("/trends", trends_page),
        Route("/compare", compare_page),
        Route("/login", login_page),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/api/openapi.json", openapi_api),
        Route("/api/overview", overview_api),
        Route("/api/alerts", alerts_api),
        Route("/api/alerts/stream", alerts_stream),
        Route("/api/alerts/{alert_id:path}/acknowledge", acknowledge_api, methods=["POST"]),
        Route("/api/alerts/{alert_id:path}/resolve", resolve_api, methods=["POST"]),
        Route("/api/inbox", inbox_api),
        Route("/api/legal", legal_api),
        Route("/api/trends", trends_api),
        Route("/api/compare", compare_api),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(settings: Settings, client: AsyncElasticsearch | None = None) -> Starlette:
    """The web app; it opens (and closes) its own Elasticsearch client unless given one."""
    from pipeline.sinks.elasticsearch import make_client

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        owned = client is None
        app.state.es = client or make_client(settings)
        from pipeline.trends.terms import stop_words

        await asyncio.to_thread(stop_words)  # spaCy's word lists take seconds to import: not on a request
        try:
            yield
        finally:
            if owned:
                await app.state.es.close()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=security.allowed_hosts(settings.web_host, settings.web_public_origin)),
            Middleware(SecurityMiddleware),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret = (settings.web_secret.get_secret_value().encode() if settings.web_secret
                        else secrets.token_bytes(32))
    app.state.sessions = security.SessionStore(settings.web_session_hours * 3600)
    app.state.sign_in_limiter = security.SignInLimiter()
    app.state.trusted_proxies = security.trusted_networks(settings.web_trusted_proxies)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.filters["compact"] = charts.compact_number
    app.state.templates.env.filters["when"] = _when
    app.state.es = client
    return app


def _when(value: Any) -> str:
    moment = queries.parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
