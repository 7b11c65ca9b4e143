"""Counter routes (窗口): the ticket lifecycle at a counter, the counter's state, the hall
overview. Every transition takes an optional Idempotency-Key (unique per device or staff
account): a retry with the same key replays the first reply instead of acting twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from sqlalchemy import Connection

from common.wire import (
    CallNextRequest,
    Counter,
    FinishRequest,
    QueueOverview,
    Ticket,
    TicketRef,
    TransferRequest,
)
from hall_server import idempotency, lifecycle
from hall_server.actor import Actor
from hall_server.api.deps import CounterActor, TransitionKey, base_url, get_ctx
from hall_server.context import HallContext

router = APIRouter(tags=["counters"])

CounterCode = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]


def hall_of(ctx: HallContext, request: Request) -> lifecycle.Hall:
    """Read inside the transaction, so "now" is taken after the write lock (event times
    then follow event ids)."""
    return lifecycle.Hall(
        now=ctx.now(),
        zone=ctx.zone,
        base_url=base_url(request),
        priority_run=ctx.settings.queue.priority_run,
    )


def transition(
    request: Request,
    actor: Actor,
    key: str | None,
    kind: str,
    payload: dict[str, Any],
    work: Callable[[Connection, lifecycle.Hall], dict],
) -> dict:
    """Run one transition in a write transaction, once per Idempotency-Key when one is sent."""
    ctx = get_ctx(request)
    if key is None:
        return ctx.database.transact(lambda conn: work(conn, hall_of(ctx, request)))
    _, reply = idempotency.run_once(
        ctx.database,
        device_id=actor.key_owner,
        key=idempotency.check_key(key),
        kind=kind,
        hashed=idempotency.data_hash(kind, payload),
        now=ctx.now,
        work=lambda conn: work(conn, hall_of(ctx, request)),
    )
    return reply


PREFIX = "/queue/counters/{counter}"


@router.post(f"{PREFIX}/call-next", response_model=Ticket)
def call_next(
    counter: CounterCode,
    request: Request,
    actor: CounterActor,
    key: TransitionKey = None,
    body: Annotated[CallNextRequest | None, Body()] = None,
) -> dict:
    """Call the next ticket to this counter by the priority rule. Without `services`, the
    counter serves the services whose `counters` list names it. Its previous ticket is
    finished first: serving → served, called → no_show (reason next_called)."""
    services = body.services if body else None
    ctx = get_ctx(request)
    return transition(
        request,
        actor,
        key,
        "q.call",
        {"counter": counter, "services": services},
        lambda conn, hall: lifecycle.call_next(
            conn, ctx.database, counter=counter, services=services, actor=actor, hall=hall
        ),
    )


def _simple(action: str, kind: str, summary: str) -> None:
    function = getattr(lifecycle, action)

    def route(
        counter: CounterCode, request: Request, actor: CounterActor, key: TransitionKey = None
    ) -> dict:
        return transition(
            request,
            actor,
            key,
            kind,
            {"counter": counter},
            lambda conn, hall: function(conn, counter=counter, actor=actor, hall=hall),
        )

    route.__doc__ = summary
    route.__name__ = f"counter_{action}"
    path = f"{PREFIX}/{action.replace('_', '-')}"
    router.add_api_route(path, route, methods=["POST"], response_model=Ticket, name=route.__name__)


_simple("recall", "q.recall", "Call the current ticket again (called → called, announced again).")
_simple("start", "q.start", "Start serving the current ticket (called → serving).")
_simple("no_show", "q.noshow", "The called citizen did not come (called → no_show, 过号).")
_simple("hold", "q.hold", "Park the current ticket at this counter (called/serving → held).")


@router.post(f"{PREFIX}/finish", response_model=Ticket)
def finish(
    counter: CounterCode,
    request: Request,
    actor: CounterActor,
    key: TransitionKey = None,
    body: Annotated[FinishRequest | None, Body()] = None,
) -> dict:
    """Finish the current ticket (serving → served), with an optional result code."""
    result = body.result if body else None
    return transition(
        request,
        actor,
        key,
        "q.finish",
        {"counter": counter, "result": result},
        lambda conn, hall: lifecycle.finish(
            conn, counter=counter, actor=actor, hall=hall, result=result
        ),
    )


@router.post(f"{PREFIX}/transfer", response_model=Ticket)
def transfer(
    counter: CounterCode,
    body: TransferRequest,
    request: Request,
    actor: CounterActor,
    key: TransitionKey = None,
) -> dict:
    """Move the current ticket (called/serving) to another service, where it waits by the
    priority rules at its original issue time; same id and number."""
    return transition(
        request,
        actor,
        key,
        "q.transfer",
        {"counter": counter, "service": body.service},
        lambda conn, hall: lifecycle.transfer(
            conn, counter=counter, target=body.service, actor=actor, hall=hall
        ),
    )


@router.post(f"{PREFIX}/resume", response_model=Ticket)
def resume(
    counter: CounterCode,
    body: TicketRef,
    request: Request,
    actor: CounterActor,
    key: TransitionKey = None,
) -> dict:
    """A ticket held at this counter becomes its current ticket again (held → called)."""
    return transition(
        request,
        actor,
        key,
        "q.resume",
        {"counter": counter, "ticket_id": body.ticket_id},
        lambda conn, hall: lifecycle.resume(
            conn, counter=counter, ticket_id=body.ticket_id, actor=actor, hall=hall
        ),
    )


@router.post(f"{PREFIX}/return", response_model=Ticket)
def return_to_queue(
    counter: CounterCode,
    body: TicketRef,
    request: Request,
    actor: CounterActor,
    key: TransitionKey = None,
) -> dict:
    """A ticket held at this counter waits again in its service, at its old place."""
    return transition(
        request,
        actor,
        key,
        "q.return",
        {"counter": counter, "ticket_id": body.ticket_id},
        lambda conn, hall: lifecycle.return_to_queue(
            conn, counter=counter, ticket_id=body.ticket_id, actor=actor, hall=hall
        ),
    )


def _state_route(action: str, state: str, summary: str) -> None:
    def route(
        counter: CounterCode, request: Request, actor: CounterActor, key: TransitionKey = None
    ) -> dict:
        return transition(
            request,
            actor,
            key,
            f"q.{action}",
            {"counter": counter},
            lambda conn, hall: lifecycle.set_state(
                conn, counter=counter, state=state, actor=actor, hall=hall
            ),
        )

    route.__doc__ = summary
    route.__name__ = f"counter_{action}"
    router.add_api_route(
        f"{PREFIX}/{action}", route, methods=["POST"], response_model=Counter, name=route.__name__
    )


_state_route("open", "open", "Open the counter (it calls tickets).")
_state_route("pause", "paused", "Pause the counter (a break; call-next opens it again).")
_state_route(
    "close",
    "closed",
    "Close the counter (needs no current ticket; held tickets go back to waiting).",
)


@router.get(PREFIX, response_model=Counter)
def counter_status(counter: CounterCode, request: Request, actor: CounterActor) -> dict:
    """The counter: state, current ticket, held tickets, waiting per service it serves."""
    actor.check_counter(counter)
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        return lifecycle.counter_view(conn, counter, hall_of(ctx, request))


@router.get("/queue/overview", response_model=QueueOverview)
def overview(request: Request) -> dict:
    """The hall at a glance (public: numbers only): waiting and longest wait per service,
    counters and their state."""
    ctx = get_ctx(request)
    hall = hall_of(ctx, request)
    with ctx.database.read() as conn:
        view = lifecycle.overview(conn, hall)
        for service in view["services"]:
            rate = ctx.estimator.rate(conn, service["service"], hall.today)
            service["estimated_wait_min"] = rate.minutes(service["waiting"])
            service["estimate_basis"] = rate.basis
    return view
