"""Database files hold personal data: created owner-only (0600) whatever the umask, and an
older file left 0644 is tightened on open (issue 15: hall.sqlite3 and kiosk.db were 0644)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: new files 0644
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_kiosk_store_and_its_wal_are_owner_only(tmp_path, loose_umask):
    from offline_cache.store import LocalStore

    path = tmp_path / "kiosk.db"
    store = LocalStore(path)
    with store.transaction() as conn:
        store.set_meta(conn, "x", "1")
    try:
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert not side.exists() or mode(side) == 0o600, suffix
    finally:
        store.close()


def test_an_old_world_readable_store_is_tightened(tmp_path, loose_umask):
    from offline_cache.store import LocalStore

    path = tmp_path / "kiosk.db"
    LocalStore(path).close()
    path.chmod(0o644)
    LocalStore(path).close()
    assert mode(path) == 0o600


def test_hall_server_sqlite_file_is_owner_only(tmp_path, loose_umask):
    from sqlalchemy import text

    from hall_server.db import Database

    path = tmp_path / "server" / "hall.sqlite3"
    database = Database(f"sqlite:///{path}")
    try:
        with database.write() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert not side.exists() or mode(side) == 0o600, suffix
    finally:
        database.dispose()
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
