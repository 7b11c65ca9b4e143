"""Writes on SQLite go through one group commit (Database.transact, issue 11): writes waiting
at the same moment share one COMMIT, each in its own savepoint, and one that fails fails
alone. WAL checkpoints run in a thread beside the writes (hall_server.wal_checkpoint)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from hall_server import eventlog
from hall_server import idempotency as idempotency_rules
from hall_server.db import Database
from hall_server.schema import counters, hall_settings, idempotency, metadata, ticket_events
from hall_server.wal_checkpoint import FALLBACK_PAGES, WalCheckpointer


def _database(url: str) -> Database:
    db = Database(url)
    metadata.create_all(db.engine, tables=[hall_settings])
    return db


@pytest.fixture
def database(tmp_path: Path):
    db = _database(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    yield db
    db.dispose()


@pytest.fixture
def any_database(tmp_path: Path, db_url: str | None):
    db = _database(db_url or f"sqlite:///{tmp_path / 'g.sqlite3'}")
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


def test_waiting_writes_share_one_commit_and_a_failure_fails_alone(any_database):
    database = any_database
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


def test_a_failed_write_in_the_middle_leaves_no_event_and_no_gap(tmp_path, db_url):
    """The group's own savepoints (not SQLAlchemy's): a write that fails between others
    takes its rows and its recorded events with it; the ids stay gapless."""
    database = Database(db_url or f"sqlite:///{tmp_path / 'e.sqlite3'}")
    metadata.create_all(database.engine, tables=[hall_settings, ticket_events, counters])
    gate = threading.Event()

    def with_event(key: str, fail: bool = False):
        def work(conn):
            _put(key)(conn)
            eventlog.add(conn, ticket_id=key, from_state=None, to_state="waiting",
                         at=datetime.now(UTC), service="S", actor_kind="device", actor_id="d")
            if fail:
                raise ValueError("refused")
            return key

        return work

    try:
        with ThreadPoolExecutor(8) as pool:
            first = pool.submit(database.transact, lambda conn: gate.wait(10))
            time.sleep(0.2)
            order = ["a", "b", "bad", "c", "d"]
            futures = [pool.submit(database.transact, with_event(k, k == "bad")) for k in order]
            time.sleep(0.3)
            gate.set()
            first.result(10)
            assert [f.result(10) for f in futures if f is not futures[2]] == ["a", "b", "c", "d"]
            with pytest.raises(ValueError):
                futures[2].result(10)
        with database.read() as conn:
            rows = conn.execute(select(ticket_events.c.pk, ticket_events.c.ticket_id)).all()
            keys = set(conn.execute(select(hall_settings.c.key)).scalars())
    finally:
        database.dispose()
    assert sorted(t for _pk, t in rows) == ["a", "b", "c", "d"] and "bad" not in keys
    assert sorted(pk for pk, _t in rows) == [1, 2, 3, 4]


class _Abort(BaseException):
    pass


def test_a_base_exception_fails_its_group_and_the_thread_lives_on(database):
    gate = threading.Event()

    def blocker(conn):
        gate.wait(10)

    def aborting(conn):
        raise _Abort

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(database.transact, blocker)
        time.sleep(0.2)
        group = [pool.submit(database.transact, _put("lost")), pool.submit(database.transact, aborting)]
        time.sleep(0.2)
        gate.set()
        first.result(10)
        for future in group:
            with pytest.raises(_Abort):
                future.result(10)
    assert database.transact(_put("after")) == "after"  # the group thread still runs


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


@pytest.mark.postgres
def test_a_grouped_write_that_loses_a_deadlock_runs_again(pg_url):
    """Another server process's transaction locks Y then X while a group holds X and waits
    for Y: PostgreSQL aborts the grouped write (its deadlock_timeout is the shorter). The
    group, run without savepoints, rolls back (the rival then commits) and runs again, each
    write in its savepoint: both writes are done, after the rival's."""
    ours, other = _database(pg_url), Database(pg_url)
    try:
        with ours.write() as conn:
            conn.execute(hall_settings.insert(), [{"key": k, "value": "0"} for k in "XY"])
        gate, x_locked, y_locked = threading.Event(), threading.Event(), threading.Event()
        set_to = lambda key, value: update(hall_settings).where(  # noqa: E731
            hall_settings.c.key == key).values(value=value)

        def blocker(conn):
            gate.wait(10)

        def lock_x(conn):
            conn.exec_driver_sql("SET LOCAL deadlock_timeout = '100ms'")
            conn.execute(set_to("X", "group"))
            x_locked.set()
            return "x"

        def then_y(conn):
            y_locked.wait(10)
            conn.execute(set_to("Y", "group"))
            return "y"

        def other_process():
            with other.write() as conn:
                conn.exec_driver_sql("SET LOCAL deadlock_timeout = '10s'")
                conn.execute(set_to("Y", "other"))
                y_locked.set()
                x_locked.wait(10)
                conn.execute(set_to("X", "other"))

        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(ours.transact, blocker)
            time.sleep(0.2)
            x, y = pool.submit(ours.transact, lock_x), pool.submit(ours.transact, then_y)
            time.sleep(0.2)
            rival = pool.submit(other_process)
            gate.set()
            assert (first.result(15), x.result(15), y.result(15)) == (None, "x", "y")
            rival.result(15)
        with ours.read() as conn:
            values = dict(conn.execute(select(hall_settings.c.key, hall_settings.c.value)).all())
        assert values == {"X": "group", "Y": "group"}  # the group again, after the rival
    finally:
        ours.dispose()
        other.dispose()


