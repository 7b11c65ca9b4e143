"""Queue routes: services, tickets, the public ticket status, cancel and requeue (the
counter routes are hall_server.api.counters)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from common.wire import AppointmentList, CancelRequest, QueueServices, Ticket, TicketRequest
from hall_server import estimate, lifecycle, queue, submissions
from hall_server.api.counters import transition
from hall_server.api.deps import (
    BearerToken,
    IdempotencyKey,
    KioskDevice,
    QueueActor,
    TransitionKey,
    base_url,
    get_ctx,
    limit_lookups,
)
from hall_server.device_auth import DeviceToken

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
async def take_ticket(
    body: TicketRequest,
    request: Request,
    token: BearerToken,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Issue a ticket (201), or return the ticket already issued for this key (200)."""
    return await issue_ticket(request, body, token, idempotency_key)


async def issue_ticket(
    request: Request, body: TicketRequest, token: DeviceToken, idempotency_key: str | None
) -> Response:
    """take_ticket's work; hall_server/api/ticket_lane.py calls it for the usual request."""
    # The hot path of a hall (issue 17): token, key and ticket in one write transaction,
    # grouped with others and awaited on the event loop; the reply serialised once.
    status, ticket = await submissions.submit_with_token_async(
        get_ctx(request),
        "ticket",
        body,
        token,
        idempotency_key,
        base_url(request),
    )
    return Response(
        Ticket.model_validate(ticket).model_dump_json(),
        status_code=status,
        media_type="application/json",
    )


@router.get("/queue/tickets/{ticket_id}", response_model=Ticket)
def ticket_status(ticket_id: str, request: Request) -> dict:
    """A ticket's live status (public: the id is an unguessable UUID, no personal data)."""
    return estimate.ticket_status(get_ctx(request), ticket_id, base_url(request))


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


@router.post("/queue/tickets/{ticket_id}/cancel", response_model=Ticket)
def cancel_ticket(
    ticket_id: str,
    request: Request,
    actor: QueueActor,
    key: TransitionKey = None,
    body: Annotated[CancelRequest | None, Body()] = None,
) -> dict:
    """Void a ticket (any open state, or no_show → cancelled): the kiosk that issued it,
    a counter or an admin."""
    reason = body.reason if body else None
    return transition(
        request,
        actor,
        key,
        "q.cancel",
        {"ticket_id": ticket_id, "reason": reason},
        lambda conn, hall: lifecycle.cancel(
            conn, ticket_id=ticket_id, actor=actor, hall=hall, reason=reason
        ),
    )


@router.post("/queue/tickets/{ticket_id}/requeue", response_model=Ticket)
def requeue_ticket(
    ticket_id: str, request: Request, actor: QueueActor, key: TransitionKey = None
) -> dict:
    """过号: a no-show waits again, `requeue_behind` places behind the head of its service
    (a counter, or a kiosk when the citizen scans the slip). Once only: 409 E-QUE-17 after."""
    return transition(
        request,
        actor,
        key,
        "q.requeue",
        {"ticket_id": ticket_id},
        lambda conn, hall: lifecycle.requeue(conn, ticket_id=ticket_id, actor=actor, hall=hall),
    )
