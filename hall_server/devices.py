"""Devices and their credentials: one-time enrolment codes, bearer tokens, revocation.

Codes and tokens are stored only as SHA-256 hashes, so a copy of the database lets nobody
enrol or act as a device. A code is 12 characters of Crockford base32 (60 bits), typed as
XXXX-XXXX-XXXX; case, dashes and spaces do not matter.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, or_, select, update

from common.errors import ENROLL_CODE_INVALID, NOT_FOUND, USAGE, KioskError
from hall_server.clock import iso_utc
from hall_server.db import Database
from hall_server.rawsql import Prepared
from hall_server.schema import devices, enroll_codes

log = logging.getLogger(__name__)

ROLES = ("kiosk", "counter", "admin")
DEVICE_TAG_SEQ = "device_tag"
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
# An enrolment code is for a device being set up now; a year is already generous, and a
# bound keeps `now + expires` from overflowing datetime (fuzzing found "3000000d" → 500).
MAX_EXPIRY = timedelta(days=365)


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    role: str
    tag: str | None = None
    install_id: str | None = None  # the installation this token is bound to, once seen


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def parse_duration(text: str) -> timedelta:
    """'24h', '30m', '7d', '90s' (a bare number is hours)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise KioskError(USAGE, f"expiry {text!r}: use a number with s, m, h or d, e.g. 24h")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "hours"}
    try:
        expires = timedelta(**{unit[match.group(2)]: int(match.group(1))})
    except OverflowError:
        expires = MAX_EXPIRY + MAX_EXPIRY  # beyond any bound: refused just below
    if expires > MAX_EXPIRY:
        raise KioskError(USAGE, f"expiry {text.strip()!r} is longer than {MAX_EXPIRY.days}d")
    return expires


def create_enroll_code(conn: Connection, *, role: str, expires: timedelta, now: datetime) -> dict:
    if role not in ROLES:
        raise KioskError(USAGE, f"role {role!r}: use one of {', '.join(ROLES)}")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    expires_at = now + expires
    conn.execute(
        enroll_codes.insert().values(
            code_hash=sha256_hex(raw), role=role, created_at=now, expires_at=expires_at
        )
    )
    log.info("enrolment code created for role %s, expires %s", role, expires_at.isoformat())
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    return {"code": code, "role": role, "expires_at": iso_utc(expires_at)}


def enroll(
    conn: Connection,
    database: Database,
    *,
    code: str,
    name: str,
    location: str | None,
    now: datetime,
    previous_token: str | None = None,
    install_id: str | None = None,
) -> tuple[Device, str]:
    """Spend a code (atomically: an UPDATE that only matches an unused, unexpired code) and
    create the device. Returns the device and its clear token (shown once, stored hashed).
    A kiosk that presents the token of the kiosk it replaces takes over its tag (and the
    old identity is revoked), so the offline numbers it printed stay its own."""
    code_hash = sha256_hex(normalize_code(code))
    row = conn.execute(
        select(enroll_codes.c.role).where(enroll_codes.c.code_hash == code_hash)
    ).first()
    device_id = str(uuid.uuid4())
    spent = conn.execute(
        update(enroll_codes)
        .where(
            enroll_codes.c.code_hash == code_hash,
            enroll_codes.c.used_at.is_(None),
            enroll_codes.c.expires_at > now,
        )
        .values(used_at=now, device_id=device_id)
    )
    if row is None or spent.rowcount != 1:
        raise KioskError(ENROLL_CODE_INVALID)
    token = secrets.token_urlsafe(32)
    tag = None
    if row.role == "kiosk":
        tag = _take_over_tag(conn, previous_token, now) if previous_token else None
        tag = tag or f"K{database.take_seqs(conn, DEVICE_TAG_SEQ, 1)[0]}"
    conn.execute(
        devices.insert().values(
            id=device_id,
            name=name,
            role=row.role,
            tag=tag,
            location=location,
            token_hash=sha256_hex(token),
            created_at=now,
            last_seen=now,
            install_id=install_id,
        )
    )
    log.info("device %s enrolled as %s", device_id, row.role)
    return Device(device_id, name, row.role, tag, install_id), token


