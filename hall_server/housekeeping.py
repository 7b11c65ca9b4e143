"""Kiosk housekeeping requests take turns (issue 17).

Sync pushes (heartbeats, the outbox drain) and catalog polls are each kiosk's background
work; after a hall's power comes back, or when kiosks switched on together keep in step, 200
of them arrive within a second. Handled all at once they hold the event loop and the GIL for hundreds of
milliseconds, and every ticket that arrives meanwhile waits behind them. A server process
takes at most `server.housekeeping_concurrency` at a time; the others wait on the event loop
(costing nothing), and tickets and calls, which never wait here, pass between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary

from starlette.types import ASGIApp, Receive, Scope, Send

from hall_server.context import HallContext

_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


@asynccontextmanager
async def turn(ctx: HallContext) -> AsyncIterator[None]:
    """Wait for a free turn of this event loop, hold it for the block."""
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = asyncio.Semaphore(ctx.settings.server.housekeeping_concurrency)
    async with turns:
        yield


def taking_turns(route_app: ASGIApp) -> ASGIApp:
    """A route's ASGI app that takes its turn first (for hot_routes.install)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async with turn(scope["app"].state.ctx):
            await route_app(scope, receive, send)

    return app
