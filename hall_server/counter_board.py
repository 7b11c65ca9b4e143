"""What a counter's screen shows, read in one transaction: the counter's services with waiting
counts, its current ticket, the queue's head, its held tickets and today's no-shows.

Read-only; the transitions themselves are the counter routes (hall_server/queue.py). The
page (hall_server/pages/counter.py) and `GET /counter/board` render this dict.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from hall_server.clock import as_utc, iso_utc
from hall_server.schema import queue_services, tickets

QUEUE_HEAD = 12  # waiting tickets listed (the counts cover all of them)
ACTIVE = ("called", "serving")


def known_counters(conn: Connection) -> list[str]:
    """Every counter some service's `counters` list names, in natural order."""
    names: set[str] = set()
    for raw in conn.execute(select(queue_services.c.counters)).scalars():
        names.update(json.loads(raw or "[]"))
    return sorted(names, key=lambda n: (len(n), n))


def counter_services(conn: Connection, counter: str) -> list[Any]:
    """Rows of the services this counter calls (every service when no list names it)."""
    rows = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    ).all()
    mine = [r for r in rows if counter in json.loads(r.counters or "[]")]
    return mine or rows


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def _ticket(row: Any, names: dict[str, Any], now: datetime) -> dict[str, Any]:
    service = names.get(row.service)
    m = row._mapping
    return {
        "id": row.id,
        "number": row.number,
        "service": row.service,
        "service_name": service.name if service is not None else row.service,
        "service_name_en": service.name_en if service is not None else row.service,
        "priority": row.priority,
        "appointment": row.appointment,
        "status": row.status,
        "counter": row.counter,
        "issued_at": _iso(row.issued_at),
        "called_at": _iso(row.called_at),
        "waited_s": int((now - as_utc(row.issued_at)).total_seconds()),
        # Tickets keep only a holder hash today; a masked name appears once a ticket has one.
        "name_masked": m.get("name_masked"),
    }


def board(conn: Connection, counter: str, *, day: date, now: datetime) -> dict[str, Any]:
    services = counter_services(conn, counter)
    all_services = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    ).all()
    names = {s.code: s for s in all_services}
    codes = [s.code for s in services]
    t = tickets.c
    today = (t.business_date == day,)
    counts = dict(
        conn.execute(
            select(t.service, func.count())
            .where(*today, t.status == "waiting", t.service.in_(codes))
            .group_by(t.service)
        ).all()
    )
    head = conn.execute(
        select(tickets)
        .where(*today, t.status == "waiting", t.service.in_(codes))
        .order_by(t.priority.is_(None), t.issued_at, t.pk)
        .limit(QUEUE_HEAD)
    ).all()
    current = conn.execute(
        select(tickets)
        .where(*today, t.counter == counter, t.status.in_(ACTIVE))
        .order_by(t.called_at.desc(), t.pk.desc())
        .limit(1)
    ).first()
    held = conn.execute(
        select(tickets).where(*today, t.counter == counter, t.status == "held").order_by(t.pk)
    ).all()
    no_shows = conn.execute(
        select(tickets)
        .where(*today, t.counter == counter, t.status == "no_show")
        .order_by(t.called_at.desc(), t.pk.desc())
        .limit(QUEUE_HEAD)
    ).all()
    return {
        "counter": counter,
        "now": iso_utc(now),
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "name_en": s.name_en,
                "prefix": s.prefix,
                "open": bool(s.open),
                "waiting": int(counts.get(s.code, 0)),
            }
            for s in services
        ],
        "waiting_total": int(sum(counts.values())),
        "current": _ticket(current, names, now) if current is not None else None,
        "queue": [_ticket(r, names, now) for r in head],
        "held": [_ticket(r, names, now) for r in held],
        "no_shows": [_ticket(r, names, now) for r in no_shows],
        "transfer_targets": [
            {"code": s.code, "name": s.name, "name_en": s.name_en, "open": bool(s.open)}
            for s in all_services
        ],
    }
