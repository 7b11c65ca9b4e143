"""Queue routes: services, tickets, the public ticket status, call-next."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from common.wire import AppointmentList, CallNextRequest, QueueServices, Ticket, TicketRequest
from hall_server import queue, submissions
from hall_server.api.deps import (
    CounterDevice,
    IdempotencyKey,
    KioskDevice,
    base_url,
    get_ctx,
    limit_lookups,
)

router = APIRouter(tags=["queue"])


@router.get("/queue/services", response_model=QueueServices)
def services(request: Request) -> dict:
    """Queue services with live waiting counts for the hall's business day."""
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return {"services": queue.list_services(conn, ctx.today())}


@router.post(
    "/queue/tickets",
    response_model=Ticket,
    status_code=201,
    responses={200: {"description": "Replay: this Idempotency-Key's ticket"}},
)
def take_ticket(
    body: TicketRequest,
    request: Request,
    response: Response,
    device: KioskDevice,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Issue a ticket (201), or return the ticket already issued for this key (200)."""
    status, ticket = submissions.submit(
        get_ctx(request), "ticket", body, device, idempotency_key, base_url(request)
    )
    response.status_code = status
    return ticket


@router.get("/queue/tickets/{ticket_id}", response_model=Ticket)
def ticket_status(ticket_id: str, request: Request) -> dict:
    """A ticket's live status (public: the id is an unguessable UUID, no personal data)."""
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return queue.get_ticket(conn, ticket_id, today=ctx.today(), base_url=base_url(request))


@router.get("/queue/appointments", response_model=AppointmentList)
def appointments_by_holder(
    request: Request,
    device: KioskDevice,
    holder: Annotated[
        str, Query(min_length=16, max_length=128, description="hall-keyed holder hash")
    ],
) -> dict:
    """Today's appointments of one holder, for check-in by ID card (kiosk; rate-limited like
    every personal-data lookup). An empty list is an answer, not an error."""
    limit_lookups(request, device)
    ctx = get_ctx(request)
    day = ctx.today()
    with ctx.database.read() as conn:
        return {
            "business_date": day,
            "appointments": queue.appointments_for_holder(conn, holder, day),
        }


@router.post("/queue/counters/{counter}/call-next", response_model=Ticket)
def call_next(
    counter: str,
    request: Request,
    device: CounterDevice,
    body: Annotated[CallNextRequest | None, Body()] = None,
) -> dict:
    """Call the next ticket to this counter (counter role). Without `services`, the counter
    serves the services whose `counters` list names it, or every service if none does."""
    ctx = get_ctx(request)
    with ctx.database.write() as conn:
        return queue.call_next(
            conn,
            ctx.database,
            counter=counter,
            services=body.services if body else None,
            now=ctx.now(),
            zone=ctx.zone,
            base_url=base_url(request),
        )
