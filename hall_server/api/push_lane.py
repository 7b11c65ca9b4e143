"""POST /api/v1/sync/push of heartbeats only, by a fast lane (fast_lane.py, issue 17).

Every kiosk pushes a heartbeat a minute; after a hall's power comes back they all arrive
within a second. The route ran each in a worker thread (dependency solving, a read for the
token, then a wait for its group's commit): 3 ms of CPU each, and 200 threads' worth of GIL
hand-overs that tickets queued behind. The lane checks the token and stores the heartbeats in
one grouped write awaited on the event loop. Batches with any other kind, a new installation
id, a lost connection: the route, as before. Every push (the outbox drain is background work
too) first takes its turn with the other housekeeping requests (hall_server/housekeeping.py),
so tickets and calls pass between them.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from common.wire import API_PREFIX, SyncPushRequest
from hall_server import housekeeping
from hall_server.api.fast_lane import Headers, Lane
from hall_server.context import HallContext
from hall_server.device_auth import DeviceToken, NeedsBinding, token_device
from hall_server.devices import ROLES
from hall_server.fleet import store_all
from hall_server.submissions import log_push

ANY_ROLE = frozenset(ROLES)  # the route's AnyDevice


def _heartbeats_only(body: SyncPushRequest) -> bool:
    return bool(body.records) and all(r.kind == "heartbeat" for r in body.records)


def _stored(ctx: HallContext, conn: Connection, body: SyncPushRequest, token: DeviceToken) -> list:
    return store_all(ctx, conn, body.records, token_device(ctx, conn, token, ANY_ROLE))


async def _push(
    request: Request, body: SyncPushRequest, token: DeviceToken, headers: Headers
) -> Response | None:
    ctx: HallContext = request.app.state.ctx
    try:
        results = await ctx.database.transact_async(lambda conn: _stored(ctx, conn, body, token))
    except NeedsBinding:
        return None  # the route binds the installation (or refuses a clone)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return None  # the route's own write gets a fresh connection
    log_push(results)
    return JSONResponse({"results": results})


def lanes() -> dict[tuple[str, str], Lane]:
    """For hot_routes.install: (method, path) → lane."""
    lane = Lane(SyncPushRequest, _push, _heartbeats_only)

    def taking_turns(route: ASGIApp) -> ASGIApp:
        # The turn comes first: 200 bodies read and parsed at once were themselves a burst.
        return housekeeping.taking_turns(lane(route))

    return {("POST", f"{API_PREFIX}/sync/push"): taking_turns}
