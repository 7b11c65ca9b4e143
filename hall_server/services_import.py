"""`kiosk admin import-services FILE`: queue services (取号业务) from TOML `[[service]]` tables.

Keys: code, name, name_en, prefix, category, daily_cap (0 or absent: no cap), open, counters
(the counters/窗口 that call it), requeue_behind (places behind the head a requeued no-show
goes back to, default 3); unknown keys are ignored. Optional `[[counter]]` tables describe
a counter: code, name, name_en, area (floor), services (the order of its services on the
counter page; each must name the counter in its `counters` list: those lists stay the source
of truth for who serves what). Every counter named anywhere becomes a known counter; one no
longer named is kept (old events name it) but refused by the counter routes. Everything is
validated first and applied in one transaction. Services missing from the file are closed,
not deleted: tickets refer to them.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select, true, update

from common.errors import SERVICES_INVALID, KioskError
from hall_server.clock import Clock
from hall_server.db import Database
from hall_server.schema import hall_counters, queue_services

log = logging.getLogger(__name__)


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=200)
    prefix: str = Field(min_length=1, max_length=4, pattern=r"^[A-Z]+$")
    category: str = Field(default="", max_length=100)
    daily_cap: int | None = Field(default=None, ge=0)
    open: bool = True
    counters: list[str] = Field(default_factory=list)
    requeue_behind: int = Field(default=3, ge=0, le=1000)


COUNTER_CODE = r"^[A-Za-z0-9._-]{1,32}$"


class CounterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(pattern=COUNTER_CODE)
    name: str = Field(default="", max_length=100)
    name_en: str = Field(default="", max_length=200)
    area: str = Field(default="", max_length=64)
    services: list[str] = Field(default_factory=list)


def parse_counters(data: dict[str, Any], services: list[ServiceIn]) -> list[CounterIn]:
    """Every counter the file names, in file order: the [[counter]] tables first, then the
    counters only the services' lists name (with default names)."""
    entries = data.get("counter", [])
    if not isinstance(entries, list):
        raise KioskError(SERVICES_INVALID, "counter must be an array of tables ([[counter]])")
    listed: dict[str, list[str]] = {}
    problems: list[str] = []
    for svc in services:
        for code in svc.counters:
            if not re.match(COUNTER_CODE, code):
                problems.append(f"service {svc.code}: counter {code!r} is not a valid code")
            listed.setdefault(code, []).append(svc.code)
    out: list[CounterIn] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        try:
            counter = CounterIn.model_validate(entry)
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            problems.append(f"counter #{index}: {detail}")
            continue
        if counter.code in seen:
            problems.append(f"counter #{index}: code {counter.code} repeats")
            continue
        strays = [s for s in counter.services if s not in listed.get(counter.code, [])]
        if strays:
            problems.append(
                f"counter {counter.code}: services {', '.join(strays)} do not list it in "
                "their `counters`"
            )
        seen.add(counter.code)
        # its services in the order given, then any other service that names it
        order = list(dict.fromkeys(counter.services + listed.get(counter.code, [])))
        out.append(counter.model_copy(update={"services": order}))
    for code, codes in listed.items():
        if code not in seen:
            seen.add(code)
            out.append(CounterIn(code=code, services=codes))
    if problems:
        raise KioskError(SERVICES_INVALID, "; ".join(problems))
    return out


def parse_services(data: dict[str, Any]) -> list[ServiceIn]:
    entries = data.get("service")
    if not isinstance(entries, list) or not entries:
        raise KioskError(SERVICES_INVALID, "no [[service]] tables")
    problems: list[str] = []
    services: list[ServiceIn] = []
    codes: dict[str, int] = {}
    prefixes: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        try:
            svc = ServiceIn.model_validate(entry)
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            problems.append(f"service #{index}: {detail}")
            continue
        if svc.code in codes:
            problems.append(f"service #{index}: code {svc.code} repeats service #{codes[svc.code]}")
        elif svc.prefix in prefixes:
            problems.append(
                f"service #{index}: prefix {svc.prefix} repeats service #{prefixes[svc.prefix]}"
            )
        else:
            codes[svc.code] = index
            prefixes[svc.prefix] = index
            services.append(svc)
    if problems:
        raise KioskError(SERVICES_INVALID, "; ".join(problems))
    return services


def read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(SERVICES_INVALID, f"{path}: {exc}") from exc


def read_services(path: Path) -> list[ServiceIn]:
    return parse_services(read_file(path))


def apply_counters(
    conn: Connection, database: Database, counters: list[CounterIn], now: datetime
) -> None:
    """Upsert the named counters (their state is kept), mark the others not configured."""
    for sort, counter in enumerate(counters):
        values = {
            "name": counter.name or f"{counter.code}号窗口",
            "name_en": counter.name_en or f"Counter {counter.code}",
            "area": counter.area,
            "services": json.dumps(counter.services),
            "configured": True,
            "sort": sort,
            "updated_at": now,
        }
        stmt = database.insert(hall_counters).values(code=counter.code, state="closed", **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=values))
    named = [c.code for c in counters]
    conn.execute(
        update(hall_counters)
        .where(hall_counters.c.code.not_in(named) if named else true())
        .values(configured=False, updated_at=now)
    )


def apply_services(
    conn: Connection,
    database: Database,
    services: list[ServiceIn],
    now: datetime,
    counters: list[CounterIn] | None = None,
) -> dict:
    existing = {
        r.code: r.prefix
        for r in conn.execute(select(queue_services.c.code, queue_services.c.prefix))
    }
    in_file = {s.code for s in services}
    held = {prefix: code for code, prefix in existing.items() if code not in in_file}
    clash = [
        f"prefix {s.prefix} is held by retired service {held[s.prefix]}"
        for s in services
        if s.prefix in held
    ]
    if clash:
        raise KioskError(SERVICES_INVALID, "; ".join(clash))
    # Prefixes may move between services in one file: park the old ones first.
    for i, code in enumerate(sorted(in_file & existing.keys())):
        conn.execute(
            update(queue_services).where(queue_services.c.code == code).values(prefix=f"~{i}")
        )
    for sort, svc in enumerate(services):
        values = {
            "name": svc.name,
            "name_en": svc.name_en,
            "prefix": svc.prefix,
            "category": svc.category,
            "daily_cap": svc.daily_cap or None,
            "open": svc.open,
            "counters": json.dumps(svc.counters),
            "requeue_behind": svc.requeue_behind,
            "sort": sort,
            "updated_at": now,
        }
        stmt = database.insert(queue_services).values(code=svc.code, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=values))
    retired = sorted(existing.keys() - in_file)
    if retired:
        conn.execute(
            update(queue_services)
            .where(queue_services.c.code.in_(retired))
            .values(open=False, updated_at=now)
        )
    if counters is None:
        counters = parse_counters({}, services)
    apply_counters(conn, database, counters, now)
    result = {
        "services": len(services),
        "counters": len(counters),
        "added": len(in_file - existing.keys()),
        "updated": len(in_file & existing.keys()),
        "closed": retired,
    }
    log.info("queue services imported: %s", result)
    return result


def import_services(
    database: Database, source: Path | str | dict[str, Any], *, clock: Clock | None = None
) -> dict:
    """Validate a services file (or its parsed TOML), then apply it in one transaction."""
    data = source if isinstance(source, dict) else read_file(Path(source))
    services = parse_services(data)
    counters = parse_counters(data, services)
    now = (clock or Clock()).now()
    with database.write() as conn:
        return apply_services(conn, database, services, now, counters)
