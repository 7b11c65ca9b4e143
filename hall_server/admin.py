"""Administration as plain functions: what `kiosk admin …` runs, usable in-process too.

Every function takes the settings plus `data_dir` / `db_url` (the same choice `kiosk serve`
makes), brings the schema up to date first (so a fresh data dir just works), and closes the
database when done.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from common.errors import DATABASE_UNAVAILABLE, KioskError
from common.wire import CatalogItemIn
from hall_server import devices
from hall_server.db import Database, resolve_db_url
from hall_server.migrate import upgrade

log = logging.getLogger(__name__)


def open_database(
    settings: Any,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    migrate: bool = True,
) -> Database:
    """The hall database (SQLite in the data dir unless a URL is given), migrated to head."""
    database = Database(resolve_db_url(settings, data_dir=data_dir, db_url=db_url))
    if migrate:
        try:
            upgrade(database)
        except OperationalError as exc:
            database.dispose()
            raise KioskError(
                DATABASE_UNAVAILABLE, f"{database.describe()}: {type(exc.orig).__name__}"
            ) from exc
    return database


@contextlib.contextmanager
def database_for(
    settings: Any, data_dir: str | Path | None, db_url: str | None
) -> Iterator[Database]:
    database = open_database(settings, data_dir=data_dir, db_url=db_url)
    try:
        yield database
    finally:
        database.dispose()


def migrate(
    settings: Any, *, data_dir: str | Path | None = None, db_url: str | None = None
) -> dict:
    database = Database(resolve_db_url(settings, data_dir=data_dir, db_url=db_url))
    try:
        result = upgrade(database)
    except OperationalError as exc:
        raise KioskError(
            DATABASE_UNAVAILABLE, f"{database.describe()}: {type(exc.orig).__name__}"
        ) from exc
    finally:
        database.dispose()
    return {"database": database.describe(), "from": result["from"], "to": result["to"]}


def new_enroll_code(
    settings: Any,
    role: str = "kiosk",
    expires: str = "24h",
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    """{"code", "role", "expires_at"} for a one-time enrolment code."""
    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        return devices.create_enroll_code(
            conn, role=role, expires=devices.parse_duration(expires), now=datetime.now(UTC)
        )


def create_enroll_code(
    settings: Any,
    role: str = "kiosk",
    expires: str = "24h",
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> str:
    """Just the code (XXXX-XXXX-XXXX), for in-process callers such as `kiosk demo`."""
    return new_enroll_code(settings, role, expires, data_dir, db_url)["code"]


def import_catalog_file(
    settings: Any,
    path: str | Path,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> dict:
    from hall_server.catalog_import import import_catalog

    with database_for(settings, data_dir, db_url) as database:
        return import_catalog(database, Path(path), on_progress=on_progress)


def import_services_file(
    settings: Any,
    path: str | Path,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    from hall_server.services_import import import_services

    with database_for(settings, data_dir, db_url) as database:
        return import_services(database, Path(path))


def list_devices(
    settings: Any, *, data_dir: str | Path | None = None, db_url: str | None = None
) -> list[dict]:
    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return devices.list_devices(conn)


def revoke_device(
    settings: Any, ident: str, *, data_dir: str | Path | None = None, db_url: str | None = None
) -> list[dict]:
    """Revoke by device id or name (every active device of that name)."""
    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        return devices.revoke(conn, ident, datetime.now(UTC))


def person(
    settings: Any,
    action: str,
    holder: str,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    """Export or erase one person's data by holder hash (hall_server/person.py)."""
    from hall_server.person import erase_person, export_person
    from hall_server.personal import PersonalData, key_path

    with database_for(settings, data_dir, db_url) as database:
        now = datetime.now(UTC)
        if action == "export":
            return export_person(database, PersonalData(key_path(settings, data_dir)), holder,
                                 now=now)
        return {"erased": erase_person(database, holder, now=now)}


def load_demo_data(
    settings: Any,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    demo_dir: Path | None = None,
) -> dict:
    from hall_server.demo import load_demo
    from hall_server.keys import ensure_hall_key
    from hall_server.personal import PersonalData, key_path

    with database_for(settings, data_dir, db_url) as database:
        return load_demo(database, settings, hall_key=ensure_hall_key(database), demo_dir=demo_dir,
                         personal=PersonalData(key_path(settings, data_dir)))


def catalog_schema() -> dict:
    """The JSON Schema of one catalog line (docs/catalog.schema.json is this, pretty-printed)."""
    schema = CatalogItemIn.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://hall-kiosk.example/catalog.schema.json"
    schema["description"] = (
        "One service item (事项) per line of the JSON Lines file read by "
        "`kiosk admin import-catalog`. Generated from common.wire.CatalogItemIn; "
        "regenerate with `kiosk admin catalog-schema --output docs/catalog.schema.json`."
    )
    return schema


# --- staff accounts (`kiosk admin staff …`) --------------------------------------------------
def add_staff(
    settings: Any,
    *,
    login: str,
    name: str,
    role: str,
    counters: list[str] | str,
    password: str,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    from hall_server import staff

    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        account = staff.add_staff(
            conn,
            login=login,
            name=name,
            role=role,
            counters=staff.parse_counters(counters),
            password=password,
            now=datetime.now(UTC),
        )
        return account.as_dict()


def set_staff_password(
    settings: Any,
    login: str,
    password: str,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    from hall_server import staff

    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        return staff.set_password(conn, login, password, now=datetime.now(UTC)).as_dict()


def set_staff_disabled(
    settings: Any,
    login: str,
    disabled: bool = True,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    from hall_server import staff

    with database_for(settings, data_dir, db_url) as database, database.write() as conn:
        return staff.set_disabled(conn, login, disabled, now=datetime.now(UTC)).as_dict()


def list_staff(
    settings: Any, *, data_dir: str | Path | None = None, db_url: str | None = None
) -> list[dict]:
    from hall_server import staff

    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return [s.as_dict() for s in staff.list_staff(conn)]


def report(
    settings: Any,
    *,
    start: date | None,
    end: date | None,
    service: str | None = None,
    counter: str | None = None,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
) -> dict:
    """The manager's report (hall_server/reports.py) for `kiosk admin report`; by default the
    last 7 days of the hall's calendar."""
    from zoneinfo import ZoneInfo

    from hall_server import reports

    zone = ZoneInfo(settings.hall.timezone)
    end = end or datetime.now(zone).date()
    period = reports.Period(start or end - timedelta(days=6), end, service, counter)
    with database_for(settings, data_dir, db_url) as database, database.read() as conn:
        return reports.build(conn, period, zone)
