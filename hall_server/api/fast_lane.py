"""A route's usual request answered without FastAPI's per-request machinery (issue 17).

The route itself stays what the OpenAPI document describes and what answers anything unusual.
A lane takes the usual request of a kiosk: a JSON body its model accepts, a bearer token and
at most one of each header it reads. It parses them as the route's dependencies do
(deps.bearer_token) and calls the route's own work; errors go to the same exception handlers
(the lane runs inside them). Any other request (no or another content type, no bearer token,
a body the model refuses, a repeated header, a client gone while sending), and one the lane's
handler hands back (None), goes to the route with the body replayed, so its answers and error
messages are the route's own. This skips dependency solving, the body's second decoding, the
Request objects of the security scheme and the worker-thread hops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hall_server.device_auth import DeviceToken

M = TypeVar("M", bound=BaseModel)
Headers = dict[bytes, str]
_READ = {b"content-type", b"authorization", b"idempotency-key", b"x-install-id"}


def _headers(scope: Scope) -> Headers | None:
    """The headers a lane reads, or None when one of them is repeated."""
    found: Headers = {}
    for name, value in scope["headers"]:
        if name in _READ:
            if name in found:
                return None
            found[name] = value.decode("latin-1")
    return found


def _token(headers: Headers) -> DeviceToken | None:
    """deps.bearer_token's reading (HTTPBearer, then the installation id)."""
    scheme, _, credentials = headers.get(b"authorization", "").partition(" ")
    credentials = credentials.strip()
    if not scheme or not credentials or scheme.lower() != "bearer":
        return None  # the route answers 401 E-AUTH-01
    return DeviceToken.of(credentials, headers.get(b"x-install-id"))


async def _read(receive: Receive) -> tuple[list[Message], bytes | None]:
    """Every message of the request body, and the body (None: the client went away)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class Lane(Generic[M]):
    """`model` parses the body; `handle(request, body, token, headers)` answers, or returns
    None to leave the request to the route (nothing sent yet)."""

    def __init__(
        self,
        model: type[M],
        handle: Callable[[Request, M, DeviceToken, Headers], Awaitable[Response | None]],
        accepts: Callable[[M], bool] = lambda body: True,
    ) -> None:
        self.model, self.handle, self.accepts = model, handle, accepts

    def body(self, headers: Headers, raw: bytes) -> M | None:
        content_type = headers.get(b"content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json" or not raw:
            return None
        try:
            body = self.model.model_validate_json(raw)
        except ValidationError:  # the route words the 422 (and tells bad JSON apart)
            return None
        return body if self.accepts(body) else None

    def __call__(self, route_app: ASGIApp) -> ASGIApp:
        """The route's ASGI app with the lane in front (route_app: the route's handle)."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            headers = _headers(scope)
            messages, raw = await _read(receive)
            token = _token(headers) if headers is not None else None
            ok = headers is not None and token is not None and raw is not None
            body = self.body(headers, raw) if ok else None  # type: ignore[arg-type]
            response = None
            if body is not None:
                response = await self.handle(Request(scope, receive), body, token, headers)
            if response is None:
                await route_app(scope, _replay(messages, receive), send)
                return
            await response(scope, receive, send)

        return app
