"""What the hall call display (叫号屏, `/display`) shows: its scope (an area or a list of
counters), the latest calls and the waiting counts of the services it covers.

The page gets this once server-rendered, then again as JSON after every reconnect and every
few seconds (the counts); each call arrives live on the event stream (`GET /api/v1/events`).
A scope that names no known counter is not an error: the display shows a message instead
of calls, so a mistyped URL on a wall screen is visible and fixable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from common.errors import VALIDATION, KioskError
from hall_server.clock import iso_utc
from hall_server.schema import hall_counters, queue_services, tickets
from hall_server.voice import Announcer, display_text

_COUNTER_LIST = re.compile(r"^[^,]{1,32}(,[^,]{1,32}){0,63}$")
# A ticket that was called keeps its place in "recent calls" whatever happened next.
_WAS_CALLED = tickets.c.called_at.is_not(None)


@dataclass
class Counter:
    id: str
    name: str
    area: str | None = None
    name_en: str | None = None


@dataclass
class Scope:
    """Which counters a display covers; `counters` None means the whole hall."""

    area: str | None = None
    counters: set[str] | None = None
    message: str | None = None  # shown instead of calls when the scope matches nothing
    label: str = ""
    names: dict[str, str] = field(default_factory=dict)  # counter → display name

    def covers(self, counter: str | None) -> bool:
        return self.counters is None or (counter is not None and counter in self.counters)


def counter_directory(conn: Connection) -> dict[str, Counter]:
    """Every configured counter with its display name and area (the queue services file's
    `[[counter]]` tables and `counters` lists, imported into hall_counters)."""
    c = hall_counters.c
    rows = conn.execute(
        select(c.code, c.name, c.name_en, c.area)
        .where(c.configured.is_(True))
        .order_by(c.sort, c.code)
    )
    return {r.code: Counter(r.code, r.name or r.code, r.area or None, r.name_en or None)
            for r in rows}


def resolve_scope(conn: Connection, *, area: str | None, counters: str | None) -> Scope:
    """The display's scope from its URL (`?area=2F` or `?counters=1,2`)."""
    directory = counter_directory(conn)
    names = {c.id: c.name for c in directory.values()}
    area = (area or "").strip() or None
    listed = (counters or "").strip()
    if area and listed:
        raise KioskError(VALIDATION, "give area or counters, not both")
    if area:
        mine = {c.id for c in directory.values() if c.area == area}
        if not mine:
            return Scope(area=area, counters=set(), names=names, label=area,
                         message=f"没有属于区域“{area}”的窗口 · No counters in area {area}")
        return Scope(area=area, counters=mine, names=names, label=area)
    if listed:
        if not _COUNTER_LIST.match(listed):
            return Scope(counters=set(), names=names, label=listed,
                         message="窗口列表无效 · Invalid counter list")
        wanted = [c.strip() for c in listed.split(",") if c.strip()]
        # a hall whose services list no counters lets any counter call: every name is known
        known = [c for c in wanted if c in directory or not directory]
        if not known:
            return Scope(counters=set(), names=names, label=listed,
                         message=f"未知窗口：{listed} · Unknown counters")
        return Scope(counters=set(known), names=names, label=",".join(known))
    return Scope(names=names)


def call_view(
    *, number: str, counter: str, names: dict[str, str], announcer: Announcer | None,
    called_at: str | None, service: str | None = None, event_id: Any = None,
) -> dict[str, Any]:
    """One call as the page renders it (the same shape the page builds from an event)."""
    name = names.get(counter) or None
    return {
        "id": event_id,
        "number": number,
        "counter": counter,
        "counter_name": name if name and name != counter else None,
        "service": service,
        "at": called_at,
        "text": display_text(number, counter, name if name != counter else None),
        "audio_url": announcer.event_audio_url(number, counter) if announcer else None,
    }


def recent_calls(
    conn: Connection, scope: Scope, day: date, *, limit: int, announcer: Announcer | None
) -> list[dict[str, Any]]:
    """Today's latest calls in the scope, newest first."""
    if scope.counters is not None and not scope.counters:
        return []
    t = tickets.c
    query = (
        select(t.number, t.counter, t.called_at, t.service)
        .where(t.business_date == day, _WAS_CALLED, t.counter.is_not(None))
        .order_by(t.called_at.desc(), t.pk.desc())
        .limit(limit)
    )
    if scope.counters is not None:
        query = query.where(t.counter.in_(sorted(scope.counters)))
    return [
        call_view(number=r.number, counter=r.counter, names=scope.names, announcer=announcer,
                  called_at=iso_utc(r.called_at), service=r.service)
        for r in conn.execute(query)
    ]


def waiting_by_service(conn: Connection, scope: Scope, day: date) -> list[dict[str, Any]]:
    """Waiting tickets per service; a scoped display lists the services its counters call
    (those whose `counters` list names one of them)."""
    if scope.counters is not None and not scope.counters:
        return []
    counts = dict(
        conn.execute(
            select(tickets.c.service, func.count())
            .where(tickets.c.business_date == day, tickets.c.status == "waiting")
            .group_by(tickets.c.service)
        ).all()
    )
    out = []
    rows = conn.execute(
        select(queue_services).order_by(queue_services.c.sort, queue_services.c.code)
    )
    for r in rows:
        served_by = set(json.loads(r.counters or "[]"))
        if scope.counters is not None and not served_by & scope.counters:
            continue
        out.append({
            "code": r.code,
            "name": r.name,
            "name_en": r.name_en,
            "prefix": r.prefix,
            "open": bool(r.open),
            "waiting": int(counts.get(r.code, 0)),
        })
    # the longest queues first: the strip has room for a dozen, and empty ones matter least
    out.sort(key=lambda s: (not s["open"], -s["waiting"]))
    return out


def state(conn: Connection, scope: Scope, day: date, *, limit: int,
          announcer: Announcer | None) -> dict[str, Any]:
    return {
        "scope": {"area": scope.area, "counters": sorted(scope.counters) if scope.counters
                  is not None else None, "label": scope.label, "message": scope.message},
        "calls": recent_calls(conn, scope, day, limit=limit, announcer=announcer),
        "services": waiting_by_service(conn, scope, day),
    }
