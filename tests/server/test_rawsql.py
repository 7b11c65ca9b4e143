"""Hot-path statements on the DB-API cursor (hall_server/rawsql.py): driver errors come out
as SQLAlchemy's, and a connection goes on working after one (on PostgreSQL the cursor is kept
per connection, and SQLAlchemy's error handling closes it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from hall_server.db import Database
from hall_server.rawsql import Prepared, first_rows, run_first_sql, run_sql
from hall_server.schema import hall_settings, metadata

_PUT = Prepared(hall_settings.insert().values(key=bindparam("key"), value=bindparam("value")))
_GET = Prepared(select(hall_settings.c.value).where(hall_settings.c.key == bindparam("key")))


@pytest.fixture
def database(tmp_path: Path, db_url: str | None):
    db = Database(db_url or f"sqlite:///{tmp_path / 'r.sqlite3'}")
    metadata.create_all(db.engine, tables=[hall_settings])
    yield db
    db.dispose()


def test_a_driver_error_is_sqlalchemys_and_the_connection_goes_on(database):
    with database.write() as conn:
        _PUT.execute(conn, {"key": "a", "value": "1"})
        run_sql(conn, "SAVEPOINT s")
        with pytest.raises(IntegrityError):
            _PUT.execute(conn, {"key": "a", "value": "2"})
        run_sql(conn, "ROLLBACK TO SAVEPOINT s")
        _PUT.execute(conn, {"key": "b", "value": "3"})
        assert _GET.one(conn, {"key": "a"}) == ("1",)
        assert _GET.first(conn, {"key": "b"}) == ("3",)
        assert _GET.first(conn, {"key": "none"}) is None
    with database.read() as conn:
        assert sorted(conn.execute(select(hall_settings.c.key)).scalars()) == ["a", "b"]


def test_each_statement_reads_its_own_rows(database):
    with database.write() as conn:
        _PUT.execute_many(conn, [{"key": f"k{i}", "value": str(i)} for i in range(5)])
        values = [_GET.one(conn, {"key": f"k{i}"})[0] for i in range(5)]
    assert values == ["0", "1", "2", "3", "4"]


@pytest.fixture
def pg_database(pg_url: str):
    db = Database(pg_url)
    metadata.create_all(db.engine, tables=[hall_settings])
    yield db
    db.dispose()


def _advisory_locks_held(conn) -> int:
    return conn.exec_driver_sql(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    ).scalar_one()


@pytest.mark.postgres
def test_the_first_statement_sent_with_begin_is_inside_the_transaction(pg_database):
    with pg_database.write() as conn:
        run_first_sql(conn, "SELECT pg_advisory_xact_lock(4711)")
        assert _advisory_locks_held(conn) == 1  # autocommitted, it would be gone already
        _PUT.execute(conn, {"key": "a", "value": "1"})
    with pg_database.write() as conn:
        assert _advisory_locks_held(conn) == 0  # released by the COMMIT
        assert _GET.one(conn, {"key": "a"}) == ("1",)


@pytest.mark.postgres
def test_one_then_commit_answers_once_committed_and_the_connection_goes_on(pg_database):
    put_back = Prepared(
        hall_settings.insert()
        .values(key=bindparam("key"), value=bindparam("value"))
        .returning(hall_settings.c.value)
    )
    with pg_database.write() as conn:
        run_first_sql(conn, "SELECT 1")
        assert put_back.one_then_commit(conn, {"key": "a", "value": "1"}) == ("1",)
        with pg_database.read() as other:  # another connection sees it: committed
            assert other.execute(select(hall_settings.c.value)).scalars().all() == ["1"]
    with pg_database.write() as conn:
        _PUT.execute(conn, {"key": "b", "value": "2"})
    with pg_database.read() as conn:
        assert sorted(conn.execute(select(hall_settings.c.key)).scalars()) == ["a", "b"]


@pytest.mark.postgres
def test_a_failure_at_the_commit_is_sqlalchemys_and_keeps_nothing(pg_database):
    with pg_database.write() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE deferred_once (k int UNIQUE DEFERRABLE INITIALLY DEFERRED)"
        )
    put = Prepared(text("INSERT INTO deferred_once VALUES (:k) RETURNING k"))
    with pytest.raises(IntegrityError), pg_database.write() as conn:
        put.execute(conn, {"k": 1})
        put.one_then_commit(conn, {"k": 1})  # the duplicate is found by the COMMIT
    with pg_database.write() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM deferred_once").scalar_one() == 0
        conn.exec_driver_sql("DROP TABLE deferred_once")


def test_statements_sent_together_read_what_the_earlier_wrote(database):
    with database.write() as conn:
        rows = first_rows(conn, [
            (_PUT, {"key": "a", "value": "1"}),
            (_GET, {"key": "a"}),
            (_GET, {"key": "none"}),
        ])
    assert rows[1:] == [("1",), None]


def test_an_error_among_statements_sent_together_is_sqlalchemys(database):
    with database.write() as conn:
        _PUT.execute(conn, {"key": "a", "value": "1"})
    with pytest.raises(IntegrityError), database.write() as conn:
        first_rows(conn, [(_PUT, {"key": "b", "value": "2"}), (_PUT, {"key": "a", "value": "3"})])
    with database.write() as conn:  # rolled back, and the connection goes on
        assert first_rows(conn, [(_GET, {"key": "a"}), (_GET, {"key": "b"})]) == [("1",), None]
