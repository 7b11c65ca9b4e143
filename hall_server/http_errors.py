"""One error shape for every 4xx/5xx: `{"error": {"code": "E-…", "message": "…"}}`.

FastAPI's own 404/405 and request validation errors, our KioskErrors, a database outage
(503 + Retry-After) and any unhandled exception (500) all come out in that shape. Messages
name fields and rules, never the submitted values (they may be personal data).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.errors import (
    AUTH_FORBIDDEN,
    AUTH_MISSING,
    DATABASE_UNAVAILABLE,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    SERVER_ERROR,
    VALIDATION,
    KioskError,
)
from hall_server.ratelimit import retry_after_header

log = logging.getLogger(__name__)

DB_RETRY_AFTER = 5.0
_BY_STATUS = {
    401: AUTH_MISSING,
    403: AUTH_FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    429: RATE_LIMITED,
}


def error_response(exc: KioskError, status: int | None = None) -> JSONResponse:
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = retry_after_header(exc.retry_after)
    return JSONResponse(exc.to_json(), status_code=status or exc.error.http_status, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


async def _kiosk_error(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)  # type: ignore[arg-type]


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors()  # type: ignore[attr-defined]
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = "body is not valid JSON"
    else:
        detail = "; ".join(f"{_loc(e['loc'])}: {e['msg']}" for e in errors[:8])
        if len(errors) > 8:
            detail += f"; … {len(errors) - 8} more"
    return error_response(KioskError(VALIDATION, detail))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code  # type: ignore[attr-defined]
    entry = _BY_STATUS.get(status, VALIDATION)
    detail = "no such route" if status == 404 else f"{request.method} {request.url.path}"
    if status not in (404, 405) and isinstance(exc.detail, str):  # type: ignore[attr-defined]
        detail = exc.detail  # type: ignore[attr-defined]
    response = error_response(KioskError(entry, detail), status)
    for key, value in (getattr(exc, "headers", None) or {}).items():
        response.headers[key] = value
    return response


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        type(exc.orig).__name__ if hasattr(exc, "orig") else type(exc).__name__,
    )
    return error_response(KioskError(DATABASE_UNAVAILABLE, retry_after=DB_RETRY_AFTER))


class CatchAll:
    """Outermost guard: an unhandled exception becomes 500 E-SRV-01 in the common shape
    (Starlette's own handler would answer in plain text and re-raise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                return
            response = error_response(KioskError(SERVER_ERROR, "unexpected error"))
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(KioskError, _kiosk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_middleware(CatchAll)
