"""SMS numbers (到号提醒, 办件进度短信): a kiosk attaches a citizen's mobile to a ticket or an
application (hall_server/notify_hooks.py sends the notices)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common import errors as codes
from common.wire import NotifyPhoneAttached, NotifyPhoneRequest
from hall_server import submissions
from hall_server.api.deps import IdempotencyKey, KioskDevice, base_url, get_ctx
from hall_server.openapi import errors

router = APIRouter(tags=["notifications"])


@router.post(
    "/notify/phones",
    response_model=NotifyPhoneAttached,
    status_code=201,
    responses={
        200: {"description": "Replay: this Idempotency-Key's number"},
        # 404: no such ticket / application (by id, number or the kiosk's own key of the
        # record); 409: it is closed (served, expired, finished), so no notices
        **errors(codes.NOT_FOUND, codes.APPLICATION_UNKNOWN, codes.NOTIFY_TARGET_CLOSED,
                 codes.VALIDATION, codes.IDEMPOTENCY_CONFLICT),
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
