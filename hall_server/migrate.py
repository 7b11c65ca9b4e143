"""Alembic migrations shipped inside the package: `kiosk admin migrate` and server start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hall_server.db import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database: Database | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database is not None:
        cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head() or ""


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(database: Database, revision: str = "head") -> dict[str, str | None]:
    """Bring the schema to `revision`; a no-op when already there. Returns before/after."""
    before = current_revision(database)
    cfg = alembic_config(database)
    lock = database.write_lock  # same process: do not race our own writers
    with database.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        if lock is not None:
            with lock:
                command.upgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)
        conn.commit()
    after = current_revision(database)
    if before != after:
        log.info("database migrated from %s to %s", before, after)
    return {"from": before, "to": after}
