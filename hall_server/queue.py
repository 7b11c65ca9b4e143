"""The queue: ticket issue, live position, the call order, services.

Numbering: the service prefix + a daily counter (A001, A002 …). The counter is one row per
(service, business date) bumped with an atomic upsert (`… ON CONFLICT DO UPDATE SET n = n + 1
RETURNING n`), so no two tickets get one number, and a new business date (the hall's local
midnight) starts at 1 again. Ticket ids are permanent UUIDs; numbers repeat day to day.

Call order (the priority rule, also what `people_ahead` predicts):
- within a service, waiting tickets of the business day are in queue order (queued_at: the
  issue time, except a requeued no-show, which is placed a few places behind the head);
- priority tickets (绿色通道 reasons, and appointment check-ins) are called before normal ones,
  but after `queue.priority_run` priority calls in a row (PRIORITY_RUN by default) the
  longest-waiting normal ticket is called next, so normal tickets are never starved
  (NovoSGA #431/#222);
- `people_ahead` is a snapshot: tickets that arrive later (priority ones) may still pass.
Offline tickets (numbered by a kiosk during an outage, e.g. A-K3-017) keep their number and
their original issue time; they are accepted even past the daily cap or after closing,
because the citizen already holds the paper. The per-ID daily limit applies to them too
(the kiosk keeps a refused one visible to the technician: docs/offline-tickets.md).
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from common import urls
from common.errors import (
    APPOINTMENT_INVALID,
    CHECKIN_LATE,
    CHECKIN_TOO_EARLY,
    DAILY_CAP_REACHED,
    HOLDER_ALREADY_WAITING,
    HOLDER_LIMIT_REACHED,
    NOT_FOUND,
    OFFLINE_NUMBER_FOREIGN,
    OFFLINE_NUMBER_TAKEN,
    SERVICE_CLOSED,
    SERVICE_UNKNOWN,
    VALIDATION,
    KioskError,
)
from common.wire import TicketRequest
from hall_server import eventlog
from hall_server.clock import as_utc, business_date, iso_utc
from hall_server.rawsql import Prepared
from hall_server.schema import (
    appointments,
    devices,
    holder_days,
    queue_services,
    service_days,
    tickets,
    waiting_counts,
)

log = logging.getLogger(__name__)

PRIORITY_RUN = 3  # default of queue.priority_run: priority calls in a row before a normal one
WAITING, CALLED, SERVING, SERVED = "waiting", "called", "serving", "served"
NO_SHOW, HELD, CANCELLED, EXPIRED = "no_show", "held", "cancelled", "expired"
OPEN_STATES = (WAITING, CALLED, SERVING, HELD)  # expire at the hall's midnight
APPOINTMENT_PRIORITY = "appointment"


# The request path reuses prebuilt statements: building SQLAlchemy constructs per call cost
# more than the SQL itself (measured with cProfile on a 500-record batch); the ticket path
# runs them on the DB-API cursor (hall_server.rawsql, issue 17).
_SERVICE_BY_CODE = select(queue_services).where(queue_services.c.code == bindparam("code"))
_qs = queue_services.c
_SERVICE_FOR_TICKET = Prepared(
    select(_qs.prefix, _qs.name, _qs.name_en, _qs.open, _qs.daily_cap).where(
        _qs.code == bindparam("code")
    )
)
_TICKET_COLUMNS = (
    "id", "number", "service", "business_date", "seq", "priority", "holder", "appointment",
    "device_id", "issued_at", "queued_at", "offline", "status",
)  # fmt: skip
_INSERT_TICKET = Prepared(
    tickets.insert()
    .values({name: bindparam(name) for name in _TICKET_COLUMNS})
    .returning(tickets.c.pk)
)
_t = tickets.c
_BEFORE = or_(
    _t.queued_at < bindparam("queued_at"),
    and_(_t.queued_at == bindparam("queued_at"), _t.pk < bindparam("pk")),
)
_IS_PRIO = _t.priority.is_not(None)
_AHEAD_COUNTS = Prepared(select(
    func.coalesce(func.sum(case((and_(_IS_PRIO, _BEFORE), 1), else_=0)), 0),
    func.coalesce(func.sum(case((_IS_PRIO, 1), else_=0)), 0),
    func.coalesce(func.sum(case((and_(~_IS_PRIO, _BEFORE), 1), else_=0)), 0),
    func.coalesce(func.sum(case((~_IS_PRIO, 1), else_=0)), 0),
).where(
    _t.service == bindparam("service"),
    _t.business_date == bindparam("day"),
    _t.status == WAITING,
    _t.pk != bindparam("pk"),
))
_wc = waiting_counts.c


def _kept_count(is_priority: bool) -> Any:
    return (
        select(func.coalesce(func.max(_wc.n), 0))
        .where(
            _wc.service == bindparam("service"),
            _wc.business_date == bindparam("day"),
            _wc.priority.is_(is_priority),
        )
        .scalar_subquery()
    )


# queued after (queued_at, pk); the `>=` bound lets the index seek to the end of the line
# (with the OR alone PostgreSQL's generic plan walked the whole line)
_NOT_BEFORE = and_(
    _t.queued_at >= bindparam("queued_at"),
    or_(_t.queued_at > bindparam("queued_at"), _t.pk > bindparam("pk")),
)
# (kept priority count, kept normal count, another waiting ticket of the class queued after
# this one?) in one statement: one round trip, like the count it replaces
_LAST_IN_CLASS = {
    is_priority: Prepared(select(
        _kept_count(True),
        _kept_count(False),
        exists().where(
            _t.service == bindparam("service"),
            _t.business_date == bindparam("day"),
            _t.status == WAITING,
            _IS_PRIO if is_priority else ~_IS_PRIO,
            _t.pk != bindparam("pk"),
            _NOT_BEFORE,
        ),
    ))
    for is_priority in (False, True)
}
_PRIORITY_RUN = Prepared(select(service_days.c.priority_run).where(
    service_days.c.service == bindparam("service"), service_days.c.business_date == bindparam("day")
))


@functools.cache
def _upserts(dialect: str) -> dict[str, Prepared]:
    """Counter upserts for one dialect (SQLite and PostgreSQL share the syntax)."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    out: dict[str, Any] = {}
    for column in ("n", "offline"):
        stmt = insert(service_days).values(
            service=bindparam("service"),
            business_date=bindparam("day"),
            n=bindparam("n0"),
            offline=bindparam("off0"),
            priority_run=0,
        )
        out[column] = Prepared(
            stmt.on_conflict_do_update(
                index_elements=["service", "business_date"],
                set_={column: service_days.c[column] + 1},
            ).returning(service_days.c.n, service_days.c.priority_run)
        )
    stmt = insert(holder_days).values(
        holder=bindparam("holder"), business_date=bindparam("day"), n=1
    )
    out["holder"] = Prepared(
        stmt.on_conflict_do_update(
            index_elements=["holder", "business_date"], set_={"n": holder_days.c.n + 1}
        ).returning(holder_days.c.n)
    )
    return out


