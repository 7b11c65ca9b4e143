"""Fleet health on the hall server: the latest heartbeat per device, the technicians' audit
log, and the fleet view (`GET /api/v1/fleet`, `/admin/devices`, `kiosk admin devices`).

Heartbeats and audit events arrive through `POST /sync/push` like every outbox record, but
skip the Idempotency-Key table: each is idempotent by its own table (a heartbeat only
replaces an older one; an audit event is unique per device and key), and a heartbeat a
minute per kiosk would otherwise grow that table without end.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from common.errors import VALIDATION, KioskError
from common.wire import AuditEvent, Heartbeat, SyncRecord
from hall_server.clock import as_utc, iso_utc
from hall_server.context import HallContext
from hall_server.devices import Device, list_devices
from hall_server.kiosk_usage import store_usage
from hall_server.rawsql import Prepared
from hall_server.schema import applications
from hall_server.schema_fleet import audit_log, device_heartbeats

log = logging.getLogger(__name__)

STALE_AFTER_MIN = timedelta(minutes=3)  # …or three heartbeat intervals, whichever is longer
CALL_STAFF_WINDOW = timedelta(minutes=30)  # a call-staff request shows this long
PAPER_OUT = "E-PRN-02"

M = TypeVar("M", bound=BaseModel)
Direct = Callable[[HallContext, Connection, SyncRecord, Device], dict]


def _result(record: SyncRecord, status: int, body: dict) -> dict:
    return {"key": record.key, "status": status, "body": body}


def _parse(record: SyncRecord, model: type[M]) -> tuple[M | None, dict | None]:
    """(model, None), or (None, the record's 422 result)."""
    try:
        return model.model_validate(record.body), None
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        err = KioskError(VALIDATION, detail)
        return None, _result(record, err.error.http_status, err.to_json())


def store_heartbeat(ctx: HallContext, conn: Connection, record: SyncRecord, device: Device) -> dict:
    hb, refused = _parse(record, Heartbeat)
    if hb is None:
        return refused  # type: ignore[return-value]
    sent_at = as_utc(hb.sent_at)
    usage = store_usage(ctx, conn, device.id, hb.usage)  # even from a replayed heartbeat
    values = {
        "sent_at": sent_at,
        "received_at": ctx.now(),
        "status": hb.status,
        "version": hb.version,
        "data": hb.model_dump_json(),
    }
    stored = _store_newer(conn.dialect.name).first(conn, {"device_id": device.id, **values})
    if stored is None:  # a replay or an older one that arrived late: the newer state stays
        return _result(record, 200, {"stored": False, "sent_at": iso_utc(sent_at), **usage})
    return _result(record, 201, {"stored": True, "sent_at": iso_utc(sent_at), **usage})


@functools.cache
def _store_newer(dialect: str) -> Prepared:
    """One statement (no savepoint, no read first): insert the device's heartbeat, or replace
    one sent before it; a row back only when it was stored. Run on the cursor (rawsql): a
    hall's kiosks all beat within a second after its power comes back (issue 17)."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    hb = device_heartbeats.c
    stmt = insert(device_heartbeats).values({c.name: bindparam(c.name) for c in hb})
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=[hb.device_id],
            set_={c.name: stmt.excluded[c.name] for c in hb if c.name != "device_id"},
            where=hb.sent_at < stmt.excluded.sent_at,
        ).returning(hb.device_id)
    )


def store_heartbeats(
    ctx: HallContext, records: list[SyncRecord], device: Device
) -> list[dict]:
    """Heartbeat records of one push, written by group commit with other kiosks' heartbeats
    (Database.transact): a burst of 200 is one transaction, not 200 in the ticket line."""
    return ctx.database.transact(lambda conn: store_all(ctx, conn, records, device))


def store_all(
    ctx: HallContext, conn: Connection, records: list[SyncRecord], device: Device
) -> list[dict]:
    """Heartbeat records of one push, in the caller's write (their results in order)."""
    return [store_heartbeat(ctx, conn, record, device) for record in records]


def store_audit(ctx: HallContext, conn: Connection, record: SyncRecord, device: Device) -> dict:
    ev, refused = _parse(record, AuditEvent)
    if ev is None:
        return refused  # type: ignore[return-value]
    stmt = (
        ctx.database.insert(audit_log)
        .values(
            device_id=device.id,
            key=record.key,
            at=as_utc(ev.at),
            action=ev.action,
            actor=ev.actor,
            outcome=ev.outcome,
            detail=json.dumps(ev.detail, ensure_ascii=False, default=str),
            received_at=ctx.now(),
        )
        .on_conflict_do_nothing(index_elements=["device_id", "key"])
        .returning(audit_log.c.pk)  # a row back only when inserted (rowcount is not portable)
    )
    with conn.begin_nested():
        inserted = conn.execute(stmt).first() is not None
    return _result(record, 201 if inserted else 200, {"stored": inserted})


# Used by hall_server/submissions.py before its Idempotency-Key path.
TELEMETRY_KINDS: dict[str, Direct] = {"heartbeat": store_heartbeat, "audit": store_audit}


# --- the fleet view ----------------------------------------------------------------------------
CLOCK_WARN_S = 60.0  # a kiosk clock further off than this is shown (tickets use hall time)


def _flags(beat: dict[str, Any]) -> tuple[list[str], list[str], bool]:
    faults, warnings, paper_out = [], [], False
    for dev in beat.get("devices", []):
        label = f"{dev.get('family')}: {dev.get('message') or dev.get('status_name')}"
        if dev.get("code"):
            label += f" ({dev['code']})"
        if dev.get("code") == PAPER_OUT:
            paper_out = True
        if dev.get("status") == 2:
            faults.append(label)
        elif dev.get("status") in (-1, 1):
            warnings.append(label)
    outbox = beat.get("outbox") or {}
    if outbox.get("paused"):
        faults.append(f"outbox paused ({outbox['paused']}): re-enrol the kiosk")
    if outbox.get("refused"):
        warnings.append(f"{outbox['refused']} outbox record(s) refused")
    skew = beat.get("clock_skew_s")
    if isinstance(skew, int | float) and abs(skew) > CLOCK_WARN_S:
        warnings.append(f"clock off by {skew:+.0f} s from the hall server: set it (NTP)")
    if beat.get("config_rejected"):
        warnings.append(f"remote config rejected: {beat['config_rejected']}")
    return faults, warnings, paper_out


def fleet_rows(conn: Connection, now: datetime) -> list[dict]:
    """Every device with its last heartbeat and what a hall manager must act on."""
    beats = {r.device_id: r for r in conn.execute(select(device_heartbeats))}
    unreceipted = _unreceipted(conn)
    rows = []
    for dev in list_devices(conn):
        row = {
            **dev,  # every column `kiosk admin devices` showed before, plus the fleet's
            "heartbeat_at": None,
            "heartbeat": None,
            "stale": dev["role"] == "kiosk" and dev["revoked_at"] is None,
            "paper_out": False,
            "faults": [],
            "warnings": [],
            "call_staff": [],
        }
        if dev.get("clone_seen_at") and dev["revoked_at"] is None:
            row["faults"] = [f"its token was used by a second installation at "
                             f"{dev['clone_seen_at']} (a cloned terminal): re-enrol both"]
        beat_row = beats.get(dev["id"])
        if beat_row is not None:
            beat = json.loads(beat_row.data)
            received = as_utc(beat_row.received_at)
            interval = float(beat.get("interval_s") or 60.0)
            stale_after = max(STALE_AFTER_MIN, timedelta(seconds=3 * interval))
            faults, warnings, paper_out = _flags(beat)
            faults = row["faults"] + faults
            row.update(
                heartbeat_at=iso_utc(received),
                heartbeat=beat,
                stale=dev["revoked_at"] is None and now - received > stale_after,
                paper_out=paper_out,
                faults=faults,
                warnings=warnings,
                call_staff=[
                    c
                    for c in beat.get("call_staff", [])
                    if now - as_utc(datetime.fromisoformat(c["at"])) <= CALL_STAFF_WINDOW
                ],
            )
        if unreceipted.get(dev["id"]):
            row["warnings"] = [*row["warnings"], f"{unreceipted[dev['id']]} application(s) filed "
                               "without a receipt shown (see receipt_missing): follow them up"]
        rows.append(row)
    return rows


def _unreceipted(conn: Connection) -> dict[str, int]:
    """Per kiosk: applications it filed but never showed a receipt for (issue 15)."""
    return dict(conn.execute(
        select(applications.c.device_id, func.count())
        .where(applications.c.receipt_missing_at.is_not(None))
        .group_by(applications.c.device_id)).all())


def attach_heartbeats(conn: Connection, devices_: list[dict]) -> list[dict]:
    """`GET /devices` rows plus `heartbeat_at` and `heartbeat`."""
    beats = {
        r.device_id: r
        for r in conn.execute(
            select(
                device_heartbeats.c.device_id,
                device_heartbeats.c.received_at,
                device_heartbeats.c.data,
            )
        )
    }
    out = []
    for dev in devices_:
        beat = beats.get(dev["id"])
        out.append(
            {
                **dev,
                "heartbeat_at": iso_utc(beat.received_at) if beat else None,
                "heartbeat": json.loads(beat.data) if beat else None,
            }
        )
    return out


def audit_entries(
    conn: Connection, *, device_id: str | None = None, limit: int = 100
) -> list[dict]:
    stmt = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.pk.desc()).limit(limit)
    if device_id:
        stmt = stmt.where(audit_log.c.device_id == device_id)
    return [
        {
            "device_id": r.device_id,
            "key": r.key,
            "at": iso_utc(r.at),
            "action": r.action,
            "actor": r.actor,
            "outcome": r.outcome,
            "detail": json.loads(r.detail),
            "received_at": iso_utc(r.received_at),
        }
        for r in conn.execute(stmt)
    ]


