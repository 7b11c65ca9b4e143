"""Reports for the hall manager (issue 12): what the queue did over a period, by day, hour,
counter and staff, and the 好差评 ratings, all from the append-only events table and the ticket
rows, in the hall's time zone; kiosk use by function from what kiosks report with their
heartbeats (hall_server/kiosk_usage.py).

Counts of transitions (served, no-show, transferred, cancelled, expired) are counts of event
rows, so a report's totals equal the events table's for the same period. Waits are issue → first
call; service times start → finish of served tickets. A counter's "active" time is its first
call to its last finish of each day (counter open/pause/close changes are not events).
Percentiles are computed here, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, select

from common.errors import COUNTER_UNKNOWN, SERVICE_UNKNOWN, VALIDATION, KioskError
from hall_server.clock import as_utc
from hall_server.kiosk_usage import usage_by_kiosk_day
from hall_server.schema import evaluations, hall_counters, queue_services, ticket_events, tickets
from hall_server.schema_staff import staff

MAX_DAYS = 366
TRANSITIONS = ("served", "no_show", "transferred", "cancelled", "expired")
TABLES = ("by_day", "by_hour", "by_counter", "by_staff", "ratings", "kiosk_use")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    service: str | None = None
    counter: str | None = None

    def check(self) -> None:
        if self.end < self.start:
            raise KioskError(VALIDATION, f"to {self.end} is before from {self.start}")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise KioskError(VALIDATION, f"at most {MAX_DAYS} days in one report")

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC instants: the hall's midnight before `start` to after `end`."""
        first = datetime.combine(self.start, time(), tzinfo=zone)
        last = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=zone)
        return first.astimezone(UTC), last.astimezone(UTC)


def _pct(values: list[float], q: float) -> int | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0])
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (as_utc(b) - as_utc(a)).total_seconds()


def _events(conn: Connection, period: Period, zone: ZoneInfo) -> list[Any]:
    first, last = period.bounds(zone)
    e = ticket_events.c
    query = select(ticket_events).where(e.at >= first, e.at < last).order_by(e.pk)
    if period.service:
        query = query.where((e.service == period.service) | (e.target_service == period.service))
    if period.counter:
        query = query.where(e.counter == period.counter)
    return conn.execute(query).all()


def _tickets(conn: Connection, period: Period) -> dict[str, Any]:
    t = tickets.c
    query = select(tickets).where(
        and_(t.business_date >= period.start, t.business_date <= period.end)
    )
    if period.service:
        query = query.where(t.service == period.service)
    return {row.id: row for row in conn.execute(query)}


def _kind(event: Any) -> str | None:
    """The report column an event counts in (a transfer is a move to waiting elsewhere)."""
    if event.target_service is not None:
        return "transferred"
    return event.to_state if event.to_state in TRANSITIONS else None


def _check_names(conn: Connection, period: Period) -> None:
    q, c = queue_services.c, hall_counters.c
    if period.service and conn.execute(select(q.code).where(q.code == period.service)).first() is None:
        raise KioskError(SERVICE_UNKNOWN, period.service)
    if period.counter and conn.execute(select(c.code).where(c.code == period.counter)).first() is None:
        raise KioskError(COUNTER_UNKNOWN, period.counter)


def build(conn: Connection, period: Period, zone: ZoneInfo) -> dict[str, Any]:
    period.check()
    _check_names(conn, period)
    events = _events(conn, period, zone)
    rows = _tickets(conn, period)
    local = lambda at: as_utc(at).astimezone(zone)  # noqa: E731
    days = [period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1)]
    by_day = {d: _blank() for d in days}
    by_hour = {h: _blank() for h in range(24)}
    for row in rows.values():
        if period.counter and row.counter != period.counter:
            continue
        issued = local(row.issued_at)
        for bucket in (by_day.get(issued.date()), by_hour[issued.hour]):
            if bucket is not None:
                bucket["taken"] += 1
    first_call: dict[str, datetime] = {}
    for ev in events:
        at = local(ev.at)
        kind = _kind(ev)
        if kind:
            for bucket in (by_day.get(at.date()), by_hour[at.hour]):
                if bucket is not None:
                    bucket[kind] += 1
        if ev.to_state == "called" and ev.ticket_id not in first_call:
            first_call[ev.ticket_id] = ev.at
    for ticket_id, called in first_call.items():
        row = rows.get(ticket_id)
        wait = _seconds(row.issued_at, called) if row is not None else None
        if wait is None or wait < 0:
            continue
        at = local(called)
        for bucket in (by_day.get(at.date()), by_hour[at.hour]):
            if bucket is not None:
                bucket["_waits"].append(wait)
    for row in rows.values():
        if row.status != "served" or (period.counter and row.counter != period.counter):
            continue
        took = _seconds(row.started_at, row.finished_at)
        if took is None or row.finished_at is None:
            continue
        at = local(row.finished_at)
        for bucket in (by_day.get(at.date()), by_hour[at.hour]):
            if bucket is not None:
                bucket["_service"].append(took)
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "service": period.service,
        "counter": period.counter,
        "timezone": str(zone),
        "by_day": [{"date": d.isoformat(), **_finish(b)} for d, b in by_day.items()],
        "by_hour": [{"hour": h, **_finish(b)} for h, b in by_hour.items()],
        "by_counter": _by_counter(conn, rows, period, zone),
        "by_staff": _by_staff(conn, rows, period),
        "ratings": _ratings(conn, rows, period, zone),
        # what the kiosks reported with their heartbeats (not narrowed by service or counter)
        "kiosk_use": usage_by_kiosk_day(conn, period.start, period.end),
        "totals": _finish(_sum(by_day.values())),
    }