def ticket_url(base_url: str, ticket_id: str) -> str:
    return urls.ticket_url(base_url, ticket_id)


# PREFIX-TAG-NNN: the service prefix, the issuing kiosk's tag (K3; or the first four hex
# digits of its id for kiosks enrolled before tags), its own daily counter.
_OFFLINE_NUMBER = re.compile(r"([A-Z]{1,4})-([A-Z0-9]{1,16})-([0-9]{1,6})")


def device_number_tag(device_id: str, tag: str | None) -> str:
    """The tag this device puts in its offline numbers (kiosk/ops/credentials.py's kiosk_tag)."""
    return tag or device_id.replace("-", "")[:4].upper()


def check_offline_number(conn: Connection, number: str, *, prefix: str, device_tag: str) -> None:
    """An offline number belongs to one service and to the kiosk that holds its tag: no other
    device may claim it, or it takes the number the real holder printed (issue 15). A tag no
    active device holds (a kiosk re-enrolled without --replace, a store from before tags) is
    nobody else's and is accepted."""
    match = _OFFLINE_NUMBER.fullmatch(number)
    if match is None:
        raise KioskError(VALIDATION, "offline_number must be PREFIX-TAG-NNN (e.g. A-K3-017)")
    if match.group(1) != prefix:
        raise KioskError(
            VALIDATION, f"offline_number {number} is not of this service (prefix {prefix})"
        )
    tag = match.group(2)
    if tag == device_tag:
        return
    held = conn.execute(_ACTIVE_TAG_HOLDER, {"tag": tag}).first()
    if held is not None:
        raise KioskError(OFFLINE_NUMBER_FOREIGN, f"{number}: tag {tag} is another device's")


