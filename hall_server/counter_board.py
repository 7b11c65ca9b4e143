"""What a counter's screen shows, read in one transaction: the counter (name, area, state), its
services with waiting counts, its current ticket, the head of its queue, its held tickets and
today's no-shows that may still be requeued.

Read-only; the transitions are the counter routes (hall_server/lifecycle.py). The counter
page (hall_server/pages/counter.py) renders this dict and re-reads it as `GET /counter/board`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from hall_server import lifecycle
from hall_server.clock import as_utc, iso_utc
from hall_server.queue import effective_status
from hall_server.schema import hall_counters, queue_services, tickets

QUEUE_HEAD = 40  # waiting tickets listed (the counts cover all of them)
NO_SHOWS = 12
_t = tickets.c


def known_counters(conn: Connection) -> list[dict[str, str]]:
    """The configured counters in the hall's order: code, name, name_en, area, state."""
    rows = conn.execute(
        select(hall_counters)
        .where(hall_counters.c.configured.is_(True))
        .order_by(hall_counters.c.sort, hall_counters.c.code)
    ).all()
    return [
        {"code": r.code, "name": r.name, "name_en": r.name_en, "area": r.area, "state": r.state}
        for r in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def _ticket(row: Any, services: dict[str, Any], hall: lifecycle.Hall) -> dict[str, Any]:
    service = services.get(row.service)
    # time waited: until the call for a ticket at a counter, until now for a waiting one
    until = as_utc(row.called_at) if row.called_at is not None else hall.now
    return {
        "id": row.id,
        "number": row.number,
        "service": row.service,
        "service_name": service.name if service is not None else row.service,
        "service_name_en": service.name_en if service is not None else row.service,
        "priority": row.priority,
        "appointment": row.appointment,
        "status": effective_status(row, hall.today),
        "counter": row.counter,
        "issued_at": _iso(row.issued_at),
        "called_at": _iso(row.called_at),
        "started_at": _iso(row.started_at),
        "waited_s": max(0, int((until - as_utc(row.issued_at)).total_seconds())),
        "requeues": row.requeues,
        # Tickets keep only a holder hash today; a masked name (韩**) shows once one has it.
        "name_masked": row._mapping.get("name_masked"),
    }


def board(conn: Connection, counter: str, hall: lifecycle.Hall) -> dict[str, Any]:
    crow = lifecycle.counter_row(conn, counter)  # E-QUE-11 for an unknown counter
    codes = lifecycle.counter_services(conn, crow)
    all_services = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    ).all()
    by_code = {s.code: s for s in all_services}
    today = _t.business_date == hall.today
    counts = dict(
        conn.execute(
            select(_t.service, func.count())
            .where(today, _t.status == "waiting", _t.service.in_(codes))
            .group_by(_t.service)
        ).all()
    )
    head = conn.execute(
        select(tickets)
        .where(today, _t.status == "waiting", _t.service.in_(codes))
        .order_by(_t.priority.is_(None), _t.queued_at, _t.pk)
        .limit(QUEUE_HEAD)
    ).all()
    current = conn.execute(
        select(tickets)
        .where(_t.counter == counter, _t.status.in_(lifecycle.AT_COUNTER))
        .order_by(_t.called_at.desc(), _t.pk.desc())
        .limit(1)
    ).first()
    held = conn.execute(
        select(tickets).where(_t.counter == counter, _t.status == "held").order_by(_t.pk)
    ).all()
    no_shows = conn.execute(
        select(tickets)
        .where(today, _t.counter == counter, _t.status == "no_show", _t.requeues < 1)
        .order_by(_t.finished_at.desc(), _t.pk.desc())
        .limit(NO_SHOWS)
    ).all()

    def view(row: Any) -> dict[str, Any]:
        return _ticket(row, by_code, hall)

    return {
        "counter": crow.code,
        "name": crow.name,
        "name_en": crow.name_en,
        "area": crow.area,
        "state": crow.state,
        "now": iso_utc(hall.now),
        "services": [
            {
                "code": code,
                "name": by_code[code].name,
                "name_en": by_code[code].name_en,
                "prefix": by_code[code].prefix,
                "open": bool(by_code[code].open),
                "waiting": int(counts.get(code, 0)),
            }
            for code in codes
            if code in by_code
        ],
        "waiting_total": int(sum(counts.values())),
        "current": view(current) if current is not None else None,
        "queue": [view(r) for r in head],
        "held": [view(r) for r in held],
        "no_shows": [view(r) for r in no_shows],
        "transfer_targets": [
            {"code": s.code, "name": s.name, "name_en": s.name_en, "open": bool(s.open)}
            for s in all_services
        ],
    }

