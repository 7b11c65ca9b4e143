"""The ticket lifecycle at the counters (窗口).

    waiting ──call──> called ──start──> serving ──finish──> served
                        │ ↺ recall         │
                        ├──no-show──> no_show ──requeue (once)──> waiting
                        ├──transfer (also from serving)──> waiting in the target service
                        └──hold (also from serving)──> held ──resume──> called
                                                           └──return──> waiting
    any open state (and no_show) ──cancel──> cancelled;  open at midnight ──> expired

Every function runs inside the caller's write transaction, locks what it changes (the counter
row first, then the ticket rows: PostgreSQL serialises two clerks on one counter, and
call-next's service_days locks keep two counters from taking one ticket), checks the ticket's
state, and records exactly one event per transition (hall_server.eventlog). A refused
transition raises before anything is written, so nothing is half-applied.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from common.errors import (
    AUTH_FORBIDDEN,
    COUNTER_BUSY,
    COUNTER_IDLE,
    COUNTER_UNKNOWN,
    NOT_FOUND,
    NOTHING_WAITING,
    REQUEUE_USED,
    SERVICE_UNKNOWN,
    TICKET_WRONG_STATE,
    TRANSFER_TARGET_CLOSED,
    TRANSFER_TARGET_UNKNOWN,
    VALIDATION,
    KioskError,
)
from hall_server import eventlog, notify_hooks
from hall_server.actor import SYSTEM, Actor
from hall_server.clock import as_utc, business_date
from hall_server.db import Database
from hall_server.queue import (
    CALLED,
    CANCELLED,
    EXPIRED,
    HELD,
    NO_SHOW,
    OPEN_STATES,
    SERVED,
    SERVING,
    WAITING,
    effective_status,
    service_row,
    ticket_dict,
)
from hall_server.schema import hall_counters, queue_services, service_days, tickets

log = logging.getLogger(__name__)

AT_COUNTER = (CALLED, SERVING)
COUNTER_STATES = ("open", "paused", "closed")
NEXT_CALLED = "next_called"
DAY_ENDED = "business_day_ended"
_t = tickets.c


@dataclass(frozen=True)
class Hall:
    """What a transition needs from the hall context."""

    now: datetime
    zone: ZoneInfo
    base_url: str
    priority_run: int

    @property
    def today(self) -> date:
        return business_date(self.now, self.zone)


# --- reading --------------------------------------------------------------------------------
# The statements of every counter transition are built once, with bind parameters: building
# one per call (and its cache key, and an expanding IN list) cost more CPU than running it
# (py-spy under bench/bench_hall.py).
_COUNTER = select(hall_counters).where(
    hall_counters.c.code == bindparam("code"), hall_counters.c.configured.is_(True)
)
_COUNTER_LOCKED = _COUNTER.with_for_update()
_CURRENT = (
    select(tickets)
    .where(_t.counter == bindparam("counter"), or_(*(_t.status == s for s in AT_COUNTER)))
    .order_by(_t.called_at.desc(), _t.pk.desc())
)
_CURRENT_LOCKED = _CURRENT.with_for_update()


def counter_row(conn: Connection, code: str, *, lock: bool = False) -> Any:
    row = conn.execute(_COUNTER_LOCKED if lock else _COUNTER, {"code": code}).first()
    if row is None:
        raise KioskError(COUNTER_UNKNOWN, code)
    return row


_ALL_SERVICES = select(queue_services)


def counter_service_rows(conn: Connection, counter: Any) -> dict[str, Any]:
    """The service rows whose `counters` list names this counter, by code."""
    rows = conn.execute(_ALL_SERVICES).all()
    return {r.code: r for r in rows if counter.code in json.loads(r.counters or "[]")}


def counter_services(conn: Connection, counter: Any) -> list[str]:
    """The services whose `counters` list names this counter, in the counter's order."""
    mine = counter_service_rows(conn, counter)
    order = [s for s in json.loads(counter.services or "[]") if s in mine]
    return order + sorted(set(mine) - set(order))


