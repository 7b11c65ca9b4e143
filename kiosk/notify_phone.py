"""Leave a mobile number for SMS notices (到号提醒 with a ticket, 办件进度短信 with an
application), local-first.

The record goes into the outbox (sealed at rest, like every submission) in the stream of the
record it belongs to, so the syncer delivers it after that ticket or application even when
both were filed offline; the hall server files it once by its key (POST /notify/phones). The
server knows the target by its id or by this kiosk's own key of the record, so an offline
ticket works too. The citizen sees the number masked from then on.
"""

from __future__ import annotations

import logging
import uuid
from typing import Literal

from common import errors, wire
from common.errors import KioskError
from common.redact import mask_phone
from common.validators import validate_phone
from offline_cache.fast_path import Online
from offline_cache.outbox import Outbox
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)


def mobile_problem(phone: str) -> str | None:
    """None for a mainland mobile (11 digits, 1[3-9]…); else the E-VAL code's message."""
    digits = phone.strip().replace(" ", "")
    if len(digits) == 11 and digits.isdigit() and validate_phone(digits) is None:
        return None
    return errors.PHONE_INVALID.code


def leave_phone(
    store: LocalStore,
    outbox: Outbox,
    online: Online,
    *,
    target: Literal["ticket", "application"],
    ref: str,
    stream: str,
    phone: str,
) -> str:
    """Queue the number for `ref` (a ticket id / application number or this kiosk's key of the
    record) in `stream` (the record's own outbox stream); returns it masked."""
    phone = phone.strip().replace(" ", "")
    if mobile_problem(phone):
        raise KioskError(errors.PHONE_INVALID, "an 11-digit mobile number (1[3-9]…)")
    body = wire.NotifyPhoneRequest(target=target, ref=ref, phone=phone).model_dump(mode="json")
    key = str(uuid.uuid4())
    with store.transaction() as conn:
        outbox.enqueue(conn, key=key, kind="phone", stream=stream, body=body)
    if online.reachable():
        attempt = online.try_now(outbox, key)
        if attempt.outcome == "refused" and attempt.error is not None:
            raise attempt.error  # a closed ticket: the citizen is told now
    log.info("SMS number %s left for %s", mask_phone(phone), target)
    return mask_phone(phone)
