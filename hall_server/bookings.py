"""预约: bookings made ahead (slots, book, cancel), checked in on the day at a kiosk.

A bookable service has `slot_capacity` > 0 in the queue services file; its slots are
`slot_minutes` long and lie inside the service's opening hours on working days (the same
schedule and calendar as ticket issue: common/schedule.py). A booking keeps the holder hash and
a masked name (张*), never the ID number or the full name; one booking per person, service and
day. Check-in is `POST /queue/tickets` with the booking's code, accepted from
`queue.checkin_early_min` before the slot to `queue.checkin_late_min` after it (queue.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from common.errors import (
    APPOINTMENT_INVALID,
    BOOKING_TAKEN,
    NOT_BOOKABLE,
    SLOT_FULL,
    SLOT_UNAVAILABLE,
    KioskError,
)
from common.redact import mask_name
from common.schedule import Schedule
from common.wire import BookingRequest
from hall_server.clock import as_utc
from hall_server.queue import service_row
from hall_server.schema import appointments

log = logging.getLogger(__name__)

BOOKABLE_DAYS = 30  # how far ahead a slot can be booked
BOOKED, CHECKED_IN, CANCELLED = "booked", "checked_in", "cancelled"
OFFICE_HOURS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def day_slots(schedule: Schedule, service: Any, day: date, zone: Any) -> list[Slot]:
    """The slots of one day: each opening period of the service cut into slot_minutes. A
    service open around the clock is booked within office hours on working days."""
    rule = schedule.service_rule(service.code)
    if rule is None or rule.always:
        working = schedule.calendar.is_working_day(day)
        periods: tuple[tuple[time, time], ...] = OFFICE_HOURS
    else:
        working, periods = schedule.working_day(day, rule), rule.periods
    if not working:
        return []
    step = timedelta(minutes=service.slot_minutes)
    slots = []
    for start, end in periods:
        at = datetime.combine(day, start, tzinfo=zone)
        stop = datetime.combine(day, end, tzinfo=zone)
        while at + step <= stop:
            slots.append(Slot(at, at + step))
            at += step
    return slots


def _booked_counts(conn: Connection, service: str, day: date) -> dict[float, int]:
    """Live bookings per slot, keyed by the slot's POSIX time (SQLite hands back naive UTC,
    PostgreSQL aware datetimes: as_utc makes them one)."""
    a = appointments.c
    rows = conn.execute(
        select(a.slot_start, func.count())
        .where(a.service == service, a.business_date == day, a.status != CANCELLED)
        .group_by(a.slot_start)
    )
    return {as_utc(row[0]).timestamp(): int(row[1]) for row in rows if row[0] is not None}


def list_slots(
    conn: Connection, *, service: str, day: date, schedule: Schedule, zone: Any, now: datetime
) -> dict:
    row = service_row(conn, service)
    if not row.slot_capacity:
        raise KioskError(NOT_BOOKABLE, service)
    counts = _booked_counts(conn, service, day)
    out = []
    for slot in day_slots(schedule, row, day, zone):
        booked = counts.get(slot.start.timestamp(), 0)
        out.append(
            {
                "start": slot.start.strftime("%H:%M"),
                "end": slot.end.strftime("%H:%M"),
                "capacity": row.slot_capacity,
                "booked": booked,
                "available": slot.start > now and booked < row.slot_capacity,
            }
        )
    return {"service": service, "date": day.isoformat(), "slots": out}


def book(
    conn: Connection,
    req: BookingRequest,
    *,
    device_id: str,
    schedule: Schedule,
    zone: Any,
    now: datetime,
) -> dict:
    """One booking of the slot asked, inside the caller's write transaction; raises
    KioskError on a rule."""
    row, slots = _bookable_day(conn, req.service, req.date, schedule=schedule, zone=zone, now=now)
    slot = next((s for s in slots if s.start.strftime("%H:%M") == req.slot), None)
    if slot is None or slot.start <= now:
        raise KioskError(SLOT_UNAVAILABLE, f"{req.date} {req.slot}")
    _check_holder(conn, req.service, req.date, req.holder)
    booked = _booked_counts(conn, req.service, req.date).get(slot.start.timestamp(), 0)
    if booked >= row.slot_capacity:
        raise KioskError(SLOT_FULL, f"{req.date} {req.slot}")
    return _insert(conn, req.service, req.date, slot, req.holder, req.name, device_id, now)


def book_window(
    conn: Connection,
    *,
    service: str,
    day: date,
    window: tuple[time, time],
    holder: str | None,
    name: str,
    device_id: str,
    schedule: Schedule,
    zone: Any,
    now: datetime,
) -> dict:
    """The first free slot starting inside `window` (a form that books a half-day)."""
    row, slots = _bookable_day(conn, service, day, schedule=schedule, zone=zone, now=now)
    _check_holder(conn, service, day, holder)
    counts = _booked_counts(conn, service, day)
    ahead = [slot for slot in slots
             if window[0] <= slot.start.timetz().replace(tzinfo=None) < window[1]
             and slot.start > now]
    for slot in ahead:
        if counts.get(slot.start.timestamp(), 0) < row.slot_capacity:
            return _insert(conn, service, day, slot, holder, name, device_id, now)
    where = f"{service} {day} {window[0]:%H:%M}-{window[1]:%H:%M}"
    if not ahead:  # the half-day is over (or has no slot): not "full", which sends people away
        raise KioskError(SLOT_UNAVAILABLE, f"{where}: no slot starts after now")
    raise KioskError(SLOT_FULL, where)


def _bookable_day(
    conn: Connection, service: str, day: date, *, schedule: Schedule, zone: Any, now: datetime
) -> tuple[Any, list[Slot]]:
    row = service_row(conn, service)
    if not row.slot_capacity:
        raise KioskError(NOT_BOOKABLE, service)
    today = now.astimezone(zone).date()
    if not today <= day <= today + timedelta(days=BOOKABLE_DAYS):
        raise KioskError(SLOT_UNAVAILABLE, f"{day}: book today up to {BOOKABLE_DAYS} days on")
    return row, day_slots(schedule, row, day, zone)


def _check_holder(conn: Connection, service: str, day: date, holder: str | None) -> None:
    if holder is None:
        return
    a = appointments.c
    mine = conn.execute(
        select(a.code).where(
            a.holder == holder, a.service == service, a.business_date == day, a.status != CANCELLED
        )
    ).first()
    if mine is not None:
        raise KioskError(BOOKING_TAKEN, f"{service} {day}")


def _insert(
    conn: Connection,
    service: str,
    day: date,
    slot: Slot,
    holder: str | None,
    name: str,
    device_id: str,
    now: datetime,
) -> dict:
    masked = mask_name(name)
    for _ in range(20):  # 6 digits: a collision is rare, and then another code is drawn
        code = f"{secrets.randbelow(900_000) + 100_000}"
        try:
            with conn.begin_nested():
                conn.execute(
                    appointments.insert().values(
                        code=code,
                        service=service,
                        business_date=day,
                        holder=holder,
                        status=BOOKED,
                        created_at=now,
                        slot_start=slot.start.astimezone(UTC),
                        name_masked=masked,
                        device_id=device_id,
                    )
                )
        except IntegrityError:
            continue
        log.info("booking %s for %s %s %s", code, service, day, slot.start.strftime("%H:%M"))
        return _booking(code, service, day, slot, BOOKED, masked)
    raise RuntimeError("no free booking code after 20 draws")


def _booking(code: str, service: str, day: date, slot: Slot, status: str, name: str) -> dict:
    return {
        "code": code,
        "service": service,
        "date": day.isoformat(),
        "slot": slot.start.strftime("%H:%M"),
        "slot_end": slot.end.strftime("%H:%M"),
        "status": status,
        "name_masked": name,
    }


def cancel(conn: Connection, code: str, holder: str | None) -> dict:
    """Cancel a booking not yet checked in; a kiosk names the holder (the card on the reader)."""
    a = appointments.c
    row = conn.execute(select(appointments).where(a.code == code).with_for_update()).first()
    if row is None or row.status != BOOKED or (holder is not None and row.holder != holder):
        raise KioskError(APPOINTMENT_INVALID, "no such booking to cancel")
    conn.execute(update(appointments).where(a.code == code).values(status=CANCELLED))
    log.info("booking %s cancelled", code)
    return {
        "code": code, "service": row.service, "date": row.business_date.isoformat(),
        "status": CANCELLED,
    }