def _ticket(conn: Connection, ticket_id: str, *, lock: bool = True) -> Any:
    stmt = select(tickets).where(_t.id == ticket_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise KioskError(NOT_FOUND, "no such ticket")
    return row


def _current(conn: Connection, counter: str, *, lock: bool = True) -> Any:
    """The ticket called to or served at this counter (at most one), or None."""
    return conn.execute(_CURRENT_LOCKED if lock else _CURRENT, {"counter": counter}).first()


def _require(row: Any, allowed: tuple[str, ...], today: date, action: str) -> None:
    state = effective_status(row, today)
    if state not in allowed:
        raise KioskError(
            TICKET_WRONG_STATE,
            f"ticket {row.number} is {state}; {action} needs {' or '.join(allowed)}",
            fields={"state": state, "ticket_id": row.id},
        )


def _reply_row(row: Any, service: Any, hall: Hall) -> dict:
    """The reply from a row in hand (an UPDATE … RETURNING): no second read."""
    return ticket_dict(row, service, 0, hall.base_url)


# --- the one way a ticket changes state ------------------------------------------------------
@functools.cache
def _move_stmt(columns: tuple[str, ...]) -> Any:
    """The guarded UPDATE … RETURNING of one set of columns, built once per set."""
    return (
        update(tickets)
        .where(_t.pk == bindparam("m_pk"), _t.status == bindparam("m_from"))
        .values({c: bindparam(f"m_{c}", type_=tickets.c[c].type) for c in columns})
        .returning(tickets)
    )


def _move(
    conn: Connection,
    row: Any,
    to_state: str,
    *,
    actor: Actor,
    at: datetime,
    at_counter: str | None,
    reason: str | None = None,
    target_service: str | None = None,
    counter_info: tuple[str, str] | None = None,
    **values: Any,
) -> Any:
    """Change one ticket's state (guarded by its current state), record the event and return
    the updated row. The guard also covers a ticket read without a row lock (call-next's
    candidate): one changed meanwhile matches no row and is refused."""
    values.update(status=to_state, reason=reason)
    params = {f"m_{k}": v for k, v in values.items()}
    stmt = _move_stmt(tuple(sorted(values)))
    moved = conn.execute(stmt, {"m_pk": row.pk, "m_from": row.status, **params}).first()
    if moved is None:  # cannot happen under the row lock; refuse rather than guess
        raise KioskError(TICKET_WRONG_STATE, f"ticket {row.number} changed meanwhile")
    eventlog.add(
        conn,
        ticket_id=row.id,
        from_state=row.status,
        to_state=to_state,
        at=at,
        service=row.service,
        target_service=target_service,
        counter=at_counter,
        actor_kind=actor.kind,
        actor_id=actor.id,
        reason=reason,
        # the hub then takes the event as it is (no read back) when nothing is left to look up
        number=moved.number if at_counter is None or counter_info else None,
        priority=moved.priority,
        counter_info=counter_info,
    )
    return moved


def _set_counter_state(conn: Connection, code: str, state: str, now: datetime) -> None:
    conn.execute(
        update(hall_counters)
        .where(hall_counters.c.code == code)
        .values(state=state, updated_at=now)
    )


# --- counter transitions ---------------------------------------------------------------------
@functools.cache
def _lock_day_stmt(dialect: str) -> Any:
    """Create the (service, day) row if missing and lock it, in one statement: an upsert that
    rewrites priority_run with itself takes the row lock (PostgreSQL) and returns the run.
    Built once (bind parameters), so it costs no statement compilation per call."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return (
        insert(service_days)
        .values(
            service=bindparam("service", type_=service_days.c.service.type),
            business_date=bindparam("day", type_=service_days.c.business_date.type),
            n=0,
            offline=0,
            priority_run=0,
        )
        .on_conflict_do_update(
            index_elements=["service", "business_date"],
            set_={"priority_run": service_days.c.priority_run},
        )
        .returning(service_days.c.priority_run)
    )


def _candidates_stmt() -> Any:
    """A service's two heads of queue in one statement: the first priority ticket and the
    first regular one (each from ix_tickets_waiting, LIMIT 1)."""
    heads = []
    for is_priority in (True, False):
        base = select(tickets).where(
            _t.service == bindparam("service"),
            _t.business_date == bindparam("day"),
            _t.status == WAITING,
            _t.priority.is_not(None) if is_priority else _t.priority.is_(None),
        )
        # The priority head sorts its few rows: ordered by the bare column, SQLite walked
        # ix_tickets_queue through every waiting ticket of the service looking for one.
        first = func.coalesce(_t.queued_at, _t.queued_at) if is_priority else _t.queued_at
        head = base.order_by(first, _t.pk).limit(1).subquery()
        heads.append(select(head))
    return union_all(*heads)


_CANDIDATES = _candidates_stmt()
_SET_RUN = (
    update(service_days)
    .where(
        service_days.c.service == bindparam("b_service"),
        service_days.c.business_date == bindparam("b_day"),
    )
    .values(priority_run=bindparam("b_run"))
)


def _lock_days(conn: Connection, codes: list[str], day: date) -> dict[str, int]:
    """Lock each service's day row in code order (no deadlock between counters on
    PostgreSQL; SQLite is serialised by the write lock already); returns the priority runs."""
    stmt = _lock_day_stmt(conn.dialect.name)
    return {code: conn.execute(stmt, {"service": code, "day": day}).scalar_one() for code in codes}


def _next_in(conn: Connection, code: str, day: date, run: int, limit: int) -> Any:
    """The ticket the priority rule calls next in one service (given its current run)."""
    heads = conn.execute(_CANDIDATES, {"service": code, "day": day}).all()
    prio = next((r for r in heads if r.priority is not None), None)
    normal = next((r for r in heads if r.priority is None), None)
    if prio is not None and run < limit:
        return prio
    return normal if normal is not None else prio


def _choose(conn: Connection, codes: list[str], day: date, hall: Hall) -> tuple[Any, int]:
    """Lock the day rows, pick the next ticket across the services (a priority candidate
    first, then the longest waiting); returns it and its service's run before the call."""
    runs = _lock_days(conn, codes, day)
    found = (_next_in(conn, code, day, runs[code], hall.priority_run) for code in codes)
    candidates = [c for c in found if c is not None]
    if not candidates:
        return None, 0
    chosen = min(candidates, key=lambda r: (r.priority is None, as_utc(r.queued_at), r.pk))
    return chosen, runs[chosen.service]