_ACTIVE_TAG_HOLDER = select(devices.c.id).where(
    devices.c.tag == bindparam("tag"), devices.c.revoked_at.is_(None)
)


def service_row(conn: Connection, code: str) -> Any:
    row = conn.execute(_SERVICE_BY_CODE, {"code": code}).first()
    if row is None:
        raise KioskError(SERVICE_UNKNOWN, code)
    return row


def _bump_day(conn: Connection, service: str, day: date, *, offline: bool) -> tuple[int, int]:
    """Atomically count one ticket for (service, day); returns the online counter value and
    the service's current run of priority calls (for people_ahead, without another query)."""
    stmt = _upserts(conn.dialect.name)["offline" if offline else "n"]
    params = {
        "service": service,
        "day": day,
        "n0": 0 if offline else 1,
        "off0": 1 if offline else 0,
    }
    n, run = stmt.one(conn, params)
    return n, run


def _bump_holder(conn: Connection, holder: str, day: date) -> int:
    stmt = _upserts(conn.dialect.name)["holder"]
    return stmt.one(conn, {"holder": holder, "day": day})[0]


class _Service(NamedTuple):
    """What the ticket path reads of its service."""

    prefix: str
    name: str
    name_en: str
    open: bool
    daily_cap: int | None


def _service_for_ticket(conn: Connection, code: str) -> _Service:
    row = _SERVICE_FOR_TICKET.first(conn, {"code": code})
    if row is None:
        raise KioskError(SERVICE_UNKNOWN, code)
    return _Service(*row)


# PostgreSQL: the service read and its day's counter taken in one statement (one round trip
# less a ticket in the group-commit thread, issue 17); no row for an unknown service.
_PG_SERVICE_COUNTED = Prepared(text(
    "WITH s AS (SELECT prefix, name, name_en, open, daily_cap FROM queue_services "
    "WHERE code = :service), "
    "b AS (INSERT INTO service_days (service, business_date, n, offline, priority_run) "
    "SELECT :service, CAST(:day AS date), 1, 0, 0 FROM s "
    "ON CONFLICT (service, business_date) DO UPDATE SET n = service_days.n + 1 "
    "RETURNING n, priority_run) "
    "SELECT s.prefix, s.name, s.name_en, s.open, s.daily_cap, b.n, b.priority_run "
    "FROM s CROSS JOIN b"
))


def _service_counted(conn: Connection, code: str, day: date) -> tuple[_Service, int, int]:
    """An online ticket's service, its number in the day (counted now; a rule refused later
    rolls it back with the write) and the service's run of priority calls."""
    if conn.dialect.name != "postgresql":
        service = _service_for_ticket(conn, code)
        return (service, *_bump_day(conn, code, day, offline=False))
    row = _PG_SERVICE_COUNTED.first(conn, {"service": code, "day": day})
    if row is None:
        raise KioskError(SERVICE_UNKNOWN, code)
    return _Service(*row[:5]), row[5], row[6]


@dataclass(frozen=True)
class CheckinWindow:
    """How long before and after a booked slot's start its check-in is accepted."""

    early: timedelta = timedelta(minutes=30)
    late: timedelta = timedelta(minutes=15)


def _check_in(
    conn: Connection,
    req: TicketRequest,
    day: date,
    ticket_id: str,
    now: datetime,
    window: CheckinWindow,
    zone: ZoneInfo,
) -> None:
    appt = conn.execute(select(appointments).where(appointments.c.code == req.appointment)).first()
    if appt is None or appt.business_date != day or appt.service != req.service:
        raise KioskError(APPOINTMENT_INVALID)
    if appt.holder and req.holder and appt.holder != req.holder:
        raise KioskError(APPOINTMENT_INVALID, "booked for another person")
    slot = appt._mapping.get("slot_start")
    if slot is not None and appt.status == "booked":
        slot = as_utc(slot)
        if now < slot - window.early:
            opens = (slot - window.early).astimezone(zone)
            raise KioskError(CHECKIN_TOO_EARLY, f"check-in opens at {opens:%H:%M}")
        if now > slot + window.late:
            raise KioskError(CHECKIN_LATE, f"the slot began at {slot.astimezone(zone):%H:%M}")
    done = conn.execute(
        update(appointments)
        .where(appointments.c.code == req.appointment, appointments.c.status == "booked")
        .values(status="checked_in", ticket_id=ticket_id)
    )
    if done.rowcount != 1:
        raise KioskError(APPOINTMENT_INVALID, "already checked in")


