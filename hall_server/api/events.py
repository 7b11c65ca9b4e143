"""`GET /api/v1/events`: ticket events as Server-Sent Events (text/event-stream).

Each message is `id: <event id>`, `event: ticket`, `data: <JSON>` (hall_server.live.payload:
numbers, services and counters only). Filters: area, counter, service (matches the service
or a transfer's target). A reconnect sends `Last-Event-ID` (browsers do it by themselves) or
`?last_event_id=`: the stream replays every event after it from the table, then goes live,
so a reconnect misses nothing. Without either it starts with the next event. A comment line
every `queue.events_keepalive_s` seconds keeps proxies and idle timeouts from closing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from common.errors import VALIDATION, KioskError
from hall_server.api.deps import get_ctx
from hall_server.live import EventHub, Frame, sse_message

router = APIRouter(tags=["events"])

RETRY_MS = 2000  # what the browser waits before reconnecting

# Adds fields to each event for this stream (None: the public stream). The staff sign-in
# sets a hook for signed-in clerks that adds masked names (common.redact), e.g.
# `stream_hook = lambda request: add_masked_names if clerk_of(request) else None`.
PayloadHook = Callable[[dict], dict]
stream_hook: Callable[[Request], PayloadHook | None] = lambda _request: None  # noqa: E731


def _matches(event: dict, area: str | None, counter: str | None, service: str | None) -> bool:
    if area is not None and event["area"] != area:
        return False
    if counter is not None and event["counter"] != counter:
        return False
    return service is None or service in (event["service"], event["target_service"])


def _chunk(
    batch: list[Frame],
    area: str | None,
    counter: str | None,
    service: str | None,
    hook: PayloadHook | None,
) -> str:
    """The messages of a batch for this stream, in one chunk (one write, not one per event).
    The public stream sends the hub's ready-made message; a hook's stream re-encodes."""
    parts = []
    for item in batch:
        if _matches(item.event, area, counter, service):
            parts.append(item.message if hook is None else sse_message(hook(dict(item.event))))
    return "".join(parts)


def _resume_point(header: str | None, query: int | None) -> int | None:
    if header is not None and header.strip():
        try:
            value = int(header.strip())
        except ValueError:
            raise KioskError(VALIDATION, "Last-Event-ID must be an event id") from None
        if value < 0:
            raise KioskError(VALIDATION, "Last-Event-ID must be an event id")
        return value
    return query


async def _stream(
    hub: EventHub,
    cursor: int,
    *,
    area: str | None,
    counter: str | None,
    service: str | None,
    hook: PayloadHook | None,
    keepalive: float,
) -> AsyncIterator[str]:
    sub = hub.subscribe(asyncio.get_running_loop())
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        while not hub.closed:
            sub.event.clear()  # before looking, so a wake-up in between is not lost
            batch = hub.since(cursor)
            if batch is None:
                batch = await run_in_threadpool(hub.read, cursor)
            if batch:
                cursor = batch[-1].id
                # calls carry their spoken audio (hall_server.voice, the display): live.frame
                chunk = _chunk(batch, area, counter, service, hook)
                if chunk:
                    yield chunk
                continue
            try:
                await asyncio.wait_for(sub.event.wait(), keepalive)
            except TimeoutError:
                yield ": keep-alive\n\n"
    finally:
        hub.unsubscribe(sub)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "ticket events"}},
)
async def events(
    request: Request,
    area: Annotated[str | None, Query(max_length=64)] = None,
    counter: Annotated[str | None, Query(max_length=32)] = None,
    service: Annotated[str | None, Query(max_length=32)] = None,
    last_event_id: Annotated[int | None, Query(ge=0, description="resume after this id")] = None,
    last_event_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Ticket events, live (Server-Sent Events); public: numbers, services, counters only."""
    ctx = get_ctx(request)
    background = ctx.background
    background.start()  # started with the server; this covers an app served another way
    hub = background.hub
    cursor = _resume_point(last_event_header, last_event_id)
    if cursor is None:
        cursor = await run_in_threadpool(_current_last, hub)
    return StreamingResponse(
        _stream(
            hub,
            cursor,
            area=area,
            counter=counter,
            service=service,
            hook=stream_hook(request),
            keepalive=ctx.settings.queue.events_keepalive_s,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _current_last(hub: EventHub) -> int:
    from hall_server import eventlog

    with hub.database.read() as conn:
        return eventlog.last_id(conn)
