"""Bookings (预约): free slots, book, cancel. Check-in stays `POST /queue/tickets` with the
booking's code as `appointment` (hall_server.api.queue)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from common.wire import Booking, BookingCancelled, BookingRequest, SlotList
from hall_server import bookings, submissions
from hall_server.api.deps import IdempotencyKey, KioskDevice, base_url, get_ctx

router = APIRouter(tags=["bookings"])


@router.get("/queue/slots", response_model=SlotList)
def slots(
    request: Request,
    device: KioskDevice,
    service: Annotated[str, Query(min_length=1, max_length=32)],
    date: Annotated[date, Query(description="the hall's calendar date, YYYY-MM-DD")],
) -> dict:
    """A bookable service's time slots on one day, with what is still available."""
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return bookings.list_slots(
            conn, service=service, day=date, schedule=ctx.schedule, zone=ctx.zone, now=ctx.now()
        )


@router.post(
    "/queue/appointments",
    response_model=Booking,
    status_code=201,
    responses={200: {"description": "Replay: this Idempotency-Key's booking"}},
)
def book(
    body: BookingRequest,
    request: Request,
    response: Response,
    device: KioskDevice,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Book a slot for the holder of an ID card (one per person, service and day)."""
    status, booking = submissions.submit(
        get_ctx(request), "booking", body, device, idempotency_key, base_url(request)
    )
    response.status_code = status
    return booking


@router.delete("/queue/appointments/{code}", response_model=BookingCancelled)
def cancel(
    code: str,
    request: Request,
    device: KioskDevice,
    holder: Annotated[str | None, Query(min_length=16, max_length=128)] = None,
) -> dict:
    """Cancel a booking not yet checked in; a kiosk passes the holder of the card read."""
    ctx = get_ctx(request)
    with ctx.database.write() as conn:
        return bookings.cancel(conn, code, holder)
