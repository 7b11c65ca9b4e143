"""Health, enrolment and device administration."""

from __future__ import annotations

from fastapi import APIRouter, Request

from common.errors import ENROLL_CODE_INVALID, ENROLL_CODE_LOCKED, VALIDATION, KioskError
from common.wire import (
    DeviceList,
    DeviceRecord,
    EnrollCode,
    EnrollCodeRequest,
    EnrollRequest,
    EnrollResponse,
    Health,
)
from hall_server import devices, fleet
from hall_server.api.deps import AdminDevice, client_address, get_ctx

router = APIRouter()


@router.get("/health", response_model=Health, tags=["system"])
def health(request: Request) -> dict:
    """Liveness and server time (aware UTC), so kiosks can detect clock skew."""
    ctx = get_ctx(request)
    return {
        "status": "ok",
        "version": ctx.version,
        "hall": ctx.settings.hall.name,
        "time": ctx.now(),
        "timezone": ctx.settings.hall.timezone,
    }


@router.post("/devices/enroll", response_model=EnrollResponse, status_code=201, tags=["devices"])
def enroll(body: EnrollRequest, request: Request) -> dict:
    """Spend a one-time code for a device token. Distinct wrong codes are counted per client
    address (X-Forwarded-For only from `server.trusted_proxies`); after
    `server.enroll_attempts` of them in 15 minutes the address gets 429 + Retry-After."""
    ctx = get_ctx(request)
    address = client_address(request)
    wait = ctx.enroll_failures.blocked_for(address)
    if wait is not None:
        raise KioskError(ENROLL_CODE_LOCKED, retry_after=wait)
    try:
        with ctx.database.write() as conn:
            device, token = devices.enroll(
                conn,
                ctx.database,
                code=body.code,
                name=body.name,
                location=body.location,
                now=ctx.now(),
                previous_token=body.previous_token,
                install_id=(request.headers.get("x-install-id") or "")[:64] or None,
            )
    except KioskError as exc:
        if exc.error is ENROLL_CODE_INVALID:
            ctx.record_enroll_failure(address, devices.sha256_hex(devices.normalize_code(body.code)))
        raise
    return {
        "device_id": device.id,
        "token": token,
        "role": device.role,
        "hall": ctx.settings.hall.name,
        "hall_key": ctx.hall_key if device.role == "kiosk" else None,
        "tag": device.tag,
    }


@router.post("/devices/enroll-codes", response_model=EnrollCode, status_code=201, tags=["devices"])
def new_enroll_code(body: EnrollCodeRequest, request: Request, _device: AdminDevice) -> dict:
    """A one-time enrolment code (admin role); the same as `kiosk admin enroll-code`."""
    ctx = get_ctx(request)
    try:
        expires = devices.parse_duration(body.expires)
    except KioskError as exc:  # over HTTP a bad field is a 422 like any other
        raise KioskError(VALIDATION, f"expires: {exc.detail}") from exc
    with ctx.database.write() as conn:
        return devices.create_enroll_code(conn, role=body.role, expires=expires, now=ctx.now())


@router.get("/devices", response_model=DeviceList, tags=["devices"])
def list_devices(request: Request, _device: AdminDevice) -> dict:
    with get_ctx(request).database.read() as conn:
        return {"devices": fleet.attach_heartbeats(conn, devices.list_devices(conn))}


@router.post("/devices/{device_id}/revoke", response_model=DeviceRecord, tags=["devices"])
def revoke(device_id: str, request: Request, _device: AdminDevice) -> dict:
    """Revoke a device by id: its token stops working at once."""
    ctx = get_ctx(request)
    with ctx.database.write() as conn:
        revoked = devices.revoke(conn, device_id, ctx.now(), by_name=False)
    return revoked[0]