def _finish_previous(
    conn: Connection, counter: str, actor: Actor, hall: Hall, info: tuple[str, str]
) -> None:
    """The counter's previous ticket ends as the next one is called: serving → served,
    called → no_show (reason next_called), one of a past day → expired. `info`: the counter's
    name and area, for its events."""
    previous = _current(conn, counter)
    if previous is None:
        return
    now = hall.now
    if previous.business_date < hall.today:
        _move(conn, previous, EXPIRED, actor=actor, at=now, at_counter=counter,
              reason=DAY_ENDED, counter_info=info)
        return
    to_state = SERVED if previous.status == SERVING else NO_SHOW
    _move(
        conn,
        previous,
        to_state,
        actor=actor,
        at=now,
        at_counter=counter,
        reason=NEXT_CALLED,
        counter_info=info,
        finished_at=now,
    )


def call_next(
    conn: Connection,
    database: Database,
    *,
    counter: str,
    services: list[str] | None,
    actor: Actor,
    hall: Hall,
) -> dict:
    """Call the next ticket to a counter by the priority rule (across its services: a priority
    candidate first, then the longest waiting). Its previous ticket is finished explicitly:
    serving → served, called → no_show (reason next_called). Opens a paused/closed counter.
    The candidate is read without a row lock: the day-row locks keep other counters off it,
    and `_move`'s state guard refuses it if a cancel got in first."""
    actor.check_counter(counter)
    now, day = hall.now, hall.today
    crow = counter_row(conn, counter, lock=True)
    if services:
        rows = {code: service_row(conn, code) for code in services}
    else:
        rows = counter_service_rows(conn, crow)
    chosen, run = _choose(conn, sorted(rows), day, hall)
    if chosen is None:
        raise KioskError(NOTHING_WAITING, counter)
    info = (crow.name, crow.area)
    _finish_previous(conn, counter, actor, hall, info)
    called = _move(
        conn,
        chosen,
        CALLED,
        actor=actor,
        at=now,
        at_counter=counter,
        counter_info=info,
        counter=counter,
        called_at=now,
        started_at=None,
        staff=actor.staff_id,
    )
    new_run = run + 1 if chosen.priority is not None else 0
    if new_run != run:
        conn.execute(_SET_RUN, {"b_service": chosen.service, "b_day": day, "b_run": new_run})
    if crow.state != "open":
        _set_counter_state(conn, counter, "open", now)
    log.info("counter %s called %s", counter, chosen.number)
    return _reply_row(called, rows[chosen.service], hall)


def _current_or_idle(conn: Connection, counter: str, actor: Actor) -> Any:
    actor.check_counter(counter)
    counter_row(conn, counter, lock=True)
    row = _current(conn, counter)
    if row is None:
        raise KioskError(COUNTER_IDLE, counter)
    return row


