"""Database access: one engine, write and read transactions, SQLite and PostgreSQL.

SQLite (the default, a file in the data dir) runs in WAL mode with synchronous=FULL (no
confirmed ticket lost on a power cut, FIELD_NOTES §5) and a busy timeout. SQLite has one
writer at a time; threads that all try `BEGIN IMMEDIATE` at once sleep-and-retry inside
SQLite and the tail latency explodes, so writes in this process queue on one Python lock
first and then take the database lock ("one writer beats many"). PostgreSQL needs no such
lock: counters there are atomic upserts with row locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, DisconnectionError

from common.paths import make_private
from hall_server import eventlog
from hall_server.group_commit import GroupCommit, lost_deadlock
from hall_server.rawsql import run_sql

log = logging.getLogger(__name__)

SQLITE_FILE = "hall.sqlite3"
# A pooled PostgreSQL connection idle longer than this is pinged when checked out (a restart
# of PostgreSQL while the hall is quiet costs no request). Busy connections are not: a ping
# per checkout was ~8 % of a ticket's CPU (issue 17); a connection found dead mid-request
# invalidates the whole pool (SQLAlchemy's disconnect handling), the request gets 503 E-SRV-03
# with Retry-After, and the ticket route retries it once itself (its key makes that safe).
PING_IDLE_S = 2.0
AFTER_COMMIT = "after_commit"  # conn.info key: hooks run after the write transaction commits
T = TypeVar("T")


def resolve_db_url(
    settings: Any, *, data_dir: str | Path | None = None, db_url: str | None = None
) -> str:
    """`--db URL` wins, then `server.db_url`, else a SQLite file in the data dir
    (`--data-dir`, `server.data_dir`, or KIOSK_HOME/server)."""
    url = db_url or settings.server.db_url
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{resolve_data_dir(settings, data_dir) / SQLITE_FILE}"


def resolve_data_dir(settings: Any, data_dir: str | Path | None = None) -> Path:
    if data_dir:
        path = Path(data_dir)
    elif settings.server.data_dir:
        path = Path(settings.server.data_dir)
    else:
        from common.paths import kiosk_home

        path = kiosk_home() / "server"
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class Database:
    """The engine plus the transaction discipline every module uses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_file_sqlite = False
        # SQLite: WAL pages at which a COMMIT checkpoints (its default; a running server
        # raises it and checkpoints in a thread instead: hall_server.wal_checkpoint)
        self.autocheckpoint_pages = 1000
        if self.is_sqlite:
            database = make_url(url).database
            self.is_file_sqlite = bool(database) and database != ":memory:" and (
                "mode=memory" not in url
            )
            if self.is_file_sqlite and not database.startswith("file:"):
                make_private(Path(database))  # personal data: owner only, whatever the umask
            self.engine = create_engine(
                url,
                pool_size=8,
                max_overflow=48,
                pool_timeout=60,
                connect_args={"timeout": 30, "check_same_thread": False},
                hide_parameters=True,  # SQL errors must not put personal data in logs
            )
            _sqlite_events(self)
            self.write_lock: threading.Lock | None = threading.Lock()
        else:
            self.engine = create_engine(
                url,
                pool_size=8,
                max_overflow=48,
                pool_timeout=60,
                hide_parameters=True,
            )
            self.ping_idle_s = PING_IDLE_S
            _ping_when_idle(self)
            self.write_lock = None
        self.dialect_insert = sqlite.insert if self.is_sqlite else postgresql.insert
        eventlog.install(self.engine)
        # Called with the last ticket event id after a write transaction that wrote events
        # committed (hall_server.live wakes its streams); must be quick and thread-safe.
        self.on_events: list[Callable[[int], None]] = []
        # Called first, with the rows themselves (eventlog.add's dicts with their "pk").
        self.on_event_rows: list[Callable[[list[dict]], None]] = []
        self._batcher = GroupCommit(self)

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any exception.
        Ticket events recorded in it are written last, just before COMMIT (eventlog)."""
        lock = self.write_lock or contextlib.nullcontext()
        with lock, self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(sqlite_immediate=True)
            _forget(conn)  # nothing left over from the connection's last use
            try:
                with conn.begin():
                    yield conn
                    eventlog.flush(conn)
            except BaseException:
                _forget(conn)
                raise
            committed = conn.info.pop(eventlog.COMMITTED, None)
            hooks = conn.info.pop(AFTER_COMMIT, None)
        if committed:
            self._committed(committed)
        for hook in hooks or ():
            _call_listener(hook)

    def _committed(self, rows: list[dict]) -> None:
        calls: list[tuple[Callable[[Any], None], Any]] = [(f, rows) for f in self.on_event_rows]
        calls += [(f, rows[-1]["pk"]) for f in self.on_events]
        for callback, arg in calls:
            _call_listener(callback, arg)

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT (with on_conflict_do_update / do_nothing)."""
        return self.dialect_insert(table)

    def take_seqs(self, conn: Connection, name: str, count: int) -> range:
        """`count` numbers from the named counter. The counter row stays locked until the
        transaction ends, so holders of numbers commit in number order."""
        from hall_server.schema import counters

        stmt = self.insert(counters).values(name=name, n=count)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], set_={"n": counters.c.n + count}
        ).returning(counters.c.n)
        last = conn.execute(stmt).scalar_one()
        return range(last - count + 1, last + 1)

    def transact(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction and return its result once committed, like
        write(), grouped with the writes waiting at the same moment (hall_server.group_commit:
        one COMMIT and one fsync for all, a savepoint each). For tickets, calls and the small
        writes that come in bursts (200 kiosks' heartbeats after a power cut): they queue
        far less on the write lock than one transaction each."""
        try:
            return self._batcher.submit(work)
        except DBAPIError as exc:
            if not lost_deadlock(exc):
                raise
        return self._write_alone(work)

    async def transact_async(self, work: Callable[[Connection], T]) -> T:
        """transact() for a coroutine: no worker thread waits for the commit, the event loop
        is woken once per group with the results of all its requests."""
        try:
            return await self._batcher.submit_async(work)
        except DBAPIError as exc:
            if not lost_deadlock(exc):
                raise
        return await asyncio.to_thread(self._write_alone, work)

    def _write_alone(self, work: Callable[[Connection], T]) -> T:
        log.warning("grouped write lost a deadlock; running it on its own")
        with self.write() as conn:
            return work(conn)

    def dispose(self) -> None:
        self._batcher.close()
        self.engine.dispose()

    def describe(self) -> str:
        """The URL without a password, for logs and `kiosk admin` output."""
        return self.engine.url.render_as_string(hide_password=True)


def after_commit(conn: Connection, hook: Callable[[], None]) -> None:
    """Call `hook` once the write transaction `conn` is in has committed (not at all if it
    rolls back; a savepoint rolled back inside it does not cancel it: hooks are hints)."""
    conn.info.setdefault(AFTER_COMMIT, []).append(hook)


def _forget(conn: Connection) -> None:
    """The transaction rolled back (or a connection's last one is over): its events and
    hooks go."""
    eventlog.discard(conn)
    if not conn.invalidated:
        conn.info.pop(AFTER_COMMIT, None)


def _call_listener(callback: Callable[..., None], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:  # a listener must never fail a committed write
        log.exception("event listener failed")


def _sqlite_events(database: Database) -> None:
    engine = database.engine

    # pysqlite's own transaction handling cannot do BEGIN IMMEDIATE or reliable SAVEPOINTs;
    # the SQLAlchemy-documented recipe: driver autocommit, and we emit BEGIN ourselves.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(database.autocheckpoint_pages)}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        run_sql(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")  # the cursor: no context


def _ping_when_idle(database: Database) -> None:
    engine = database.engine

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < database.ping_idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool replaces it and tries again (SQLAlchemy)
            raise DisconnectionError(f"idle connection lost: {type(exc).__name__}") from exc
