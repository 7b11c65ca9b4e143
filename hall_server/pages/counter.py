"""The counter page `/counter` (a clerk's browser at a window) and the staff sign-in routes.

- `GET /counter`: the sign-in form, then the choice of counter, then the counter itself
  (`/counter?counter=03`); `?lang=en|zh` switches the language and is remembered in a cookie.
- `GET /counter/board?counter=03`: the page's data as JSON (counter_board.board), re-read by
  the page whenever `/api/v1/events` says the queue changed.
- `POST /staff/login` (an HTML form or JSON), `POST /staff/logout`, `GET /api/v1/staff/me`.
The page's actions call the counter routes `/api/v1/queue/counters/{counter}/…` with the
sign-in cookie and the `X-CSRF-Token` header.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from common.errors import REGISTRY, VALIDATION, KioskError
from common.wire import API_PREFIX
from hall_server import counter_board
from hall_server.api.counters import hall_of
from hall_server.api.deps import client_address, get_ctx
from hall_server.api.staff_auth import (
    CSRF_COOKIE,
    SignedInStaff,
    check_counter,
    check_csrf,
    clear_cookies,
    optional_staff,
    session_length,
    session_token,
    set_cookies,
)
from hall_server.clock import iso_utc
from hall_server.http_errors import error_response
from hall_server.pages import STATIC_PREFIX, templates
from hall_server.pages.i18n import STRINGS, pick_language
from hall_server.staff import StaffSession, sign_in, sign_out

log = logging.getLogger(__name__)

router = APIRouter(tags=["counter page"])
LANG_COOKIE = "hall_lang"
MAX_FORM_BYTES = 4096
PAGE_ERROR_FAMILIES = ("E-AUTH", "E-QUE", "E-API", "E-SRV")  # what counter actions answer


def _lang(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def _render(
    request: Request, name: str, status: int = 200, headers: dict | None = None, **values: Any
) -> HTMLResponse:
    ctx = get_ctx(request)
    lang = _lang(request)
    other = "en" if lang == "zh" else "zh"
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other
    html = templates.get_template(name).render(
        t=STRINGS[lang],
        lang=lang,
        errors={
            code: entry.zh if lang == "zh" else entry.en
            for code, entry in REGISTRY.items()
            if code.startswith(PAGE_ERROR_FAMILIES)
        },
        other_lang_url="/counter?" + urlencode(query),
        hall=ctx.settings.hall.name,
        tz=ctx.settings.hall.timezone,
        static=STATIC_PREFIX,
        version=ctx.version,
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in STRINGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def _error_text(exc: KioskError, lang: str) -> str:
    return f"{exc.code} · {exc.error.zh if lang == 'zh' else exc.error.en}"


def _allowed_counters(request: Request, session: StaffSession) -> list[dict[str, str]]:
    with get_ctx(request).database.read() as conn:
        counters = counter_board.known_counters(conn)
    return [c for c in counters if session.staff.may_use(c["code"])]


def _board(request: Request, counter: str) -> dict:
    """The board; E-QUE-11 for an unknown counter."""
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return counter_board.board(conn, counter, hall_of(ctx, request))


@router.get("/counter", response_class=HTMLResponse)
def counter_page(request: Request, counter: str | None = None) -> HTMLResponse:
    session = optional_staff(request)
    if session is None:
        return _render(request, "signin.html", login="", error=None)
    lang = _lang(request)
    allowed = _allowed_counters(request, session)
    if counter:
        try:
            check_counter(session, counter)
            board = _board(request, counter)
        except KioskError as exc:
            return _render(
                request,
                "choose.html",
                status=exc.error.http_status,
                staff=session.staff,
                counters=allowed,
                csrf=session.csrf,
                error=_error_text(exc, lang),
            )
        return _render(
            request,
            "counter.html",
            staff=session.staff,
            counter=counter,
            csrf=session.csrf,
            board=board,
            api=API_PREFIX,
        )
    return _render(
        request,
        "choose.html",
        staff=session.staff,
        counters=allowed,
        csrf=session.csrf,
        error=None,
    )


@router.get("/counter/board")
def counter_board_json(request: Request, session: SignedInStaff, counter: str) -> dict:
    """The counter page's data (signed-in staff allowed at that counter)."""
    check_counter(session, counter)
    return _board(request, counter)