def recall(conn: Connection, *, counter: str, actor: Actor, hall: Hall) -> dict:
    """Call the current ticket again (same state, a new event: the display announces it)."""
    row = _current_or_idle(conn, counter, actor)
    _require(row, (CALLED,), hall.today, "recall")
    moved = _move(conn, row, CALLED, actor=actor, at=hall.now, at_counter=counter, reason="recall")
    return _reply_row(moved, service_row(conn, moved.service), hall)


def start(conn: Connection, *, counter: str, actor: Actor, hall: Hall) -> dict:
    row = _current_or_idle(conn, counter, actor)
    _require(row, (CALLED,), hall.today, "start")
    moved = _move(
        conn,
        row,
        SERVING,
        actor=actor,
        at=hall.now,
        at_counter=counter,
        started_at=hall.now,
        staff=actor.staff_id or row.staff,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def finish(
    conn: Connection, *, counter: str, actor: Actor, hall: Hall, result: str | None = None
) -> dict:
    row = _current_or_idle(conn, counter, actor)
    _require(row, (SERVING,), hall.today, "finish")
    moved = _move(
        conn,
        row,
        SERVED,
        actor=actor,
        at=hall.now,
        at_counter=counter,
        reason=result,
        finished_at=hall.now,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def no_show(conn: Connection, *, counter: str, actor: Actor, hall: Hall) -> dict:
    row = _current_or_idle(conn, counter, actor)
    _require(row, (CALLED,), hall.today, "no-show")
    moved = _move(
        conn, row, NO_SHOW, actor=actor, at=hall.now, at_counter=counter, finished_at=hall.now
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def transfer(conn: Connection, *, counter: str, target: str, actor: Actor, hall: Hall) -> dict:
    """The same ticket (id, number, issue time) waits in another service, placed by the
    priority rules at its original queue time; the event names both services."""
    row = _current_or_idle(conn, counter, actor)
    _require(row, AT_COUNTER, hall.today, "transfer")
    try:
        svc = service_row(conn, target)
    except KioskError as exc:
        if exc.error.code == SERVICE_UNKNOWN.code:
            raise KioskError(TRANSFER_TARGET_UNKNOWN, target) from None
        raise
    if not svc.open:
        raise KioskError(TRANSFER_TARGET_CLOSED, target)
    if svc.code == row.service:
        raise KioskError(VALIDATION, f"ticket {row.number} is already in service {target}")
    moved = _move(
        conn,
        row,
        WAITING,
        actor=actor,
        at=hall.now,
        at_counter=counter,
        target_service=target,
        reason="transfer",
        service=target,
        counter=None,
        called_at=None,
        started_at=None,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def hold(conn: Connection, *, counter: str, actor: Actor, hall: Hall) -> dict:
    """Park the current ticket at this counter (the citizen fetches a document, …)."""
    row = _current_or_idle(conn, counter, actor)
    _require(row, AT_COUNTER, hall.today, "hold")
    moved = _move(conn, row, HELD, actor=actor, at=hall.now, at_counter=counter)
    return _reply_row(moved, service_row(conn, moved.service), hall)


def _held_here(conn: Connection, counter: str, ticket_id: str, actor: Actor, hall: Hall) -> Any:
    actor.check_counter(counter)
    counter_row(conn, counter, lock=True)
    row = _ticket(conn, ticket_id)
    _require(row, (HELD,), hall.today, "resume or return")
    if row.counter != counter:
        raise KioskError(
            TICKET_WRONG_STATE,
            f"ticket {row.number} is held at counter {row.counter}",
            fields={"state": HELD, "ticket_id": row.id, "counter": row.counter},
        )
    return row


def resume(conn: Connection, *, counter: str, ticket_id: str, actor: Actor, hall: Hall) -> dict:
    """A ticket held here becomes this counter's current ticket again (called)."""
    row = _held_here(conn, counter, ticket_id, actor, hall)
    busy = _current(conn, counter)
    if busy is not None:
        raise KioskError(COUNTER_BUSY, f"counter {counter} has {busy.number} ({busy.status})")
    moved = _move(
        conn,
        row,
        CALLED,
        actor=actor,
        at=hall.now,
        at_counter=counter,
        reason="resume",
        called_at=hall.now,
        staff=actor.staff_id or row.staff,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def return_to_queue(
    conn: Connection, *, counter: str, ticket_id: str, actor: Actor, hall: Hall
) -> dict:
    """A ticket held here waits again in its service, at its old queue place."""
    row = _held_here(conn, counter, ticket_id, actor, hall)
    moved = _move(
        conn,
        row,
        WAITING,
        actor=actor,
        at=hall.now,
        at_counter=counter,
        reason="returned",
        counter=None,
        called_at=None,
        started_at=None,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def set_state(conn: Connection, *, counter: str, state: str, actor: Actor, hall: Hall) -> dict:
    """open / paused / closed. Closing needs no current ticket; tickets held at a closing
    counter go back to waiting (reason counter_closed)."""
    if state not in COUNTER_STATES:
        raise KioskError(VALIDATION, f"state must be one of {', '.join(COUNTER_STATES)}")
    actor.check_counter(counter)
    counter_row(conn, counter, lock=True)
    if state == "closed":
        busy = _current(conn, counter)
        if busy is not None:
            raise KioskError(COUNTER_BUSY, f"counter {counter} has {busy.number} ({busy.status})")
        held = conn.execute(
            select(tickets)
            .where(_t.counter == counter, _t.status == HELD)
            .order_by(_t.pk)
            .with_for_update()
        ).all()
        for row in held:
            _move(
                conn,
                row,
                WAITING,
                actor=actor,
                at=hall.now,
                at_counter=counter,
                reason="counter_closed",
                counter=None,
                called_at=None,
                started_at=None,
            )
    _set_counter_state(conn, counter, state, hall.now)
    log.info("counter %s %s", counter, state)
    return counter_view(conn, counter, hall)


# --- ticket transitions outside a counter ----------------------------------------------------
def cancel(
    conn: Connection, *, ticket_id: str, actor: Actor, hall: Hall, reason: str | None = None
) -> dict:
    """Void a ticket: by the kiosk that issued it, a counter or an admin."""
    row = _ticket(conn, ticket_id)
    if actor.kind == "device" and actor.role == "kiosk" and row.device_id != actor.id:
        raise KioskError(AUTH_FORBIDDEN, "a kiosk may cancel only the tickets it issued")
    _require(row, (*OPEN_STATES, NO_SHOW), hall.today, "cancel")
    moved = _move(
        conn,
        row,
        CANCELLED,
        actor=actor,
        at=hall.now,
        at_counter=row.counter,
        reason=reason or "cancelled",
        finished_at=hall.now,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def requeue(conn: Connection, *, ticket_id: str, actor: Actor, hall: Hall) -> dict:
    """过号: a no-show comes back once, `requeue_behind` places behind the head of its
    service (among tickets of its own kind, priority or normal); a second no-show is final."""
    row = _ticket(conn, ticket_id)
    if row.status == NO_SHOW and row.requeues >= 1:
        raise KioskError(
            REQUEUE_USED, f"ticket {row.number}", fields={"state": NO_SHOW, "ticket_id": row.id}
        )
    _require(row, (NO_SHOW,), hall.today, "requeue")
    if row.business_date != hall.today:
        raise KioskError(
            TICKET_WRONG_STATE,
            f"ticket {row.number} is of another business day",
            fields={"state": EXPIRED, "ticket_id": row.id},
        )
    svc = service_row(conn, row.service)
    queued_at = _place_behind(conn, row, svc.requeue_behind, hall.now)
    moved = _move(
        conn,
        row,
        WAITING,
        actor=actor,
        at=hall.now,
        at_counter=row.counter,
        reason="requeue",
        counter=None,
        called_at=None,
        started_at=None,
        finished_at=None,
        queued_at=queued_at,
        requeues=row.requeues + 1,
    )
    return _reply_row(moved, service_row(conn, moved.service), hall)


def _place_behind(conn: Connection, row: Any, behind: int, now: datetime) -> datetime:
    """A queue time that puts the ticket `behind` places after the head of its kind."""
    same_kind = _t.priority.is_not(None) if row.priority is not None else _t.priority.is_(None)
    ahead = (
        conn.execute(
            select(_t.queued_at)
            .where(
                _t.service == row.service,
                _t.business_date == row.business_date,
                _t.status == WAITING,
                same_kind,
            )
            .order_by(_t.queued_at, _t.pk)
            .limit(behind + 1)
        )
        .scalars()
        .all()
    )
    ahead = [as_utc(a) for a in ahead]
    step = timedelta(microseconds=1)
    if len(ahead) <= behind:  # fewer waiting: the end of the queue
        return max([now, *(a + step for a in ahead)])
    if behind == 0:
        return ahead[0] - step
    before, after = ahead[behind - 1], ahead[behind]
    return before + (after - before) / 2 if after - before > step else before


# --- midnight ---------------------------------------------------------------------------------
def expire_open_tickets(conn: Connection, *, today: date, now: datetime) -> int:
    """Every open ticket of a past business date becomes expired (the event keeps the state
    it was in and the reason). Returns how many."""
    rows = conn.execute(
        select(tickets)
        .where(_t.status.in_(OPEN_STATES), _t.business_date < today)
        .order_by(_t.pk)
        .with_for_update()
    ).all()
    for row in rows:
        _move(
            conn,
            row,
            EXPIRED,
            actor=SYSTEM,
            at=now,
            at_counter=row.counter,
            reason=DAY_ENDED,
            finished_at=now,
        )
    if rows:
        log.info("expired %d open tickets of past business days", len(rows))
    return len(rows)


def sweep(database: Database, *, now: datetime, zone: ZoneInfo) -> int:
    """The midnight expiry as one transaction (the server's background loop calls it; tests
    call it with a settable clock's time)."""
    today = business_date(now, zone)
    with database.write() as conn:
        expired = expire_open_tickets(conn, today=today, now=now)
        notify_hooks.forget_past_days(conn, today)  # SMS numbers live for their ticket's day
        return expired


# --- views -----------------------------------------------------------------------------------
def _waiting(conn: Connection, day: date, now: datetime, codes: list[str] | None) -> list[dict]:
    stmt = (
        select(_t.service, func.count(), func.min(_t.queued_at))
        .where(_t.business_date == day, _t.status == WAITING)
        .group_by(_t.service)
    )
    counts = {r[0]: (int(r[1]), r[2]) for r in conn.execute(stmt)}
    services = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    ).all()
    by_code = {s.code: s for s in services}
    order = codes if codes is not None else [s.code for s in services]
    out = []
    for code in order:
        svc = by_code.get(code)
        if svc is None:
            continue
        n, oldest = counts.get(code, (0, None))
        out.append(
            {
                "service": code,
                "name": svc.name,
                "name_en": svc.name_en,
                "waiting": n,
                "open": bool(svc.open),
                "longest_wait_s": _seconds(now, oldest),
            }
        )
    return out


def _seconds(now: datetime, since: datetime | None) -> int | None:
    if since is None:
        return None
    return max(0, int((now - as_utc(since)).total_seconds()))


def counter_view(conn: Connection, counter: str, hall: Hall) -> dict:
    crow = counter_row(conn, counter)
    current = _current(conn, counter, lock=False)
    held = conn.execute(
        select(tickets).where(_t.counter == counter, _t.status == HELD).order_by(_t.pk)
    ).all()
    services = counter_services(conn, crow)

    def view(row: Any) -> dict:
        return ticket_dict(
            row,
            service_row(conn, row.service),
            0,
            hall.base_url,
            effective_status(row, hall.today),
        )

    return {
        "code": crow.code,
        "name": crow.name,
        "name_en": crow.name_en,
        "area": crow.area,
        "state": crow.state,
        "services": services,
        "current": view(current) if current is not None else None,
        "held": [view(r) for r in held],
        "waiting": _waiting(conn, hall.today, hall.now, services),
    }


def overview(conn: Connection, hall: Hall) -> dict:
    services = _waiting(conn, hall.today, hall.now, None)
    counters = conn.execute(
        select(hall_counters)
        .where(hall_counters.c.configured.is_(True))
        .order_by(hall_counters.c.sort, hall_counters.c.code)
    ).all()
    current = {
        r.counter: r
        for r in conn.execute(
            select(_t.counter, _t.number, _t.status).where(
                _t.status.in_(AT_COUNTER), _t.business_date == hall.today
            )
        )
    }
    waits = [s["longest_wait_s"] for s in services if s["longest_wait_s"] is not None]
    return {
        "business_date": hall.today,
        "services": services,
        "counters": [
            {
                "code": c.code,
                "name": c.name,
                "area": c.area,
                "state": c.state,
                "current_number": current[c.code].number if c.code in current else None,
                "current_status": current[c.code].status if c.code in current else None,
            }
            for c in counters
        ],
        "counters_open": sum(1 for c in counters if c.state == "open"),
        "waiting": sum(s["waiting"] for s in services),
        "longest_wait_s": max(waits) if waits else None,
    }