_WAITING_OF_HOLDER = Prepared(
    select(tickets.c.pk)
    .where(
        tickets.c.service == bindparam("service"),
        tickets.c.business_date == bindparam("day"),
        tickets.c.status == WAITING,
        tickets.c.holder == bindparam("holder"),
    )
    .limit(1)
)


def _one_waiting(conn: Connection, req: TicketRequest, day: date) -> None:
    """One waiting real-name ticket per person and service (a scalper's stock of numbers in
    one queue); offline numbers are exempt, the citizen already holds the paper."""
    params = {"service": req.service, "day": day, "holder": req.holder}
    if _WAITING_OF_HOLDER.first(conn, params) is not None:
        raise KioskError(HOLDER_ALREADY_WAITING, req.service)


def issue_ticket(
    conn: Connection,
    req: TicketRequest,
    *,
    device_id: str,
    device_tag: str,
    clock: Callable[[], datetime],
    zone: ZoneInfo,
    holder_limit: int,
    base_url: str,
    priority_run: int = PRIORITY_RUN,
    checkin: CheckinWindow = CheckinWindow(),  # noqa: B008 (frozen, shared safely)
) -> dict:
    """Issue one ticket inside the caller's write transaction; raises KioskError on a rule.
    `device_tag`: the tag the sending device may use in offline numbers."""
    now = clock()
    offline = req.offline_number is not None
    counted: tuple[int, int] | None = None  # online: (number in the day, priority run)
    if offline:
        service = _service_for_ticket(conn, req.service)
    else:
        service, n, run = _service_counted(conn, req.service, business_date(now, zone))
        counted = (n, run)
    issued_at = now
    if offline:
        check_offline_number(
            conn, req.offline_number, prefix=service.prefix, device_tag=device_tag
        )
        if req.issued_at is not None:
            issued_at = min(as_utc(req.issued_at), now)
    day = business_date(issued_at, zone)
    if not offline and not service.open:
        raise KioskError(SERVICE_CLOSED, req.service)
    ticket_id = str(uuid.uuid4())
    if req.appointment:
        _check_in(conn, req, day, ticket_id, now, checkin, zone)
    if req.holder and holder_limit > 0:
        count = _bump_holder(conn, req.holder, day)
        if count > holder_limit:  # offline tickets too (docs/offline-tickets.md)
            raise KioskError(HOLDER_LIMIT_REACHED)
    if req.holder and not offline:
        _one_waiting(conn, req, day)
    n, run = counted or _bump_day(conn, req.service, day, offline=True)
    if not offline:
        # Read the time again now that this service's counter row is ours (PostgreSQL may
        # have waited on it): arrival order then always equals number order.
        issued_at = max(clock(), now)
    if offline:
        number = req.offline_number
    else:
        if service.daily_cap and n > service.daily_cap and not req.appointment:
            raise KioskError(DAILY_CAP_REACHED, req.service)
        number = f"{service.prefix}{n:03d}"
    priority = req.priority or (APPOINTMENT_PRIORITY if req.appointment else None)
    values = dict(
        id=ticket_id,
        number=number,
        service=req.service,
        business_date=day,
        seq=None if offline else n,
        priority=priority,
        holder=req.holder,
        appointment=req.appointment,
        device_id=device_id,
        issued_at=issued_at,
        queued_at=issued_at,
        offline=offline,
        status=WAITING,
    )
    if offline:  # a kiosk could resend another ticket under a used number: refuse that one
        try:
            with conn.begin_nested():
                pk = _INSERT_TICKET.one(conn, values)[0]
        except IntegrityError:
            raise KioskError(OFFLINE_NUMBER_TAKEN, number) from None
    else:
        pk = _INSERT_TICKET.one(conn, values)[0]
    eventlog.add(
        conn,
        ticket_id=ticket_id,
        from_state=None,
        to_state=WAITING,
        at=now,
        service=req.service,
        actor_kind="device",
        actor_id=device_id,
        number=number,
        priority=priority,
    )
    ahead = people_ahead(
        conn,
        service=req.service,
        day=day,
        pk=pk,
        queued_at=issued_at,
        priority=priority is not None,
        limit=priority_run,
        run=run,
        new=True,
    )
    log.info("ticket %s %s issued%s", number, ticket_id, " (offline)" if offline else "")
    return ticket_dict(values, service, ahead, base_url)


