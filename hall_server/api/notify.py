"""SMS numbers (到号提醒, 办件进度短信): a kiosk attaches a citizen's mobile to a ticket or an
application (hall_server/notify_hooks.py sends the notices)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common.wire import NotifyPhoneAttached, NotifyPhoneRequest
from hall_server import submissions
from hall_server.api.deps import IdempotencyKey, KioskDevice, base_url, get_ctx
from hall_server.openapi import _error

router = APIRouter(tags=["notifications"])


@router.post(
    "/notify/phones",
    response_model=NotifyPhoneAttached,
    status_code=201,
    responses={
        200: {"description": "Replay: this Idempotency-Key's number"},
        404: _error("E-API-01 no such ticket / E-APP-02 no such application (by id, number "
                    "or the kiosk's own key of the record)"),
        409: _error("E-NTF-02 the ticket or application is closed (served, expired, "
                    "finished): no notices"),
        422: _error("E-API-02 not an 11-digit mobile (1[3-9]…); E-API-03 key reused with "
                    "another body"),
    },
)
def attach_phone(
    body: NotifyPhoneRequest,
    request: Request,
    response: Response,
    device: KioskDevice,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Attach a citizen's mobile to a ticket or an application (kiosk role, idempotent). The
    number is stored sealed and answered masked (139****5678); it is deleted at the end of the
    ticket's business day or when the application closes."""
    status, attached = submissions.submit(
        get_ctx(request), "phone", body, device, idempotency_key, base_url(request)
    )
    response.status_code = status
    return attached
