"""The ticket events table: record transitions now, number and write them at commit.

A transition calls `add(conn, …)`; the row is kept on the connection and written by `flush`,
which `Database.write()` calls just before COMMIT. Numbering at the very end matters: the ids
come from the `ticket_events` row of the `counters` table, whose row lock (PostgreSQL) is then
held only from the last statement to COMMIT and is always the last lock a transaction takes
(no deadlock with the service_days row locks), and transactions commit in id order. So ids
are gapless and a reader that has seen id N has seen everything below it: resuming a stream
after N misses nothing. A savepoint rolled back (one refused record of a sync batch) drops
the events recorded inside it. On PostgreSQL the flush also sends `NOTIFY hall_events, '<last
id>'`, which PostgreSQL delivers at commit to every server process (hall_server.live).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hall_server import idempotency
from hall_server.rawsql import Prepared
from hall_server.schema import counters, ticket_events
from hall_server.schema import idempotency as idempotency_table

log = logging.getLogger(__name__)

CHANNEL = "hall_events"  # PostgreSQL LISTEN/NOTIFY channel; payload: the last event id
SEQUENCE = "ticket_events"  # the row in `counters`
_PENDING = "hall_pending_events"
_MARKS = "hall_event_marks"
COMMITTED = "hall_events_committed"  # on the connection's info: the rows a flush wrote
TICKET = "ticket"  # in a recorded row: (number, priority) of its ticket, or None
COUNTER_INFO = "counter_info"  # in a recorded row: (name, area) of its counter, or None
_EVENT_COLUMNS = (
    "pk", "ticket_id", "from_state", "to_state", "at", "counter", "actor_kind", "actor_id",
    "service", "target_service", "reason",
)  # fmt: skip
_INSERT = Prepared(ticket_events.insert().values({c: bindparam(c) for c in _EVENT_COLUMNS}))


def add(
    conn: Connection,
    *,
    ticket_id: str,
    from_state: str | None,
    to_state: str,
    at: datetime,
    service: str,
    actor_kind: str,
    actor_id: str | None,
    counter: str | None = None,
    target_service: str | None = None,
    reason: str | None = None,
    number: str | None = None,
    priority: str | None = None,
    counter_info: tuple[str, str] | None = None,
) -> None:
    """Record one transition in the caller's transaction (written at commit). `number` and
    `priority` (the ticket's, when the caller has them at hand), and for an event at a counter
    `counter_info` (its name and area): this process's event hub then takes the committed
    event as it is instead of reading it back (hall_server.live)."""
    conn.info.setdefault(_PENDING, []).append(
        {
            "ticket_id": ticket_id,
            "from_state": from_state,
            "to_state": to_state,
            "at": at,
            "counter": counter,
            "actor_kind": actor_kind,
            "actor_id": actor_id,
            "service": service,
            "target_service": target_service,
            "reason": reason,
            TICKET: None if number is None else (number, priority),
            COUNTER_INFO: counter_info,
        }
    )


def pending(conn: Connection) -> int:
    return len(conn.info.get(_PENDING, ()))


@functools.cache
def _take_ids_stmt(dialect: str) -> Prepared:
    # Built once and run on the DB-API cursor (hall_server.rawsql): SQLAlchemy's execution
    # cost more than the SQL on the ticket path (py-spy, issue 17).
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return Prepared(
        insert(counters)
        .values(name=SEQUENCE, n=bindparam("count"))
        .on_conflict_do_update(
            index_elements=["name"], set_={"n": counters.c.n + bindparam("count")}
        )
        .returning(counters.c.n)
    )


def _take_ids(conn: Connection, count: int) -> range:
    last = _take_ids_stmt(conn.dialect.name).one(conn, {"count": count})[0]
    return range(last - count + 1, last + 1)


def _unnest(table: Any, columns: Sequence[str], prefix: str = "") -> str:
    """unnest(CAST(:<prefix><column> AS <its type>[]), …): rows sent as one array a column.
    Strings are cast without their length: a cast to varchar(n) cuts a longer value short
    silently, where the column itself refuses it."""
    casts = []
    for column in columns:
        kind = table.c[column].type
        if getattr(kind, "length", None):
            kind = type(kind)()
        casts.append(f"CAST(:{prefix}{column} AS {kind.compile(dialect=postgresql.dialect())}[])")
    return "unnest(" + ", ".join(casts) + ")"


# PostgreSQL: the ids taken, the rows written and the NOTIFY sent in one statement, one round
# trip instead of three at the end of a write transaction (issue 17: the group-commit thread
# runs its statements one round trip at a time); with the deferred claims, when there are. The
# rows go as one array a column, numbered by their place.
_PG_FLUSH_SQL = (
    "WITH ids AS (INSERT INTO counters (name, n) VALUES (:name, :count) "
    "ON CONFLICT (name) DO UPDATE SET n = counters.n + :count RETURNING n), "
    "written AS (INSERT INTO ticket_events (" + ", ".join(_EVENT_COLUMNS) + ") "
    "SELECT ids.n - :count + r.ord, r." + ", r.".join(_EVENT_COLUMNS[1:]) + " FROM ids, "
    + _unnest(ticket_events, _EVENT_COLUMNS[1:]) + " WITH ORDINALITY AS r("
    + ", ".join(_EVENT_COLUMNS[1:]) + ", ord)) "
    "{claims}SELECT n, pg_notify(:channel, CAST(n AS text)) FROM ids"
)
_PG_CLAIMS = (  # a data-modifying WITH item: the deferred claims (idempotency.defer_claims)
    ", claimed AS (INSERT INTO idempotency (" + ", ".join(idempotency.CLAIM_COLUMNS) + ") "
    "SELECT * FROM " + _unnest(idempotency_table, idempotency.CLAIM_COLUMNS, "c_") + ") "
)
_PG_FLUSH = {
    False: Prepared(text(_PG_FLUSH_SQL.format(claims=""))),
    True: Prepared(text(_PG_FLUSH_SQL.format(claims=_PG_CLAIMS))),
}


def _pg_flush(conn: Connection, rows: list[dict[str, Any]], claims: list[dict]) -> range:
    params: dict[str, Any] = {c: [row[c] for row in rows] for c in _EVENT_COLUMNS[1:]}
    params.update({f"c_{c}": [claim[c] for claim in claims] for c in idempotency.CLAIM_COLUMNS})
    params.update(name=SEQUENCE, count=len(rows), channel=CHANNEL)
    last = _PG_FLUSH[bool(claims)].one(conn, params)[0]
    return _numbered(rows, range(last - len(rows) + 1, last + 1))


def _flush_rows(conn: Connection, rows: list[dict[str, Any]]) -> range:
    ids = _numbered(rows, _take_ids(conn, len(rows)))
    if len(rows) == 1:  # the usual case: one transition, one ticket
        _INSERT.execute(conn, rows[0])
    else:
        _INSERT.execute_many(conn, rows)
    return ids


def _numbered(rows: list[dict[str, Any]], ids: range) -> range:
    for pk, row in zip(ids, rows, strict=True):
        row["pk"] = pk
    return ids


def flush(conn: Connection) -> int | None:
    """Write the recorded events (call last in the transaction), and the Idempotency-Key
    claims deferred to here (on PostgreSQL in the same statement); returns the last id."""
    rows = conn.info.pop(_PENDING, None)
    claims = idempotency.take_deferred(conn)
    conn.info.pop(_MARKS, None)
    postgres = conn.dialect.name == "postgresql"
    if claims and not (rows and postgres):
        idempotency.write_claims(conn, claims)
        claims = []
    if not rows:
        return None
    ids = _pg_flush(conn, rows, claims) if postgres else _flush_rows(conn, rows)
    conn.info[COMMITTED] = rows  # each with its "pk"
    return ids[-1]


def drop_since(conn: Connection, mark: int) -> None:
    """A savepoint not made by SQLAlchemy (group_commit) rolled back: forget the events
    recorded after `mark` (pending() when it was made)."""
    if _PENDING in conn.info:
        del conn.info[_PENDING][mark:]


def discard(conn: Connection) -> None:
    """The transaction rolled back: forget what it recorded."""
    if conn.invalidated:  # the connection was lost (its info went with it): nothing to do
        return
    conn.info.pop(_PENDING, None)
    idempotency.take_deferred(conn)
    conn.info.pop(_MARKS, None)
    conn.info.pop(COMMITTED, None)


def install(engine: Engine) -> None:
    """Keep recorded events in step with savepoints (a rolled-back savepoint drops its own)."""

    # Savepoints nest LIFO, so a stack of marks (the `savepoint` event gets no name yet).
    @event.listens_for(engine, "savepoint")
    def _savepoint(conn: Connection, _name: str | None) -> None:
        conn.info.setdefault(_MARKS, []).append(pending(conn))

    @event.listens_for(engine, "rollback_savepoint")
    def _rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        marks = conn.info.get(_MARKS)
        if marks:
            mark = marks.pop()
            if _PENDING in conn.info:
                del conn.info[_PENDING][mark:]

    @event.listens_for(engine, "release_savepoint")
    def _release_savepoint(conn: Connection, _name: str, _context: Any) -> None:
        marks = conn.info.get(_MARKS)
        if marks:
            marks.pop()

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        discard(conn)


def last_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(ticket_events.c.pk), 0))).scalar_one())
