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

    def one_then_commit(self, conn: Connection, params: dict[str, Any]) -> tuple:
        """PostgreSQL: the transaction's last statement and its COMMIT sent together (pipeline
        mode), one round trip instead of two (issue 17); the row is returned once COMMIT has
        answered, so a caller still learns of nothing before it is durable. The caller's
        own commit then finds the transaction closed and sends nothing."""
        c = self.compiled(conn.dialect)
        args = self._args(c, params)
        dbapi = conn.connection.dbapi_connection
        cursor = _cursor(conn)
        try:
            with dbapi.pipeline():  # type: ignore[union-attr]
                cursor.execute(c.sql, args)
                dbapi.cursor().execute("COMMIT")  # type: ignore[union-attr]
            row = cursor.fetchone()
        except conn.dialect.loaded_dbapi.Error as exc:  # as in _run
            conn._handle_dbapi_exception(exc, c.sql, args, cursor, None)  # noqa: SLF001
        if row is None:
            raise LookupError("statement returned no row")
        return row

    def first(self, conn: Connection, params: dict[str, Any] | None = None) -> tuple | None:
        return self.execute(conn, params).fetchone()

    def one(self, conn: Connection, params: dict[str, Any] | None = None) -> tuple:
        row = self.execute(conn, params).fetchone()
        if row is None:
            raise LookupError("statement returned no row")
        return row


def first_rows(
    conn: Connection, statements: Sequence[tuple[Prepared, dict[str, Any]]]
) -> list[tuple | None]:
    """Each statement's first row (None: none), the statements run in order. On PostgreSQL they are sent
    together (pipeline mode): one round trip for all (issue 17). A later statement can read
    what an earlier one wrote, not its result: pass nothing from one to the next."""
    if conn.dialect.name != "postgresql":
        return [prepared.first(conn, params) for prepared, params in statements]
    dbapi = conn.connection.dbapi_connection
    cursors = [_cursor(conn)] + [dbapi.cursor() for _ in statements[1:]]  # type: ignore[union-attr]
    sql, args = "", None
    try:
        with dbapi.pipeline():  # type: ignore[union-attr]
            for cursor, (prepared, params) in zip(cursors, statements, strict=True):
                c = prepared.compiled(conn.dialect)
                sql, args = c.sql, prepared._args(c, params)  # noqa: SLF001
                cursor.execute(sql, args)
        return [cursor.fetchone() if cursor.description else None for cursor in cursors]
    except conn.dialect.loaded_dbapi.Error as exc:  # as in _run
        conn._handle_dbapi_exception(exc, sql, args, cursors[0], None)  # noqa: SLF001
        raise  # not reached: SQLAlchemy raised its own


def run_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters (BEGIN IMMEDIATE) on the DB-API cursor."""
    _run(conn, sql, (), many=False)


def run_first_sql(conn: Connection, sql: str) -> None:
    """The transaction's first statement (no parameters). On PostgreSQL psycopg's own BEGIN
    goes with it in one round trip (pipeline mode) instead of one of its own: the group-commit
    thread runs its statements one round trip at a time (issue 17)."""
    if conn.dialect.name != "postgresql":
        run_sql(conn, sql)
        return
    with conn.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
        run_sql(conn, sql)


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