# --- administration (kiosk admin devices / audit) ----------------------------------------------
def list_fleet(settings: Any, *, data_dir: Any = None, db_url: str | None = None) -> list[dict]:
    from datetime import UTC

    from hall_server.admin import database_for

    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return fleet_rows(conn, datetime.now(UTC))


def list_audit(
    settings: Any,
    *,
    device: str | None = None,
    limit: int = 100,
    data_dir: Any = None,
    db_url: str | None = None,
) -> list[dict]:
    from hall_server.admin import database_for

    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return audit_entries(conn, device_id=device, limit=limit)


def issue_token(
    settings: Any,
    *,
    name: str,
    role: str = "admin",
    data_dir: Any = None,
    db_url: str | None = None,
) -> dict:
    """Enrol a device in one step on the server itself (a code made and spent in one
    transaction) and return its token: how an administrator gets a login for
    /admin/devices without a kiosk."""
    from datetime import UTC

    from hall_server.admin import database_for
    from hall_server.devices import create_enroll_code, enroll

    now = datetime.now(UTC)
    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        code = create_enroll_code(conn, role=role, expires=timedelta(minutes=1), now=now)
        device, token = enroll(conn, database, code=code["code"], name=name, location=None, now=now)
    return {"device_id": device.id, "name": device.name, "role": device.role, "token": token}
