"""Hot-path statements run on the DB-API cursor, not through SQLAlchemy's execution context.

Issue 17's profile: the ticket route spent a third of its CPU in SQLAlchemy Core executing
about sixteen statements (compile-cache lookup, execution context, result wrapping). A
`Prepared` is a Core construct compiled once per dialect to its SQL string, the construct's own
literal parameters and its bind processors (SQLite stores dates and timestamps as text and
booleans as 0/1, exactly as SQLAlchemy writes them, so rows written either way are the same).
It runs inside the caller's SQLAlchemy transaction (same connection, savepoints included); a
driver error goes through SQLAlchemy's own handling, so callers still see `IntegrityError` /
`OperationalError` and a lost PostgreSQL connection invalidates the pool as usual.
Rows come back as the driver's tuples, unconverted: hot-path reads return ints and strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

_KEPT_CURSOR = "rawsql_cursor"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional order (SQLite qmark), None: named (psycopg)
    defaults: dict[str, Any]  # every bind with the value the construct gives it
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


class Prepared:
    """One statement, compiled on first use per dialect."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.stmt.compile(dialect=dialect)
        defaults: dict[str, Any] = {}
        processors = []
        for bind, name in compiled.bind_names.items():
            if name in defaults:
                continue
            defaults[name] = None if bind.required else bind.effective_value
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((name, process))
        names = tuple(compiled.positiontup) if compiled.positional else None
        return _Compiled(compiled.string, names, defaults, tuple(processors))

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _args(self, c: _Compiled, params: dict[str, Any] | None) -> Sequence[Any] | dict:
        values = {**c.defaults, **params} if params else dict(c.defaults)
        for name, process in c.processors:
            values[name] = process(values[name])
        return values if c.names is None else [values[n] for n in c.names]

    def execute(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        """Run on the connection's DB-API cursor; returns the cursor."""
        c = self.compiled(conn.dialect)
        return _run(conn, c.sql, self._args(c, params), many=False)

    def execute_many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        c = self.compiled(conn.dialect)
        _run(conn, c.sql, [self._args(c, row) for row in rows], many=True)

    def first(self, conn: Connection, params: dict[str, Any] | None = None) -> tuple | None:
        return self.execute(conn, params).fetchone()

    def one(self, conn: Connection, params: dict[str, Any] | None = None) -> tuple:
        row = self.execute(conn, params).fetchone()
        if row is None:
            raise LookupError("statement returned no row")
        return row


def run_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters (BEGIN IMMEDIATE) on the DB-API cursor."""
    _run(conn, sql, (), many=False)


def _cursor(conn: Connection) -> Any:
    """The connection's DB-API cursor. psycopg's: one kept per connection and used again (a
    new one was ~8 % of the group-commit thread's CPU, issue 17); what a statement returns
    is read before the next one runs, as every caller here does. sqlite3's cursors are
    cheap, and one kept there could hold an unfinished statement."""
    fairy = conn.connection
    dbapi = fairy.dbapi_connection
    if conn.dialect.name != "postgresql":
        return dbapi.cursor()  # type: ignore[union-attr]
    kept = fairy.info.get(_KEPT_CURSOR)  # the pool clears info with the DB-API connection
    if kept is None or kept.closed or kept.connection is not dbapi:
        kept = fairy.info[_KEPT_CURSOR] = dbapi.cursor()  # type: ignore[union-attr]
    return kept


def _run(conn: Connection, sql: str, args: Any, *, many: bool) -> Any:
    cursor = _cursor(conn)
    try:
        if many:
            cursor.executemany(sql, args)
        else:
            cursor.execute(sql, args)
    except conn.dialect.loaded_dbapi.Error as exc:
        # SQLAlchemy's own error path: the same exception classes as conn.execute, the
        # handle_error hooks, and pool invalidation on a lost connection. Private API,
        # pinned with sqlalchemy in pyproject.toml; tests/server/test_rawsql.py and
        # test_pg_recovery.py cover it.
        conn._handle_dbapi_exception(exc, sql, args, cursor, None)  # noqa: SLF001
    return cursor
