"""Shared fixtures for the whole suite. Keep each group under its own header."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# =============================================================================================
# Hall server: databases and servers (owner: hall server; helpers in tests/support/server.py)
#
# `db_url` runs a test on SQLite (always; the fixture yields None = the SQLite file in the
# server's data dir) and on PostgreSQL when KIOSK_TEST_PG_URL is set, e.g.
#   KIOSK_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# One database named kiosk_test_<random> is created per session and dropped at the end; each
# test gets its own schema in it. Unset: the PostgreSQL variants skip, saying why. Set but
# unreachable: skip locally, FAIL under CI=true (CI must not silently lose PostgreSQL).
# =============================================================================================
PG_ENV = "KIOSK_TEST_PG_URL"


def _libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unusable under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL at {PG_ENV} unusable: {reason}")


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (SQLAlchemy URL)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set: PostgreSQL variants of server tests skipped")
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"kiosk_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(_libpq_url(base), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        _pg_unavailable(str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
    url = make_url(base).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(_libpq_url(base), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def pg_schema(pg_session_url: str) -> Iterator[str]:
    """A fresh schema in the session's PostgreSQL database, as the URL's search_path (also
    for module-scoped fixtures)."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(pg_session_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(pg_session_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq_url(pg_session_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_url(pg_session_url: str) -> Iterator[str]:
    """A fresh schema in the session's PostgreSQL database, as the URL's search_path."""
    with pg_schema(pg_session_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite (the server's data dir), else a PostgreSQL URL with its own schema."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def hall_process(tmp_path: Path, db_url: str | None):
    """`kiosk serve --demo` as a subprocess on a free port (SQLite and PostgreSQL)."""
    from tests.support.server import start_server_process

    server = start_server_process(tmp_path / "hall", demo=True, db_url=db_url)
    yield server
    server.stop()


@pytest.fixture
def hall_thread(tmp_path: Path, db_url: str | None):
    """The hall server in a thread (fast; `hall_thread.clock` is a settable clock)."""
    from hall_server.clock import SettableClock
    from tests.support.server import start_server_thread

    server = start_server_thread(tmp_path / "hall", db_url=db_url, clock=SettableClock())
    yield server
    server.stop()


# =============================================================================================
# The hall's own files (owner: packaging). Tests never read the machine's /etc/hall-kiosk or
# /etc/hall-server: KIOSK_ETC points at a folder that does not exist (children inherit it);
# a test that wants hall files sets KIOSK_ETC to its own tmp folder.
# =============================================================================================
os.environ["KIOSK_ETC"] = os.path.join(os.path.dirname(__file__), "artifacts", "no-hall-etc")
