"""`kiosk serve --demo`: load the sample hall (common/defaults/demo/, fictional data) idempotently.

- catalog.jsonl → the catalog (a re-import of an unchanged file changes nothing);
- queue_services.toml → queue services;
- applications.jsonl → demo applications in every status, holder hashes computed from the
  fictional ID numbers with this hall's key; an application number already present is left
  as it is;
- appointments.toml → appointments booked for the hall's current business day (booked
  again for the new day when the server loads the demo on a later day); without that file,
  five generated ones, codes YY<yyyymmdd>01 … 05.
- a demo clerk (DEMO_CLERK, counters 01-03) for the counter page, unless that login exists.
A missing file is skipped with a warning; a bad application line is reported and skipped.
"""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from common.holder import holder_hash
from common.wire import APPLICATION_STATUSES
from hall_server.applications import insert_application
from hall_server.catalog import item_summary
from hall_server.clock import Clock, as_utc, business_date
from hall_server.db import Database
from hall_server.schema import applications, appointments, queue_services

log = logging.getLogger(__name__)

DEMO_APPOINTMENTS = 5
# Printed by `kiosk demo` / `kiosk serve --demo`: fictional data, never a real hall's password.
DEMO_CLERK = {
    "login": "demo",
    "password": "demo-1234",
    "name": "韩梅梅",
    "counters": ["01", "02", "03"],
}


def demo_dir_default() -> Path:
    from common.paths import config_dir

    return config_dir() / "demo"


def appointment_code(day: date, index: int) -> str:
    return f"YY{day:%Y%m%d}{index:02d}"


def _parse_time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
        return as_utc(parsed)
    return fallback


def _load_applications(
    database: Database, path: Path, hall_key: str, now: datetime, personal: Any
) -> tuple[dict, list[str]]:
    added, kept, bad = 0, 0, []
    holders: list[str] = []
    with path.open(encoding="utf-8-sig") as fh:
        lines = list(enumerate(fh, start=1))
    with database.write() as conn:
        existing = set(conn.execute(select(applications.c.number)).scalars())
        for number_line, raw in lines:
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                number, status = str(entry["number"]), str(entry["status"])
                if status not in APPLICATION_STATUSES:
                    raise ValueError(f"status {status!r}")
                id_number = entry.get("holder_id_number")
                holder = holder_hash(hall_key, id_number) if id_number else None
                if holder and holder not in holders:
                    holders.append(holder)
                if number in existing:
                    kept += 1
                    continue
                submitted = _parse_time(entry.get("submitted_at"), now)
                history = [
                    (str(h["status"]), _parse_time(h.get("at"), submitted), str(h.get("note", "")))
                    for h in entry.get("history") or []
                ] or [(status, submitted, "")]
                if any(s not in APPLICATION_STATUSES for s, _, _ in history):
                    raise ValueError("history has an unknown status")
                item = str(entry.get("item") or entry.get("form") or "")
                summary = item_summary(conn, item)
                promised = entry.get("promised_by")
                insert_application(
                    conn,
                    number=number,
                    form=str(entry.get("form") or item),
                    item=item,
                    item_title=(summary or {}).get("title", "") or str(entry.get("item_title", "")),
                    holder=holder,
                    fields=entry.get("fields") or {},
                    status=status,
                    submitted_at=submitted,
                    promised=date.fromisoformat(promised) if promised else None,
                    device_id=None,
                    history=history,
                    personal=personal,
                )
                existing.add(number)
                added += 1
            except (ValueError, KeyError, TypeError) as exc:  # report it, keep the rest
                bad.append(f"line {number_line}: {type(exc).__name__}: {exc}")
    for problem in bad:
        log.warning("demo application skipped, %s: %s", path.name, problem)
    return {"added": added, "kept": kept, "skipped": bad}, holders


