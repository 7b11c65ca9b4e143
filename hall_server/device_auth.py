"""A device's token checked inside the request's own write transaction (issue 17: one
connection and one worker-thread hop per ticket), and the two side duties of
authentication: binding the token to its installation, and writing last_seen now and then."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, select

from common.errors import AUTH_FORBIDDEN, AUTH_MISSING, DEVICE_CLONED, KioskError
from hall_server.context import HallContext
from hall_server.devices import Device, authenticate, bind_install, sha256_hex, touch
from hall_server.idempotency import KeyRow
from hall_server.rawsql import Prepared
from hall_server.schema import devices, idempotency

SEEN_EVERY = 60.0  # seconds between last_seen writes per device (keeps reads write-free)


@dataclass(frozen=True)
class DeviceToken:
    """A request's bearer token and installation id, checked later in its own transaction
    (hall_server.submissions.submit_with_token: one connection per request, issue 17)."""

    token: str
    install_id: str | None

    @classmethod
    def of(cls, credentials: str, install_id: str | None) -> DeviceToken:
        """From the bearer credentials and the X-Install-Id header (kept to its column's 64)."""
        return cls(credentials, install_id[:64] if install_id else None)


class NeedsBinding(Exception):  # noqa: N818 (a signal, not an error)
    """The token came from an installation it is not bound to yet (or a clone)."""

    def __init__(self, device: Device) -> None:
        super().__init__(device.id)
        self.device = device


def token_device(
    ctx: HallContext, conn: Connection, token: DeviceToken, roles: frozenset[str]
) -> Device:
    """The token's device, read in the caller's transaction: a token revoked before it began
    is refused. Raises NeedsBinding when the installation id is new (caller binds, retries)."""
    return _admitted(ctx, conn, token, roles, authenticate(conn, token.token))


# The token's device and its key's row in one statement: a round trip less a request on
# PostgreSQL, where the group-commit thread runs its writes one round trip at a time (issue 17).
_BY_TOKEN_WITH_KEY = Prepared(
    select(
        devices.c.id, devices.c.name, devices.c.role, devices.c.tag, devices.c.install_id,
        idempotency.c.pk, idempotency.c.kind, idempotency.c.body_hash, idempotency.c.response,
    )
    .select_from(devices.outerjoin(idempotency, and_(
        idempotency.c.device_id == devices.c.id, idempotency.c.key == bindparam("key")
    )))
    .where(devices.c.token_hash == bindparam("token_hash"), devices.c.revoked_at.is_(None))
)


def token_device_and_key(
    ctx: HallContext, conn: Connection, token: DeviceToken, roles: frozenset[str], key: str
) -> tuple[Device, KeyRow | None]:
    """token_device, and the row of the device's Idempotency-Key (None: not used yet)."""
    row = _BY_TOKEN_WITH_KEY.first(conn, {"token_hash": sha256_hex(token.token), "key": key})
    device = _admitted(ctx, conn, token, roles, None if row is None else Device(*row[:5]))
    return device, None if row[5] is None else KeyRow(*row[5:])


def _admitted(
    ctx: HallContext,
    conn: Connection,
    token: DeviceToken,
    roles: frozenset[str],
    device: Device | None,
) -> Device:
    if device is None:
        raise KioskError(AUTH_MISSING)
    if token.install_id and token.install_id != device.install_id:
        raise NeedsBinding(device)
    allowed = roles | {"admin"}
    if device.role not in allowed:
        raise KioskError(AUTH_FORBIDDEN, f"needs role {' or '.join(sorted(allowed))}")
    if seen_due(ctx, device.id):
        touch(conn, device.id, ctx.now())  # in this write: no separate one
    return device


def bind_or_refuse(ctx: HallContext, device: Device, install_id: str) -> None:
    """First sight of an installation binds the token to it; another one is a cloned
    terminal: recorded (committed), then refused."""
    with ctx.database.write() as conn:
        bound = bind_install(conn, device, install_id, ctx.now())
    if not bound:
        raise KioskError(DEVICE_CLONED, "the token is bound to another installation")


def seen_due(ctx: HallContext, device_id: str) -> bool:
    """Time to write the device's last_seen (every SEEN_EVERY s, keeps reads write-free)."""
    now = time.monotonic()
    seen = ctx.last_seen_written
    if now - seen.get(device_id, -SEEN_EVERY) < SEEN_EVERY:
        return False
    seen[device_id] = now
    return True
