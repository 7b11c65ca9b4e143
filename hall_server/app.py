"""The FastAPI application of the hall server (API v1 under /api/v1, OpenAPI at /openapi.json).

Endpoints are plain `def` functions: they run in the thread pool, and SQLite writes queue on
the database's write lock (see hall_server.db), PostgreSQL ones on row locks. The ticket route
is the exception (issue 17): `async`, with the whole request in one worker-thread call and one
write transaction (hall_server.submissions.submit_with_token).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from common import __version__
from common.wire import API_PREFIX
from hall_server import hot_routes, housekeeping, http_errors, openapi, pages
from hall_server.api import (
    applications,
    bookings,
    catalog,
    counters,
    evaluations,
    events,
    fleet,
    public,
    push_lane,  # heartbeats' fast lane (issue 17)
    queue,
    reports,
    sync,
    system,
    ticket_lane,  # the ticket route's fast lane (issue 17)
)
from hall_server.api import display as display_api  # own line: other branches edit the one above
from hall_server.api import notify as notify_api  # own line too (SMS numbers)
from hall_server.clock import Clock
from hall_server.context import HallContext
from hall_server.db import Database
from hall_server.keys import ensure_hall_key
from hall_server.pages import citizen as citizen_pages

log = logging.getLogger(__name__)


def build_context(
    settings: Any,
    database: Database,
    *,
    clock: Clock | None = None,
    reasons_path: Path | None = None,
    forms_dir: Path | None = None,
    data_dir: str | Path | None = None,
) -> HallContext:
    """Needs a migrated database (it reads or creates the hall key)."""
    from hall_server.personal import PersonalData, key_path

    return HallContext(
        settings=settings,
        database=database,
        clock=clock or Clock(),
        hall_key=ensure_hall_key(database),
        version=__version__,
        reasons_path=reasons_path,
        forms_dir=forms_dir,
        personal=PersonalData(key_path(settings, data_dir)),
    )


# /docs loads Swagger UI from the installed fastapi-offline package, never from a CDN (a hall
# LAN has no internet); no online validator badge either (it would call validator.swagger.io).
DOCS_ASSETS_URL = "/docs-assets"


def create_app(ctx: HallContext) -> FastAPI:
    app = FastAPIOffline(
        static_url=DOCS_ASSETS_URL,
        swagger_ui_parameters={"validatorUrl": None},
        title="Hall server API",
        version=ctx.version,
        description="API v1 of the government service hall server (政务服务中心). "
        'Every error body is {"error": {"code", "message"}}; see docs/api.md.',
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    ctx.page_key()  # made now: a request needs it inside the write lock (applications)
    http_errors.install(app)
    for module in (
        system,
        catalog,
        queue,
        bookings,
        counters,
        events,
        applications,
        evaluations,
        reports,
        sync,
        fleet,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(public.router)
    app.include_router(citizen_pages.router)  # /t/pending/…, /guide/…, /a/… (after /t/{id})
    app.include_router(fleet.pages)  # /admin/devices
    app.include_router(display_api.router, prefix=API_PREFIX)  # display state, call audio
    app.include_router(display_api.pages)  # /display
    app.include_router(notify_api.router, prefix=API_PREFIX)  # /notify/phones
    pages.install(app)  # /counter, /staff/login|logout, /static
    openapi.install(app)
    hot_routes.install(app, _lanes())  # last: after every route
    return app


def _lanes() -> dict[tuple[str, str], hot_routes.Lane]:
    """The hot routes' own handling: tickets by their lane; sync pushes (heartbeats by their
    lane) and catalog polls taking turns (hall_server/housekeeping.py)."""
    return {
        **ticket_lane.lanes(),
        **push_lane.lanes(),
        ("GET", f"{API_PREFIX}/catalog/changes"): housekeeping.taking_turns,
    }
