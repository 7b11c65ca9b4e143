"""The hot routes found without walking the route table (issue 17).

Starlette matches a request against every route in order (in FastAPI 0.165 an included
router is one route whose match walks its own routes): the ticket route (POST
/api/v1/queue/tickets), a hall's busiest, came after the system and catalog routers.
`install` puts an exact (method, path) lookup in front of the router for the routes that have
a lane of their own; the route it maps to is the one the table itself picks for that request (found at start), so answers are
the same and the route table (and the OpenAPI document, made from it) keeps its order.
Anything else, and a hot path behind a root_path, goes through the router as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

Lane = Callable[[ASGIApp], ASGIApp]  # the route's handle → what to call instead
Hot = tuple[BaseRoute, ASGIApp, Scope]  # the route, what handles it, its match's child scope


class HotRoutes:
    """In front of the router's own stack (inside the app's exception handling)."""

    def __init__(self, app: ASGIApp, router: Router, routes: dict[tuple[str, str], Hot]) -> None:
        self.app = app
        self.router = router
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.routes.get((scope.get("method", ""), scope["path"]))
        if found is None or scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        # What Router.app does with the first full match. The match was made at start: for an
        # exact path without parameters it depends on nothing else (an included router's
        # matches walks its own routes: 2-3 % of a ticket).
        route, handle, child_scope = found
        scope.setdefault("router", self.router)
        scope["route"] = route
        scope.update({k: dict(v) if isinstance(v, dict) else v for k, v in child_scope.items()})
        await handle(scope, receive, send)


def _first_full(router: Router, method: str, path: str) -> tuple[BaseRoute, Scope] | None:
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in router.routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:  # an earlier partial match loses to it there too
            return route, child_scope
    return None


def install(app: FastAPI, lanes: dict[tuple[str, str], Lane]) -> None:
    """Call after every route is added. `lanes`: (method, path) → the route's own fast
    handling (ticket_lane, push_lane, housekeeping turns)."""
    router = app.router
    routes = {}
    for (method, path), lane in lanes.items():
        found = _first_full(router, method, path)
        if found is not None:
            route, child_scope = found
            routes[(method, path)] = (route, lane(route.handle), child_scope)
    router.middleware_stack = HotRoutes(router.middleware_stack, router, routes)