async def _credentials(request: Request) -> tuple[str, str, str, bool]:
    """(login, password, next, is_form) from a urlencoded form or a JSON body."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise KioskError(VALIDATION, "body too large")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError as exc:
            raise KioskError(VALIDATION, "body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise KioskError(VALIDATION, "body must be an object")
        is_form = False
    else:
        fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        data = {k: v[0] for k, v in fields.items()}
        is_form = True
    login, password = data.get("login"), data.get("password")
    if not isinstance(login, str) or not isinstance(password, str) or not login or not password:
        raise KioskError(VALIDATION, "login and password are required")
    target = data.get("next") if isinstance(data.get("next"), str) else ""
    # only a path on this server: never an open redirect
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/counter"
    return login, password, target, is_form


@router.post("/staff/login", response_model=None)
async def login(request: Request) -> Response:
    """Sign in: a form post answers with a redirect (or the form again with the error), a JSON
    post with `{"staff", "csrf", "expires_at"}`; both set the sign-in cookies."""
    ctx = get_ctx(request)
    is_form = "application/json" not in request.headers.get("content-type", "")
    login_name = ""
    try:
        login_name, password, target, is_form = await _credentials(request)
        now = ctx.now()
        server = ctx.settings.server
        signed = await run_in_threadpool(
            lambda: sign_in(
                ctx.database,
                login=login_name,
                password=password,
                address=client_address(request),
                now=now,
                attempts=server.staff_login_attempts,
                lockout=timedelta(minutes=server.staff_lockout_minutes),
                session_length=session_length(request),
            )
        )
    except KioskError as exc:
        if not is_form:
            return error_response(exc)
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(int(exc.retry_after + 0.999))
        return _render(
            request,
            "signin.html",
            status=exc.error.http_status,
            headers=headers,
            login=login_name[:64],
            error=_error_text(exc, _lang(request)),
        )
    response: Response
    if is_form:
        response = RedirectResponse(target, status_code=303)
    else:
        response = JSONResponse(
            {
                "staff": signed.staff.as_dict(),
                "csrf": signed.csrf,
                "expires_at": iso_utc(signed.expires_at),
            }
        )
    set_cookies(request, response, signed, now)
    return response


@router.post(
    "/staff/logout",
    response_model=None,
    responses={
        200: {
            "description": "Signed out: JSON when asked for; a browser that follows the 303 "
            "gets the sign-in page",
            "content": {"application/json": {}, "text/html": {"schema": {"type": "string"}}},
        },
        303: {"description": "A browser: back to /counter"},
    },
)
async def logout(request: Request) -> Response:
    """End this browser's sign-in (needs the CSRF token: header or `csrf_token` form field)."""
    ctx = get_ctx(request)
    body = await request.body()
    form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", errors="replace"))
    token = session_token(request)
    session = await run_in_threadpool(optional_staff, request)
    if session is not None and token is not None:
        check_csrf(request, session, (form.get("csrf_token") or [None])[0])

        def _end() -> None:
            with ctx.database.write() as conn:
                sign_out(conn, token)

        await run_in_threadpool(_end)
        log.info("staff %s signed out", session.staff.login)
    wants_json = "application/json" in request.headers.get("accept", "")
    response: Response = (
        JSONResponse({"signed_out": True})
        if wants_json
        else RedirectResponse("/counter", status_code=303)
    )
    clear_cookies(response)
    return response


@router.get(f"{API_PREFIX}/staff/me")
def me(request: Request, session: SignedInStaff) -> dict:
    """The signed-in clerk, the CSRF token to send back, and when the sign-in ends."""
    return {
        "staff": session.staff.as_dict(),
        "csrf": session.csrf,
        "expires_at": iso_utc(session.expires_at),
        "csrf_cookie": CSRF_COOKIE,
    }