def adopt_offline_number(
    conn: Connection,
    ticket_id: str,
    offline_number: str,
    *,
    device_tag: str,
    today: date,
    base_url: str,
    priority_run: int = PRIORITY_RUN,
) -> dict:
    """A kiosk whose request timed out printed an offline number and re-sent the same request
    with it: the number the citizen holds becomes the ticket's number while it still waits
    (docs/offline-tickets.md, "The ambiguous case"). A called ticket keeps its number."""
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    if row is None:
        raise KioskError(NOT_FOUND, "no such ticket")
    check_offline_number(
        conn, offline_number, prefix=service_row(conn, row.service).prefix, device_tag=device_tag
    )
    if row.status == WAITING and row.number != offline_number:
        try:
            with conn.begin_nested():
                conn.execute(
                    update(tickets)
                    .where(tickets.c.pk == row.pk)
                    .values(number=offline_number, offline=True)
                )
        except IntegrityError:
            raise KioskError(OFFLINE_NUMBER_TAKEN, offline_number) from None
        log.info(
            "ticket %s renumbered %s -> %s (offline print)", ticket_id, row.number, offline_number
        )
    return get_ticket(conn, ticket_id, today=today, base_url=base_url, priority_run=priority_run)


def _ahead_of_priority(p_before: int, normals: int, run: int, limit: int = PRIORITY_RUN) -> int:
    """Calls before a priority ticket with `p_before` priority tickets ahead of it, given the
    waiting normal tickets and the current run of priority calls. A normal ticket is slotted
    in before every priority call that would make the run exceed `limit`."""
    first = 0 if run >= limit else limit - run  # index of the first slot
    slots = 0 if first > p_before else 1 + (p_before - first) // limit
    return p_before + min(slots, normals)


def _ahead_of_normal(n_before: int, priorities: int, run: int, limit: int = PRIORITY_RUN) -> int:
    """Calls before a normal ticket with `n_before` normal tickets ahead of it: before each
    normal call, priority calls until the run reaches `limit` (or none wait)."""
    first_burst = min(max(limit - run, 0), priorities)
    later_bursts = min(limit * n_before, priorities - first_burst)
    return n_before + first_burst + later_bursts


def people_ahead(
    conn: Connection,
    *,
    service: str,
    day: date,
    pk: int,
    queued_at: datetime,
    priority: bool,
    limit: int = PRIORITY_RUN,
    run: int | None = None,
    new: bool = False,
) -> int:
    """Calls before this waiting ticket; `run`: the service's run of priority calls, when the
    caller already has it; `new`: the ticket was inserted in this transaction (issue_ticket)."""
    params = {"service": service, "day": day, "pk": pk, "queued_at": queued_at}
    counts = _counts_of_last(conn, params, priority) if new else None
    if counts is None:
        counts = tuple(int(v) for v in _AHEAD_COUNTS.one(conn, params))
    p_before, p_all, n_before, n_all = counts
    if run is None:
        found = _PRIORITY_RUN.first(conn, {"service": service, "day": day})
        run = found[0] if found else 0
    if priority:
        return _ahead_of_priority(p_before, n_all, run, limit)
    return _ahead_of_normal(n_before, p_all, run, limit)


