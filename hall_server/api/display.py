"""The hall call display (`/display`, no sign-in: it shows numbers and counters only), its
JSON state, its script and style, and the call audio (`/api/v1/audio/{key}.wav`)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from common.errors import NOT_FOUND, VOICE_FAILED, VOICE_UNAVAILABLE, KioskError
from hall_server import display
from hall_server.api.deps import get_ctx
from hall_server.context import HallContext
from hall_server.http_errors import error_response
from hall_server.voice import Announcer, parse_key

PAGES = Path(__file__).resolve().parent.parent / "pages"
ASSETS = {"display.js": "text/javascript", "display.css": "text/css"}
LIVE_ASSETS = {"ticket.js": ("ticket_live.js", "text/javascript")}  # /live/…: other pages
AUDIO_DIR = "call-audio"

pages = APIRouter(tags=["display"])  # /display…
router = APIRouter(tags=["display"])  # under /api/v1

AreaQuery = Annotated[str | None, Query(max_length=32, description="hall area, e.g. 2F")]
CountersQuery = Annotated[
    str | None, Query(max_length=400, description="comma-separated counters, e.g. 1,2,3")
]


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PAGES), autoescape=True, auto_reload=False
    )


@functools.cache
def _asset(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def announcer(ctx: HallContext) -> Announcer:
    """The server's one Announcer (cache in the data dir), made on first use."""
    found = getattr(ctx, "_announcer", None)
    if found is None:
        base = ctx.data_dir or Path.cwd()
        settings = ctx.settings.display
        found = Announcer(
            base / AUDIO_DIR,
            reading=settings.read_numbers,
            rate=settings.voice_rate,
            max_files=settings.audio_cache_files,
            english=settings.voice_english,
        )
        ctx._announcer = found  # type: ignore[attr-defined]
    return found


def _state(ctx: HallContext, area: str | None, counters: str | None) -> dict[str, Any]:
    with ctx.database.read() as conn:
        scope = display.resolve_scope(conn, area=area, counters=counters)
        out = display.state(
            conn, scope, ctx.today(), limit=ctx.settings.display.recent_calls + 1,
            announcer=announcer(ctx),
        )
    out["hall"] = ctx.settings.hall.name
    out["now"] = ctx.now().isoformat()
    return out


@pages.get("/display", response_class=HTMLResponse)
def display_page(request: Request, area: AreaQuery = None, counters: CountersQuery = None):
    """The call display for a TV in kiosk mode. A bad scope shows a message, not an error."""
    ctx = get_ctx(request)
    try:
        state = _state(ctx, area, counters)
    except KioskError as exc:  # e.g. both area and counters: still a page, with the reason
        state = {"hall": ctx.settings.hall.name, "calls": [], "services": [],
                 "scope": {"message": f"显示范围无效 · {exc.message}", "label": ""},
                 "now": ctx.now().isoformat()}
    settings = ctx.settings.display
    config = {
        "area": area or "",
        "counters": counters or "",
        "repeats": settings.voice_repeats,
        "recent": settings.recent_calls,
        "zone": ctx.settings.hall.timezone,
    }
    html = _templates().get_template("display.html").render(
        state=state, config_json=_script_json(config), state_json=_script_json(state),
        latest=state["calls"][0] if state["calls"] else None,
        earlier=state["calls"][1:],
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _script_json(value: Any) -> str:
    """JSON safe inside <script type="application/json"> (no "</script>" from a URL)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


@pages.get("/display/{name}", include_in_schema=False)
def display_asset(name: str) -> Response:
    if name not in ASSETS:
        raise KioskError(NOT_FOUND, "no such display file")
    return Response(_asset(name), media_type=ASSETS[name],
                    headers={"Cache-Control": "no-cache"})


@pages.get("/live/{name}", include_in_schema=False)
def live_asset(name: str) -> Response:
    """Scripts that make other pages live (the public ticket page)."""
    if name not in LIVE_ASSETS:
        raise KioskError(NOT_FOUND, "no such file")
    file, media_type = LIVE_ASSETS[name]
    return Response(_asset(file), media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/display/state")
def display_state(request: Request, area: AreaQuery = None, counters: CountersQuery = None):
    """What a display shows now: scope (with a message if it matches nothing), latest calls
    (newest first, each with `audio_url`), waiting per service. Public."""
    return _state(get_ctx(request), area, counters)


@router.get(
    "/audio/{key}.wav",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}, 503: {"description": "no espeak-ng"}},
)
def call_audio(key: str, request: Request):
    """The spoken call `<number>_<counter>` ("请 A 零一二 号 到 十三 号窗口 办理"), made on the
    first request and cached. 404 for a malformed key or an unknown counter; 503 E-VOI-01
    without espeak-ng."""
    ctx = get_ctx(request)
    number, counter = parse_key(key)
    with ctx.database.read() as conn:
        found = display.counter_directory(conn).get(counter)
    if found is None:  # only the hall's own counters: nobody fills the cache with others
        raise KioskError(NOT_FOUND, "no such counter")
    try:
        path = announcer(ctx).wav(
            number, counter, counter_name=found.name, counter_name_en=found.name_en
        )
    except KioskError as exc:
        if exc.error in (VOICE_UNAVAILABLE, VOICE_FAILED):
            return error_response(exc, 503)
        raise
    return FileResponse(path, media_type="audio/wav",
                        headers={"Cache-Control": "public, max-age=86400"})

