"""The FastAPI application of the hall server (API v1 under /api/v1, OpenAPI at /openapi.json).

Endpoints are plain `def` functions: they run in the thread pool, and SQLite writes queue on
the database's write lock (see hall_server.db), PostgreSQL ones on row locks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from common import __version__
from common.wire import API_PREFIX
from hall_server import http_errors, openapi
from hall_server.api import applications, catalog, evaluations, fleet, public, queue, sync, system
from hall_server.clock import Clock
from hall_server.context import HallContext
from hall_server.db import Database
from hall_server.keys import ensure_hall_key

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


def create_app(ctx: HallContext) -> FastAPI:
    app = FastAPI(
        title="Hall server API",
        version=ctx.version,
        description="API v1 of the government service hall server (政务服务中心). "
        'Every error body is {"error": {"code", "message"}}; see docs/api.md.',
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    http_errors.install(app)
    for module in (system, catalog, queue, applications, evaluations, sync, fleet):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(public.router)
    app.include_router(fleet.pages)  # /admin/devices
    openapi.install(app)
    return app
