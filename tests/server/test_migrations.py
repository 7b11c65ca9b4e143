"""Alembic migrations shipped in the package: they build exactly the schema the code uses."""

from __future__ import annotations

import json
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tests.support.server import REPO


def database(tmp_path, db_url):
    from hall_server.db import Database

    return Database(db_url or f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_migrated_schema_matches_the_code(tmp_path, db_url):
    from hall_server.migrate import current_revision, head_revision, upgrade
    from hall_server.schema import metadata

    db = database(tmp_path, db_url)
    try:
        assert current_revision(db) is None
        assert upgrade(db) == {"from": None, "to": head_revision()}
        assert upgrade(db) == {"from": head_revision(), "to": head_revision()}  # a no-op
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert set(metadata.tables) <= tables
    finally:
        db.dispose()


def test_downgrade_to_empty_and_up_again(tmp_path, db_url):
    from alembic import command

    from hall_server.migrate import alembic_config, current_revision, upgrade

    db = database(tmp_path, db_url)
    try:
        upgrade(db)
        cfg = alembic_config(db)
        with db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
            conn.commit()
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        assert current_revision(db) is None
        upgrade(db)
        assert current_revision(db) is not None
    finally:
        db.dispose()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path):
    from hall_server.db import Database

    db = Database(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        db.dispose()


def test_cli_migrate(tmp_path):
    env = {"KIOSK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "kiosk", "admin", "migrate", "--data-dir", str(tmp_path / "d")]
    first = subprocess.run(
        cmd + ["--json"], capture_output=True, text=True, env=env, cwd=REPO, timeout=60
    )
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["from"] is None and result["to"]
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert again.returncode == 0 and "already at revision" in again.stdout
    assert (tmp_path / "d" / "hall.sqlite3").exists()
