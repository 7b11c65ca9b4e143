"""Applications: submit, progress lookups (rate-limited per device), status changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from common.wire import (
    Application,
    ApplicationCreated,
    ApplicationList,
    ApplicationRequest,
    ApplicationStatusChange,
)
from hall_server import applications, submissions
from hall_server.api.deps import (
    CounterDevice,
    IdempotencyKey,
    KioskDevice,
    KioskOrCounter,
    base_url,
    get_ctx,
    limit_lookups,
)

router = APIRouter(tags=["applications"])


@router.post(
    "/applications",
    response_model=ApplicationCreated,
    status_code=201,
    responses={200: {"description": "Replay: this Idempotency-Key's application"}},
)
def submit(
    body: ApplicationRequest,
    request: Request,
    response: Response,
    device: KioskDevice,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    status, created = submissions.submit(
        get_ctx(request), "application", body, device, idempotency_key, base_url(request)
    )
    response.status_code = status
    return created


@router.get("/applications", response_model=ApplicationList)
def by_holder(
    request: Request,
    device: KioskOrCounter,
    holder: Annotated[
        str, Query(min_length=16, max_length=128, description="hall-keyed holder hash")
    ],
) -> dict:
    """A citizen's applications (newest first, at most 50), by holder hash."""
    limit_lookups(request, device)
    ctx = get_ctx(request)
    now = ctx.now()
    with ctx.database.read() as conn:
        return {"applications": applications.list_by_holder(conn, holder, now), "as_of": now}


@router.get("/applications/{number}", response_model=Application)
def get_one(number: str, request: Request, device: KioskOrCounter) -> dict:
    limit_lookups(request, device)
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return applications.get_application(conn, number, ctx.now())


@router.patch("/applications/{number}/status", response_model=Application)
def change_status(
    number: str, body: ApplicationStatusChange, request: Request, _device: CounterDevice
) -> dict:
    """Move an application to a status, with a note (counter or admin role)."""
    ctx = get_ctx(request)
    with ctx.database.write() as conn:
        return applications.change_status(conn, number, body.status, body.note, ctx.now())
