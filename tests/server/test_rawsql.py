"""Hot-path statements on the DB-API cursor (hall_server/rawsql.py): driver errors come out
as SQLAlchemy's, and a connection goes on working after one (on PostgreSQL the cursor is kept
per connection, and SQLAlchemy's error handling closes it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from hall_server.db import Database
from hall_server.rawsql import Prepared, run_sql
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
