"""`kiosk admin import-services FILE`: queue services (取号业务) from TOML `[[service]]` tables.

Keys: code, name, name_en, prefix, category, daily_cap (0 or absent: no cap), open, counters
(the counters/窗口 that call it); unknown keys are ignored. Everything is validated first and
applied in one transaction. Services missing from the file are closed, not deleted: tickets
refer to them.
"""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, select, update

from common.errors import SERVICES_INVALID, KioskError
from hall_server.clock import Clock
from hall_server.db import Database
from hall_server.schema import queue_services

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


def read_services(path: Path) -> list[ServiceIn]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(SERVICES_INVALID, f"{path}: {exc}") from exc
    return parse_services(data)


def apply_services(
    conn: Connection, database: Database, services: list[ServiceIn], now: datetime
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
    result = {
        "services": len(services),
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
    services = parse_services(source) if isinstance(source, dict) else read_services(Path(source))
    now = (clock or Clock()).now()
    with database.write() as conn:
        return apply_services(conn, database, services, now)
