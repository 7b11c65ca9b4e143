"""Appointment check-in by ID card (刷身份证签到).

The kiosk asks the hall server for today's appointments of the card's holder — the hall-keyed
HMAC hash (common/holder.py), never the ID number — and the citizen's pick is checked in by
taking its ticket with the appointment code (KioskCore.check_in → kiosk/tickets.py), the
holder riding along so the server can match the booking to the card.

The lookup needs the server: appointments are booked elsewhere and the kiosk keeps no copy.
Unreachable, it raises E-QUE-08 so the screen can offer what still works offline — the
appointment code (the ticket is queued and checked in once the network is back) or a normal
ticket. No appointment at all is E-QUE-09: the screen explains it and offers the code too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from common import errors
from common.errors import KioskError
from common.holder import holder_hash
from common.views import AppointmentView
from offline_cache.fast_path import Online
from offline_cache.outbox import TRANSIENT


def appointments_for_card(
    online: Online, hall_key: Callable[[], str], id_card: dict[str, Any]
) -> list[AppointmentView]:
    """Today's appointments of the card's holder (hashed with the hall's key), the ones still
    to check in first."""
    id_number = str((id_card or {}).get("id_number") or "")
    if not id_number:
        raise KioskError(errors.IDC_NO_CARD, "no ID number read")
    holder = holder_hash(hall_key(), id_number)
    if not online.reachable():
        raise KioskError(errors.CHECKIN_NEEDS_NETWORK, "offline")
    try:
        reply = online.client.appointments_by_holder(holder, timeout=online.timeout)
    except KioskError as exc:
        if exc.code not in TRANSIENT:
            raise
        online.connectivity.failure(exc.code)
        raise KioskError(errors.CHECKIN_NEEDS_NETWORK, exc.code) from exc
    online.connectivity.success()
    if not reply.appointments:
        raise KioskError(errors.NO_APPOINTMENT_TODAY)
    return [
        AppointmentView(
            code=a.code,
            service=a.service,
            service_name=a.service_name,
            service_name_en=a.service_name_en,
            status=a.status,
            ticket_number=a.ticket_number,
        )
        for a in reply.appointments
    ]

