"""Fleet routes: the device's own record, the fleet view, remote configuration, the audit
log, and the `/admin/devices` page (HTTP Basic with an admin device token as the password,
or a bearer token)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import HTMLResponse

from common.errors import AUTH_MISSING
from common.wire import DeviceRecord, Fleet, RemoteConfig, RemoteConfigRequest
from hall_server import fleet, fleet_page, remote_config
from hall_server.api.deps import AdminDevice, AnyDevice, get_ctx
from hall_server.devices import authenticate, list_devices
from hall_server.openapi import errors

router = APIRouter(tags=["fleet"])
pages = APIRouter(tags=["fleet"])


@router.get("/devices/me", response_model=DeviceRecord)
def me(request: Request, device: AnyDevice) -> dict:
    """The calling device's own record: a cheap "is my token accepted?" for `kiosk doctor`."""
    with get_ctx(request).database.read() as conn:
        rows = [d for d in list_devices(conn) if d["id"] == device.id]
        return fleet.attach_heartbeats(conn, rows)[0]


@router.get("/fleet", response_model=Fleet)
def fleet_view(request: Request, _device: AdminDevice) -> dict:
    """Every device with its last heartbeat and flags: stale, faults, paper_out, call_staff."""
    ctx = get_ctx(request)
    now = ctx.now()
    with ctx.database.read() as conn:
        return {"devices": fleet.fleet_rows(conn, now), "now": now}


@router.get("/audit")
def audit(
    request: Request, _device: AdminDevice, device: str | None = None, limit: int = 100
) -> dict:
    """Technician actions reported by kiosks, newest first."""
    with get_ctx(request).database.read() as conn:
        return {
            "events": fleet.audit_entries(conn, device_id=device, limit=min(max(limit, 1), 1000))
        }


@router.get("/config", response_model=RemoteConfig)
def get_config(
    request: Request,
    response: Response,
    _device: AnyDevice,
    if_none_match: Annotated[str | None, Header()] = None,
) -> dict | Response:
    """The latest kiosk configuration layer; 304 when `If-None-Match` names it."""
    with get_ctx(request).database.read() as conn:
        current = remote_config.latest(conn)
    if if_none_match and current["etag"] in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": current["etag"]})
    response.headers["ETag"] = current["etag"]
    return current


@router.put("/config", response_model=RemoteConfig, status_code=201)
def put_config(body: RemoteConfigRequest, request: Request, device: AdminDevice) -> dict:
    """Store a new version (checked with the kiosk settings spec: 422 E-DOC-02 lists problems)."""
    ctx = get_ctx(request)
    with ctx.database.write() as conn:
        return remote_config.store(
            conn, body.config, now=ctx.now(), by=f"device:{device.name}", source=body.source
        )


def _token_from(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None  # any user name; the password is the token
    return None


def _challenge() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><meta charset='utf-8'><p>需要管理员凭证 · An admin device token is needed "
        "(user: anything, password: the token). See docs/deploy.md.</p>",
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="hall admin", charset="UTF-8"'},
    )


@pages.get("/admin/devices", response_class=HTMLResponse,
           responses=errors(AUTH_MISSING))  # the Basic challenge, as a page
def devices_page(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> HTMLResponse:
    ctx = get_ctx(request)
    token = _token_from(authorization)
    with ctx.database.read() as conn:
        device = authenticate(conn, token) if token else None
        if device is None or device.role != "admin":
            return _challenge()
        now = ctx.now()
        rows = fleet.fleet_rows(conn, now)
    missing = ctx.schedule.calendar.unknown_years(ctx.today(now))
    notices = [
        f"{', '.join(map(str, missing))} 年节假日未知，按周一至周五计算 · public holidays of "
        f"{', '.join(map(str, missing))} unknown, counting Monday–Friday: update chinese-calendar "
        "or fill holidays.toml"
    ] if missing else []
    return HTMLResponse(
        fleet_page.render(
            rows, hall=ctx.settings.hall.name, now=now.astimezone(ctx.zone), notices=notices
        )
    )
