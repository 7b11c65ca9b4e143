"""Group commit: writes waiting at the same moment share one transaction and one COMMIT.

Every write with ticket events ends by locking the event-id row until its COMMIT
(hall_server.eventlog), and SQLite has one writer anyway, so such writes commit one after
the other. One slow fsync (tens of ms on a busy disk) then held up a queue of writers each
waiting for its own; on PostgreSQL most of a ticket's time was that wait (issue 11). Here one
thread takes everything queued when it wakes, runs the writes one after the other and commits
them together. When one of them fails, the group is rolled back and run again with each write
in its own savepoint (one that fails fails alone: its rows and events are rolled back); the
usual group, where none fails, saves the savepoints' round trips. Callers get their results
only after that COMMIT, so durability is what a write of its own gives.

Threads wait on a concurrent Future; coroutines on an asyncio Future, and their event loop is
woken once per group with the results of all its requests (no worker thread per request).
On PostgreSQL with several server processes, two groups taking the same rows in different
orders (tickets of services A then B, and B then A) would deadlock: each group begins with a
transaction-level advisory lock, so groups of all processes run one after the other (they
commit one after the other anyway, on the event-id row). A grouped write that still loses a
deadlock (to a write outside any group) is run again by the caller, on its own.

On PostgreSQL two threads take turns (LANES_PG): the one whose group has written its events
hands the turn over before its COMMIT, and the next group begins and waits on the advisory lock
in the server. It gets the lock the moment that COMMIT is done and only then takes the writes
waiting, so a group's first round trips no longer follow its predecessor's COMMIT (at 8 kiosks
the ticket rate rose ~20 %, issue 17). SQLite has one writer: one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from hall_server import eventlog, idempotency
from hall_server.rawsql import run_sql

if TYPE_CHECKING:
    from hall_server.db import Database

GROUP_MAX = 500  # writes in one group (SQLite)
# PostgreSQL: a savepoint is a subtransaction, and past 64 in one transaction every other
# backend's snapshot gets slower (subtransaction cache overflow)
GROUP_MAX_PG = 48
DEADLOCK = "40P01"  # PostgreSQL SQLSTATE deadlock_detected
GROUP_LOCK = 0x68616C6C  # the advisory lock key of a group ("hall")
# PostgreSQL: group threads. While one group COMMITs (and its callers are answered), the next
# has begun and waits on the lock in the server, so it runs as soon as that COMMIT is done.
LANES_PG = 2
T = TypeVar("T")
Sink = Future | asyncio.Future
Work = Callable[[Connection], Any]


class _OneFailed(Exception):
    """A write of a group run without savepoints failed (its exception is the cause)."""


class _ClaimFailed(Exception):
    """The claims deferred to a group's last statement found a key used meanwhile."""


