"""POST /api/v1/queue/tickets by its fast lane (hall_server/api/fast_lane.py, issue 17): a
valid TicketRequest with a bearer token goes straight to issue_ticket, the route's own work;
about a fifth of the route's CPU on a closed loop."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from common.wire import API_PREFIX, TicketRequest
from hall_server.api.fast_lane import Headers, Lane
from hall_server.api.queue import issue_ticket
from hall_server.device_auth import DeviceToken


async def _issue(
    request: Request, body: TicketRequest, token: DeviceToken, headers: Headers
) -> Response:
    return await issue_ticket(request, body, token, headers.get(b"idempotency-key"))


def lanes() -> dict[tuple[str, str], Lane]:
    """For hot_routes.install: (method, path) → lane."""
    return {("POST", f"{API_PREFIX}/queue/tickets"): Lane(TicketRequest, _issue)}