def _blank() -> dict[str, Any]:
    return {"taken": 0, **dict.fromkeys(TRANSITIONS, 0), "_waits": [], "_service": []}


def _sum(buckets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    total = _blank()
    for b in buckets:
        for key, value in b.items():
            total[key] += value
    return total


def _finish(bucket: dict[str, Any]) -> dict[str, Any]:
    waits, service = bucket["_waits"], bucket["_service"]
    out = {k: v for k, v in bucket.items() if not k.startswith("_")}
    out |= {
        "wait_p50_s": _pct(waits, 50),
        "wait_p90_s": _pct(waits, 90),
        "wait_max_s": round(max(waits)) if waits else None,
        "service_p50_s": _pct(service, 50),
        "service_p90_s": _pct(service, 90),
    }
    return out


def _served(rows: dict[str, Any], period: Period) -> list[Any]:
    return [
        r
        for r in rows.values()
        if r.status == "served" and (not period.counter or r.counter == period.counter)
    ]


def _by_counter(
    conn: Connection, rows: dict[str, Any], period: Period, zone: ZoneInfo
) -> list[dict]:
    names = {r.code: r.name for r in conn.execute(select(hall_counters.c.code, hall_counters.c.name))}
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in _served(rows, period):
        if r.counter:
            groups[r.counter].append(r)
    out = []
    for code in sorted(groups):
        served = groups[code]
        times = [t for r in served if (t := _seconds(r.started_at, r.finished_at)) is not None]
        spans: dict[date, list[datetime]] = defaultdict(list)
        for r in served:
            for at in (r.called_at, r.finished_at):
                if at is not None:
                    spans[as_utc(at).astimezone(zone).date()].append(as_utc(at))
        active = sum((max(v) - min(v)).total_seconds() for v in spans.values())
        out.append(
            {
                "counter": code,
                "name": names.get(code, code),
                "served": len(served),
                "service_p50_s": _pct(times, 50),
                "active_s": round(active),
            }
        )
    return out


def _by_staff(conn: Connection, rows: dict[str, Any], period: Period) -> list[dict]:
    names = {r.id: r.name for r in conn.execute(select(staff.c.id, staff.c.name))}
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in _served(rows, period):
        if r.staff:
            groups[r.staff].append(r)
    out = []
    for staff_id in sorted(groups, key=lambda s: names.get(s, s)):
        served = groups[staff_id]
        times = [t for r in served if (t := _seconds(r.started_at, r.finished_at)) is not None]
        out.append(
            {
                "staff": staff_id,
                "name": names.get(staff_id, staff_id),
                "served": len(served),
                "service_p50_s": _pct(times, 50),
            }
        )
    return out


def _ratings(
    conn: Connection, rows: dict[str, Any], period: Period, zone: ZoneInfo
) -> list[dict]:
    """Per service, counter and staff: ratings, mean level, 差评 and the reasons picked."""
    first, last = period.bounds(zone)
    ev = evaluations.c
    query = select(evaluations).where(ev.created_at >= first, ev.created_at < last)
    if period.counter:
        query = query.where(ev.counter == period.counter)
    services = dict(conn.execute(select(queue_services.c.code, queue_services.c.name)).all())
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in conn.execute(query):
        ticket = rows.get(r.subject)
        service = ticket.service if ticket is not None else None
        if period.service and service != period.service:
            continue
        if service:
            groups[("service", service)].append(r)
        if r.counter:
            groups[("counter", r.counter)].append(r)
        if r.staff:
            groups[("staff", r.staff)].append(r)
        groups[("hall", "")].append(r)
    out = []
    for (by, key), items in sorted(groups.items()):
        reasons = Counter(code for r in items for code in json.loads(r.reasons))
        out.append(
            {
                "by": by,
                "key": key,
                "name": services.get(key, key) if by == "service" else key,
                "ratings": len(items),
                "mean_level": round(statistics.fmean(r.level for r in items), 2),
                "bad": sum(1 for r in items if r.level <= 2),
                "reasons": dict(reasons.most_common()),
            }
        )
    return out


def event_counts(conn: Connection, period: Period, zone: ZoneInfo) -> dict[str, int]:
    """Straight from the events table: what the report's transition totals must equal."""
    first, last = period.bounds(zone)
    e = ticket_events.c
    moved = conn.execute(
        select(func.count()).where(e.at >= first, e.at < last, e.target_service.is_not(None))
    ).scalar_one()
    counts = dict(
        conn.execute(
            select(e.to_state, func.count())
            .where(e.at >= first, e.at < last, e.target_service.is_(None))
            .group_by(e.to_state)
        ).all()
    )
    return {k: int(counts.get(k, 0)) for k in TRANSITIONS if k != "transferred"} | {
        "transferred": int(moved)
    }
