"""One person's data on the hall server, by holder hash (个人信息保护法: the rights to a copy
and to erasure): `kiosk admin person export|erase --holder HASH`. Both leave an audit record
(audit_log, actor "admin-cli", only the hash's first 8 characters). Erasure clears personal
data and the holder link; numbers, items, dates and statuses stay for the hall's reports.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from common.errors import USAGE, KioskError
from hall_server.clock import iso_utc
from hall_server.db import Database
from hall_server.personal import PersonalData
from hall_server.schema import (
    application_history,
    applications,
    appointments,
    holder_days,
    tickets,
)
from hall_server.schema_fleet import audit_log

log = logging.getLogger(__name__)

_HOLDER = re.compile(r"[0-9a-f]{64}")
AUDIT_DEVICE = "admin-cli"


def check_holder(holder: str) -> str:
    holder = holder.strip().lower()
    if not _HOLDER.fullmatch(holder):
        raise KioskError(USAGE, "--holder takes a holder hash: 64 hex characters")
    return holder


def _iso(value: Any) -> str | None:
    return iso_utc(value) if value else None


def export_person(database: Database, personal: PersonalData, holder: str, *,
                  now: datetime) -> dict[str, Any]:
    holder = check_holder(holder)
    with database.write() as conn:
        apps = []
        for row in conn.execute(select(applications).where(applications.c.holder == holder)):
            history = conn.execute(
                select(application_history).where(application_history.c.number == row.number)
                .order_by(application_history.c.at)
            )
            apps.append({
                "number": row.number, "form": row.form, "item": row.item,
                "item_title": row.item_title, "status": row.status,
                "submitted_at": _iso(row.submitted_at), "updated_at": _iso(row.updated_at),
                "fields": personal.open(row.fields, row.number),
                "history": [{"status": h.status, "at": _iso(h.at), "note": h.note}
                            for h in history],
            })
        found = {
            "holder": holder,
            "applications": apps,
            "tickets": [
                {"number": t.number, "service": t.service,
                 "business_date": t.business_date.isoformat(), "status": t.status,
                 "issued_at": _iso(t.issued_at)}
                for t in conn.execute(select(tickets).where(tickets.c.holder == holder))
            ],
            "appointments": [
                {"code": a.code, "service": a.service,
                 "business_date": a.business_date.isoformat(), "status": a.status}
                for a in conn.execute(select(appointments).where(appointments.c.holder == holder))
            ],
        }
        _audit(conn, "person-export", holder, now, {
            k: len(found[k]) for k in ("applications", "tickets", "appointments")})
    return found


def erase_person(database: Database, holder: str, *, now: datetime) -> dict[str, int]:
    holder = check_holder(holder)
    with database.write() as conn:
        counts = {
            "applications": conn.execute(
                update(applications).where(applications.c.holder == holder)
                .values(fields="", holder=None)).rowcount,
            "tickets": conn.execute(
                update(tickets).where(tickets.c.holder == holder).values(holder=None)).rowcount,
            "appointments": conn.execute(
                update(appointments).where(appointments.c.holder == holder)
                .values(holder=None)).rowcount,
            "holder_days": conn.execute(
                delete(holder_days).where(holder_days.c.holder == holder)).rowcount,
        }
        _audit(conn, "person-erase", holder, now, counts)
    log.info("person %s… erased: %s", holder[:8], counts)
    return counts


def _audit(conn: Connection, action: str, holder: str, now: datetime, detail: dict) -> None:
    conn.execute(audit_log.insert().values(
        device_id=AUDIT_DEVICE, key=str(uuid.uuid4()), at=now, action=action, actor="admin",
        outcome="ok", detail=json.dumps({"holder": holder[:8] + "…", **detail}),
        received_at=now))