def _counts_of_last(
    conn: Connection, params: dict[str, Any], priority: bool
) -> tuple[int, int, int, int] | None:
    """_AHEAD_COUNTS of a ticket that came last in its class (the usual new ticket: everyone of
    its class waiting is before it), from waiting_counts instead of counting the line; None
    when it did not come last (an offline ticket, a clock set back) or was not counted."""
    kept_p, kept_n, behind = _LAST_IN_CLASS[priority].one(conn, params)
    if (kept_p if priority else kept_n) < 1:  # its own insert was not counted: no triggers
        return None
    if behind:
        return None
    p_all = int(kept_p) - (1 if priority else 0)
    n_all = int(kept_n) - (0 if priority else 1)
    # for a priority ticket every other priority ticket is before it, and the formula reads
    # only n_all of the normal ones; for a normal ticket the same the other way round
    return (p_all, p_all, n_all, n_all) if priority else (0, p_all, n_all, n_all)


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def ticket_dict(
    row: Any, service: Any, ahead: int, base_url: str, status: str | None = None
) -> dict:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {
        "id": get("id"),
        "number": get("number"),
        "service": get("service"),
        "people_ahead": ahead,
        "issued_at": _iso(get("issued_at")),
        "url": ticket_url(base_url, get("id")),
        "service_name": service.name,
        "service_name_en": service.name_en,
        "priority": get("priority"),
        "status": status or get("status"),
        "counter": get("counter"),
        "called_at": _iso(get("called_at")),
        "started_at": _iso(get("started_at")),
        "finished_at": _iso(get("finished_at")),
        "reason": get("reason"),
        "requeues": get("requeues") or 0,
    }


def effective_status(row: Any, today: date) -> str:
    """An open ticket of a past business date is expired, even before the sweep wrote it."""
    if row.status in OPEN_STATES and row.business_date < today:
        return EXPIRED
    return row.status


def get_ticket(
    conn: Connection,
    ticket_id: str,
    *,
    today: date,
    base_url: str,
    priority_run: int = PRIORITY_RUN,
) -> dict:
    row = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).first()
    if row is None:
        raise KioskError(NOT_FOUND, "no such ticket")
    service = service_row(conn, row.service)
    status, ahead = effective_status(row, today), 0
    if status == WAITING:
        ahead = people_ahead(
            conn,
            service=row.service,
            day=row.business_date,
            pk=row.pk,
            queued_at=row.queued_at,
            priority=row.priority is not None,
            limit=priority_run,
        )
    return ticket_dict(row, service, ahead, base_url, status)


def next_in_service(conn: Connection, service: str, day: date, run: int, limit: int) -> Any:
    """The ticket the priority rule calls next in one service (given its current run)."""
    t = tickets.c
    base = (
        select(tickets)
        .where(t.service == service, t.business_date == day, t.status == WAITING)
        .order_by(t.queued_at, t.pk)
        .limit(1)
    )
    prio = conn.execute(base.where(t.priority.is_not(None))).first()
    if prio is not None and run < limit:
        return prio
    normal = conn.execute(base.where(t.priority.is_(None))).first()
    return normal if normal is not None else prio


def list_services(conn: Connection, day: date) -> list[dict]:
    waiting = dict(
        conn.execute(
            select(tickets.c.service, func.count())
            .where(tickets.c.business_date == day, tickets.c.status == WAITING)
            .group_by(tickets.c.service)
        ).all()
    )
    issued = {
        r.service: r.n + r.offline
        for r in conn.execute(select(service_days).where(service_days.c.business_date == day))
    }
    rows = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    )
    return [
        {
            "code": r.code,
            "name": r.name,
            "name_en": r.name_en,
            "prefix": r.prefix,
            "waiting": int(waiting.get(r.code, 0)),
            "open": bool(r.open),
            "category": r.category,
            "daily_cap": r.daily_cap,
            "issued_today": int(issued.get(r.code, 0)),
        }
        for r in rows
    ]


def appointments_for_holder(conn: Connection, holder: str, day: date) -> list[dict]:
    """A holder's appointments of one business day (check-in by ID card), booked ones first;
    a checked-in one carries its ticket's number so the kiosk can say so."""
    a = appointments.c
    rows = conn.execute(
        select(
            a.code,
            a.service,
            a.status,
            queue_services.c.name,
            queue_services.c.name_en,
            queue_services.c.sort,
            tickets.c.number,
        )
        .select_from(
            appointments.outerjoin(queue_services, queue_services.c.code == a.service).outerjoin(
                tickets, tickets.c.id == a.ticket_id
            )
        )
        .where(a.holder == holder, a.business_date == day)
    ).all()
    rows.sort(key=lambda r: (r.status != "booked", r.sort or 0, r.service, r.code))
    return [
        {
            "code": r.code,
            "service": r.service,
            "service_name": r.name or "",
            "service_name_en": r.name_en or "",
            "status": r.status,
            "ticket_number": r.number,
        }
        for r in rows
    ]