def _take_over_tag(conn: Connection, previous_token: str, now: datetime) -> str | None:
    old = conn.execute(
        select(devices.c.id, devices.c.tag).where(
            devices.c.token_hash == sha256_hex(previous_token),
            devices.c.role == "kiosk",
            devices.c.tag.is_not(None),
        )
    ).first()
    if old is None:
        return None
    conn.execute(
        update(devices)
        .where(devices.c.id == old.id)
        .values(tag=None, revoked_at=func.coalesce(devices.c.revoked_at, now))
    )
    log.info("device %s replaced: its tag %s moves to the new enrolment", old.id, old.tag)
    return old.tag


_BY_TOKEN = Prepared(  # every authenticated request: on the DB-API cursor (issue 17)
    select(
        devices.c.id, devices.c.name, devices.c.role, devices.c.tag, devices.c.install_id
    ).where(devices.c.token_hash == bindparam("token_hash"), devices.c.revoked_at.is_(None))
)


def authenticate(conn: Connection, token: str) -> Device | None:
    row = _BY_TOKEN.first(conn, {"token_hash": sha256_hex(token)})
    return Device(*row) if row else None


def bind_install(conn: Connection, device: Device, install_id: str, now: datetime) -> bool:
    """Bind the token to the first installation that uses it. False for a second one (a
    cloned terminal), recorded for the fleet page: the caller commits, then refuses it
    (E-AUTH-05). Race-free: the binding is an UPDATE that only matches an unbound device."""
    if device.install_id is None:
        bound = conn.execute(
            update(devices)
            .where(devices.c.id == device.id, devices.c.install_id.is_(None))
            .values(install_id=install_id)
        )
        if bound.rowcount == 1:
            return True
        device = Device(device.id, device.name, device.role, device.tag, conn.execute(
            select(devices.c.install_id).where(devices.c.id == device.id)).scalar_one())
    if device.install_id == install_id:
        return True
    conn.execute(
        update(devices)
        .where(devices.c.id == device.id)
        .values(clone_install_id=install_id, clone_seen_at=now)
    )
    log.error("device %s (%s): its token is used by a second installation %s…: refused",
              device.id, device.name, install_id[:8])
    return False


def touch(conn: Connection, device_id: str, now: datetime) -> None:
    conn.execute(update(devices).where(devices.c.id == device_id).values(last_seen=now))


def _device_dict(row) -> dict:
    def iso(value: datetime | None) -> str | None:
        return iso_utc(value) if value else None

    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "tag": row.tag,
        "location": row.location,
        "created_at": iso(row.created_at),
        "last_seen": iso(row.last_seen),
        "revoked_at": iso(row.revoked_at),
        "clone_seen_at": iso(row.clone_seen_at),
    }


def list_devices(conn: Connection) -> list[dict]:
    rows = conn.execute(select(devices).order_by(devices.c.created_at, devices.c.name))
    return [_device_dict(r) for r in rows]


def revoke(conn: Connection, ident: str, now: datetime, *, by_name: bool = True) -> list[dict]:
    """Revoke by id, or (by_name) every active device of that name. Twice is harmless."""
    match = devices.c.id == ident
    if by_name:
        match = or_(match, (devices.c.name == ident) & devices.c.revoked_at.is_(None))
    rows = conn.execute(select(devices).where(match)).all()
    if not rows:
        raise KioskError(NOT_FOUND, "no such device")
    ids = [r.id for r in rows]
    conn.execute(
        update(devices)
        .where(devices.c.id.in_(ids), devices.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    log.info("revoked device(s) %s", ", ".join(ids))
    return [_device_dict(r) for r in conn.execute(select(devices).where(devices.c.id.in_(ids)))]
