"""Request dependencies: the hall context, the calling device and its role, the base URL."""

from __future__ import annotations

import functools
import logging
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from common.errors import AUTH_FORBIDDEN, AUTH_MISSING, RATE_LIMITED, KioskError
from hall_server.actor import Actor
from hall_server.api.staff_auth import current_staff, session_token, staff_actor
from hall_server.context import HallContext
from hall_server.device_auth import DeviceToken, bind_or_refuse, seen_due
from hall_server.devices import Device, authenticate, touch

log = logging.getLogger(__name__)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="device token",
    description="The token a device received from POST /api/v1/devices/enroll",
)


def get_ctx(request: Request) -> HallContext:
    return request.app.state.ctx


def current_device(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Device:
    token = _token_of(request, creds)
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        device = authenticate(conn, token.token)
    if device is None:
        raise KioskError(AUTH_MISSING)
    if token.install_id and token.install_id != device.install_id:
        bind_or_refuse(ctx, device, token.install_id)
    if seen_due(ctx, device.id):
        when = ctx.now()  # by group commit: 200 kiosks' first requests are one write
        ctx.database.transact(lambda conn: touch(conn, device.id, when))
    return device


def _token_of(request: Request, creds: HTTPAuthorizationCredentials | None) -> DeviceToken:
    if creds is None or not creds.credentials:
        raise KioskError(AUTH_MISSING, "no bearer token")
    return DeviceToken.of(creds.credentials, request.headers.get("x-install-id"))


async def bearer_token(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> DeviceToken:
    """The bearer token (401 E-AUTH-01 without one), not yet checked. Async: it runs on the
    event loop, not in a worker thread of its own."""
    return _token_of(request, creds)


def require(*roles: str):
    """A dependency admitting the given roles (admin is always admitted)."""
    allowed = frozenset(roles) | {"admin"}
    needs = " or ".join(sorted(allowed))

    def dependency(device: Annotated[Device, Depends(current_device)]) -> Device:
        if device.role not in allowed:
            raise KioskError(AUTH_FORBIDDEN, f"needs role {needs}")
        return device

    return dependency


def resolve_actor(
    request: Request, creds: HTTPAuthorizationCredentials | None, roles: frozenset[str]
) -> Actor:
    """Who performs a queue transition: a device token of one of `roles` (admin always) →
    Actor(kind="device", counters=None: every counter); without a token, a signed-in clerk
    (sign-in cookie, and the X-CSRF-Token header on state-changing requests) →
    Actor(kind="staff", counters=their counters); an expired sign-in 401 E-AUTH-07, a missing
    or forged CSRF token 403 E-AUTH-08. Neither token nor cookie: 401 E-AUTH-01."""
    if (creds is None or not creds.credentials) and session_token(request) is not None:
        session = current_staff(request)  # E-AUTH-07 expired / E-AUTH-08 CSRF
        return staff_actor(session)
    device = current_device(request, creds)
    allowed = roles | {"admin"}
    if device.role not in allowed:
        raise KioskError(AUTH_FORBIDDEN, f"needs role {' or '.join(sorted(allowed))}")
    return Actor(kind="device", id=device.id, role=device.role, name=device.name)


def counter_actor(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Actor:
    """Counter routes: a counter/admin device token, or a signed-in clerk."""
    return resolve_actor(request, creds, frozenset({"counter"}))


def queue_actor(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Actor:
    """Cancel and requeue: also a kiosk (its own tickets; a citizen scanning the slip), or a
    signed-in clerk."""
    return resolve_actor(request, creds, frozenset({"kiosk", "counter"}))


def manager_actor(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Actor:
    """Reports and 差评 follow-up: an admin device token, or a signed-in manager or admin."""
    actor = resolve_actor(request, creds, frozenset({"admin"}))
    if actor.kind == "staff" and actor.role not in ("manager", "admin"):
        raise KioskError(AUTH_FORBIDDEN, "needs a manager's sign-in")
    return actor


def limit_lookups(request: Request, device: Device) -> None:
    """Personal-data lookups per device per minute (server.lookup_rate_per_minute)."""
    wait = get_ctx(request).lookup_limit.hit(device.id)
    if wait is not None:
        raise KioskError(RATE_LIMITED, "lookups per minute exceeded", retry_after=wait)


def base_url(request: Request) -> str:
    """hall.public_url when set (what printed QR codes point to), else this request's URL."""
    public = get_ctx(request).settings.hall.public_url
    if public:
        return public.rstrip("/")
    scope = request.scope
    server = scope.get("server")
    return _own_base_url(
        scope.get("scheme", "http"),
        tuple(server) if server else None,
        request.headers.get("host"),
        scope.get("app_root_path", scope.get("root_path", "")),
    )


@functools.lru_cache(maxsize=256)
def _own_base_url(scheme: str, server: tuple | None, host: str | None, root_path: str) -> str:
    """Starlette's request.base_url from the parts it reads, made once per set of them: every
    ticket needs it and building URL objects cost 2-3 % of the ticket route (issue 17)."""
    headers = [(b"host", host.encode("latin-1"))] if host is not None else []
    scope = {
        "type": "http",
        "scheme": scheme,
        "server": server,
        "root_path": root_path,
        "path": "/",
        "query_string": b"",
        "headers": headers,
    }
    return str(Request(scope).base_url).rstrip("/")


def client_address(request: Request) -> str:
    """The peer, or the forwarded client when the peer is a trusted proxy (hall_server/proxies)."""
    peer = request.client.host if request.client else "unknown"
    return get_ctx(request).proxies.client(peer, request.headers.get("x-forwarded-for"))


# Parameter types the routes use (Annotated, so defaults stay plain).
AnyDevice = Annotated[Device, Depends(current_device)]
KioskDevice = Annotated[Device, Depends(require("kiosk"))]
KioskOrCounter = Annotated[Device, Depends(require("kiosk", "counter"))]
CounterDevice = Annotated[Device, Depends(require("counter"))]
AdminDevice = Annotated[Device, Depends(require("admin"))]
CounterActor = Annotated[Actor, Depends(counter_actor)]
QueueActor = Annotated[Actor, Depends(queue_actor)]
ManagerActor = Annotated[Actor, Depends(manager_actor)]
BearerToken = Annotated[DeviceToken, Depends(bearer_token)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="client-generated UUID, unique per device"),
]
TransitionKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="optional; client-generated UUID, unique per device or staff account: "
        "a retried transition with the same key replays the first reply",
    ),
]