def _book(
    conn: Connection,
    database: Database,
    *,
    code: str,
    service: str,
    day: date,
    holder: str | None,
    now: datetime,
) -> None:
    """Book an appointment for `day`; one booked on an earlier day is booked again (the demo
    file has no dates: its appointments are for whatever day the server loads them)."""
    stmt = database.insert(appointments).values(
        code=code,
        service=service,
        business_date=day,
        holder=holder,
        status="booked",
        created_at=now,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["code"],
            set_={
                "service": service,
                "business_date": day,
                "holder": holder,
                "status": "booked",
                "ticket_id": None,
                "created_at": now,
            },
            where=appointments.c.business_date != stmt.excluded.business_date,
        )
    )


def _appointments_from_file(path: Path, hall_key: str) -> list[tuple[str, str, str | None]]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    out = []
    for entry in data.get("appointment", []):
        id_number = entry.get("holder_id_number")
        holder = holder_hash(hall_key, id_number) if id_number else None
        out.append((str(entry["code"]), str(entry["service"]), holder))
    return out


def _seed_appointments(
    database: Database,
    zone: ZoneInfo,
    now: datetime,
    holders: list[str],
    booked: list[tuple[str, str, str | None]] | None,
) -> list[str]:
    """Appointments for today: the demo file's, else DEMO_APPOINTMENTS generated ones."""
    day = business_date(now, zone)
    with database.write() as conn:
        services = list(
            conn.execute(
                select(queue_services.c.code)
                .where(queue_services.c.open.is_(True))
                .order_by(queue_services.c.sort, queue_services.c.code)
            ).scalars()
        )
        if booked is None:
            if not services:
                return []
            booked = [
                (
                    appointment_code(day, i),
                    services[(i - 1) % len(services)],
                    holders[i - 1] if i - 1 < len(holders) else None,
                )
                for i in range(1, DEMO_APPOINTMENTS + 1)
            ]
        known = set(services)
        codes = []
        for code, service, holder in booked:
            if service not in known:
                log.warning("demo appointment %s: no open queue service %s, skipped", code, service)
                continue
            _book(conn, database, code=code, service=service, day=day, holder=holder, now=now)
            codes.append(code)
    return codes


def _demo_clerk(database: Database, now: datetime) -> dict:
    from hall_server import staff

    with database.write() as conn:
        if staff.select_row(conn, DEMO_CLERK["login"]) is None:
            staff.add_staff(conn, role="clerk", now=now, **DEMO_CLERK)
    return {k: v for k, v in DEMO_CLERK.items() if k != "name"}


def load_demo(
    database: Database,
    settings: Any,
    *,
    hall_key: str,
    clock: Clock | None = None,
    demo_dir: Path | None = None,
    personal: Any = None,
) -> dict:
    """Load the demo hall into a migrated database; safe to run again. Returns a summary.
    `personal` seals the demo forms' fields (default: the key file the settings name)."""
    from hall_server.catalog_import import import_catalog
    from hall_server.services_import import import_services

    clock = clock or Clock()
    folder = demo_dir or demo_dir_default()
    summary: dict[str, Any] = {"demo_dir": str(folder)}
    catalog_file = folder / "catalog.jsonl"
    services_file = folder / "queue_services.toml"
    apps_file = folder / "applications.jsonl"
    if catalog_file.is_file():
        summary["catalog"] = import_catalog(database, catalog_file, clock=clock)
    else:
        log.warning("demo: no %s, catalog not loaded", catalog_file)
    if services_file.is_file():
        summary["services"] = import_services(database, services_file, clock=clock)
    else:
        log.warning("demo: no %s, queue services not loaded", services_file)
    holders: list[str] = []
    if apps_file.is_file():
        if personal is None:
            from hall_server.personal import PersonalData, key_path

            personal = PersonalData(key_path(settings))
        summary["applications"], holders = _load_applications(
            database, apps_file, hall_key, clock.now(), personal
        )
    else:
        log.warning("demo: no %s, applications not loaded", apps_file)
    appts_file = folder / "appointments.toml"
    booked = _appointments_from_file(appts_file, hall_key) if appts_file.is_file() else None
    summary["appointments"] = _seed_appointments(
        database, ZoneInfo(settings.hall.timezone), clock.now(), holders, booked
    )
    summary["clerk"] = _demo_clerk(database, clock.now())
    log.info("demo hall loaded from %s", folder)
    return summary