def lost_deadlock(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == DEADLOCK


class GroupCommit:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._queue: list[tuple[Work, Sink]] = []
        self._cond = threading.Condition()
        self._baton = threading.Lock()  # held by the one group gathering and running writes
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, work: Callable[[Connection], T]) -> T:
        if threading.current_thread() in self._threads:
            raise RuntimeError("a grouped write cannot wait for another grouped write")
        future: Future = Future()
        self._enqueue(work, future)
        return future.result()

    async def submit_async(self, work: Callable[[Connection], T]) -> T:
        future = asyncio.get_running_loop().create_future()
        self._enqueue(work, future)
        return await future

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(5)

    def _enqueue(self, work: Work, sink: Sink) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("database closed")
            self._queue.append((work, sink))
            if not self._threads:
                lanes = 1 if self._database.is_sqlite else LANES_PG
                self._threads = [
                    threading.Thread(target=self._run, name=f"group-commit-{n}", daemon=True)
                    for n in range(lanes)
                ]
                for thread in self._threads:
                    thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while self._my_turn():
            handoff = _Once(self._baton.release)
            try:
                outcomes = self._commit(handoff)
            finally:
                handoff()
            _deliver(outcomes)

    def _my_turn(self) -> bool:
        """Take the baton and wait for work; False (baton let go) once closed and drained."""
        self._baton.acquire()
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._queue:
                return True
        self._baton.release()
        return False

    def _take(self) -> list[tuple[Work, Sink]]:
        with self._cond:
            size = GROUP_MAX if self._database.is_sqlite else GROUP_MAX_PG
            batch, self._queue = self._queue[:size], self._queue[size:]
        return batch

    def _commit(self, handoff: Callable[[], None]) -> list[tuple[Sink, Any, BaseException | None]]:
        batch: list[tuple[Work, Sink]] = []  # taken once the group holds its lock
        try:
            return self._commit_together(batch, handoff)
        except _OneFailed as failed:
            if len(batch) == 1:  # alone: its failure is its answer, not run again
                return [(batch[0][1], None, failed.__cause__)]
            return self._commit_each(batch, handoff)  # rolled back: each in its savepoint
        except _ClaimFailed:
            if len(batch) == 1:  # its key was used meanwhile: claimed at once, KeyTaken
                return self._commit_alone(batch, handoff)
            return self._commit_each(batch, handoff)
        except BaseException as exc:  # noqa: BLE001 - as in _commit_each
            return [(sink, None, exc) for _work, sink in batch]

    def _commit_together(
        self, batch: list[tuple[Work, Sink]], handoff: Callable[[], None], *, defer: bool = True
    ) -> list[tuple[Sink, Any, BaseException | None]]:
        """The usual group, where no write fails: no savepoints, and on PostgreSQL the keys'
        claims written with the events (idempotency.defer_claims), two round trips less a write
        (issue 17). A write that fails rolls the whole group back (_OneFailed), and so does a
        claimed key used meanwhile (_ClaimFailed): the caller runs the writes again. What a
        write does outside its transaction must bear being done twice (logs; after-commit
        hooks only run for what is committed). An empty `batch` is filled with what waits
        once the group holds its lock."""
        outcomes: list[tuple[Sink, Any, BaseException | None]] = []
        defer = defer and not self._database.is_sqlite
        try:
            with self._database.write() as conn:
                self._begin(conn, batch)
                if defer:
                    idempotency.defer_claims(conn)
                for work, sink in batch:
                    try:
                        outcomes.append((sink, work(conn), None))
                    except Exception as exc:
                        raise _OneFailed from exc
                self._flush(conn, handoff)
        except IntegrityError as exc:  # not a write's own: the deferred claims' (eventlog.flush)
            if not defer:
                raise
            raise _ClaimFailed from exc
        return outcomes

    def _commit_alone(
        self, batch: list[tuple[Work, Sink]], handoff: Callable[[], None]
    ) -> list[tuple[Sink, Any, BaseException | None]]:
        try:
            return self._commit_together(batch, handoff, defer=False)
        except _OneFailed as failed:
            return [(batch[0][1], None, failed.__cause__)]
        except BaseException as exc:  # noqa: BLE001 - the caller gets it, whatever it is
            return [(batch[0][1], None, exc)]

    def _commit_each(
        self, batch: list[tuple[Work, Sink]], handoff: Callable[[], None]
    ) -> list[tuple[Sink, Any, BaseException | None]]:
        outcomes: list[tuple[Sink, Any, BaseException | None]] = []
        try:
            with self._database.write() as conn:
                self._begin(conn, batch)
                for work, sink in batch:
                    outcomes.append(self._in_savepoint(conn, work, sink))
                self._flush(conn, handoff)
        except BaseException as exc:  # noqa: BLE001 - the transaction failed: every write in
            # it did (also on a BaseException from one of them: the thread must live on)
            return [(sink, None, exc) for _work, sink in batch]
        return outcomes

    def _in_savepoint(
        self, conn: Connection, work: Work, sink: Sink
    ) -> tuple[Sink, Any, BaseException | None]:
        """One write of a group in its own savepoint, on the cursor: SQLAlchemy's
        begin_nested cost a fifth of the group thread's time on PostgreSQL (issue 17). There
        the savepoint is not released either (a round trip less a write): each nests in the
        one before, at most GROUP_MAX_PG deep, and a ROLLBACK TO goes to the newest of the
        name. SQLite releases it (in process, and its pager checks every open savepoint on
        each page it writes)."""
        mark = eventlog.pending(conn)
        run_sql(conn, "SAVEPOINT grouped")
        try:
            result = work(conn)
        except Exception as exc:  # this write alone fails: its rows and events go
            run_sql(conn, "ROLLBACK TO SAVEPOINT grouped")
            eventlog.drop_since(conn, mark)
            return sink, None, exc
        if self._database.is_sqlite:
            run_sql(conn, "RELEASE SAVEPOINT grouped")
        return sink, result, None

    def _begin(self, conn: Connection, batch: list[tuple[Work, Sink]]) -> None:
        """The group's lock; then, when `batch` is empty, the writes waiting by now. On
        PostgreSQL the lock is granted when the group before COMMITs, so what arrived
        meanwhile joins this group."""
        try:
            if not self._database.is_sqlite:  # SQLite: the write transaction is the lock
                run_sql(conn, f"SELECT pg_advisory_xact_lock({GROUP_LOCK})")
        finally:
            if not batch:  # also when the lock failed: those writes get its error
                batch.extend(self._take())

    @staticmethod
    def _flush(conn: Connection, handoff: Callable[[], None]) -> None:
        """The events (and deferred claims) written; then the next group may begin and
        wait on the lock while this one COMMITs (Database.write's own flush finds nothing)."""
        eventlog.flush(conn)
        handoff()


class _Once:
    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


def _deliver(outcomes: list[tuple[Sink, Any, BaseException | None]]) -> None:
    """Results to their callers: threads directly, each event loop with one hop."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = defaultdict(list)
    for sink, result, error in outcomes:
        if isinstance(sink, Future):
            _settle_one(sink, result, error)
        else:
            by_loop[sink.get_loop()].append((sink, result, error))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, items)


def _settle(items: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    for future, result, error in items:
        if not future.done():  # a request whose client went away was cancelled
            _settle_one(future, result, error)


def _settle_one(future: Sink, result: Any, error: BaseException | None) -> None:
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