@pytest.mark.postgres
def test_a_key_claimed_meanwhile_fails_its_write_alone_and_the_group_goes_on(pg_url):
    """On PostgreSQL a group writes its keys' claims with its last statement. A rival
    transaction commits the same key after the group's write claimed it but before that
    statement: the group runs again, that write fails alone with KeyTaken (the route then
    replays the key), and the rival's row is the key's only one."""
    ours, other = _database(pg_url), Database(pg_url)
    metadata.create_all(ours.engine, tables=[idempotency])
    now = datetime.now(UTC)
    try:
        gate, rival_done = threading.Event(), threading.Event()

        def blocker(conn):
            gate.wait(10)

        def claim(conn):
            idempotency_rules.claim(conn, device_id="d", key="k", kind="ticket", hashed="h",
                                    now=now, response={"n": 1})
            return "claimed"

        def after_the_rival(conn):
            rival_done.wait(10)
            return "after"

        def rival():
            with other.write() as conn:
                idempotency_rules.claim(conn, device_id="d", key="k", kind="ticket",
                                        hashed="h", now=now, response={"n": 2})
            rival_done.set()

        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(ours.transact, blocker)
            time.sleep(0.2)
            claimed = pool.submit(ours.transact, claim)
            after = pool.submit(ours.transact, after_the_rival)
            time.sleep(0.2)
            gate.set()
            time.sleep(0.3)  # the group is waiting in after_the_rival, its claim not written
            pool.submit(rival).result(15)
            assert first.result(15) is None and after.result(15) == "after"
            with pytest.raises(idempotency_rules.KeyTaken):
                claimed.result(15)
        with ours.read() as conn:
            rows = conn.execute(select(idempotency.c.response)).scalars().all()
        assert rows == ['{"n":2}']
    finally:
        ours.dispose()
        other.dispose()


@pytest.mark.postgres
def test_the_next_group_begins_while_one_commits_and_takes_what_waits_by_then(pg_url):
    """On PostgreSQL a second group thread begins as soon as the group before has written
    its events, and waits on the group lock in the server while that group COMMITs. It takes
    its writes once the lock is granted: the five that queued meanwhile share one COMMIT."""
    ours, probe = _database(pg_url), Database(pg_url)
    committing, release = threading.Event(), threading.Event()
    commits: list[int] = []

    def slow_first_commit(_conn) -> None:
        commits.append(1)
        if len(commits) == 1:
            committing.set()
            release.wait(10)

    event.listen(ours.engine, "commit", slow_first_commit)

    def waiting_on_the_group_lock() -> bool:
        with probe.read() as conn:
            return bool(conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).scalar_one())

    try:
        with ThreadPoolExecutor(8) as pool:
            first = pool.submit(ours.transact, _put("first"))
            assert committing.wait(10)
            rest = [pool.submit(ours.transact, _put(f"k{i}")) for i in range(5)]
            deadline = time.monotonic() + 5
            while not waiting_on_the_group_lock():
                assert time.monotonic() < deadline, "no group waits on the lock"
                time.sleep(0.02)
            release.set()
            assert first.result(10) == "first"
            assert [f.result(10) for f in rest] == [f"k{i}" for i in range(5)]
        assert len(commits) == 2
    finally:
        release.set()
        ours.dispose()
        probe.dispose()
