"""Writes on SQLite go through one group commit (Database.transact, issue 11): writes waiting
at the same moment share one COMMIT, each in its own savepoint, and one that fails fails
alone. WAL checkpoints run in a thread beside the writes (hall_server.wal_checkpoint)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, select

from hall_server.db import Database
from hall_server.schema import hall_settings, metadata
from hall_server.wal_checkpoint import FALLBACK_PAGES, WalCheckpointer


@pytest.fixture
def database(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    metadata.create_all(db.engine, tables=[hall_settings])
    yield db
    db.dispose()


def _put(key: str):
    def work(conn):
        conn.execute(hall_settings.insert().values(key=key, value="v"))
        return key

    return work


def _commits(database: Database) -> list[int]:
    seen: list[int] = []
    event.listen(database.engine, "commit", lambda _conn: seen.append(1))
    return seen


def test_waiting_writes_share_one_commit_and_a_failure_fails_alone(database):
    commits = _commits(database)
    gate = threading.Event()

    def blocker(conn):  # holds the group-commit thread while the others queue
        gate.wait(10)
        return _put("first")(conn)

    def failing(conn):
        _put("doomed")(conn)
        raise ValueError("refused")

    with ThreadPoolExecutor(12) as pool:
        first = pool.submit(database.transact, blocker)
        time.sleep(0.2)
        queued = [pool.submit(database.transact, _put(f"k{i}")) for i in range(10)]
        bad = pool.submit(database.transact, failing)
        time.sleep(0.3)  # all of them queued behind the blocker
        gate.set()
        assert first.result(10) == "first"
        assert [f.result(10) for f in queued] == [f"k{i}" for i in range(10)]
        with pytest.raises(ValueError, match="refused"):
            bad.result(10)

    assert len(commits) == 2  # the blocker alone, then the eleven queued in one transaction
    with database.read() as conn:
        keys = set(conn.execute(select(hall_settings.c.key)).scalars())
    assert keys == {"first"} | {f"k{i}" for i in range(10)}  # "doomed" rolled back alone


def test_a_grouped_write_cannot_wait_for_another(database):
    def nested(conn):
        return database.transact(_put("inner"))

    with pytest.raises(RuntimeError, match="cannot wait"):
        database.transact(nested)


def test_checkpoints_run_beside_the_writes(database):
    checkpointer = WalCheckpointer(database, 0.05)
    checkpointer.start()
    try:
        for i in range(50):
            database.transact(_put(f"c{i}"))
        deadline = time.monotonic() + 5
        while checkpointer.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.runs >= 2
        busy, wal_pages, done = checkpointer.checkpoint()
        assert (busy, done) == (0, wal_pages)  # every committed page is in the main file
        with database.engine.connect() as conn:  # writes no longer checkpoint by themselves
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == FALLBACK_PAGES
    finally:
        checkpointer.stop()


def test_no_checkpoint_thread_when_disabled(database):
    off = WalCheckpointer(database, 0)
    off.start()
    assert not off.enabled and off.runs == 0
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
