"""Bookings (预约, issue 12): slots inside the service's opening hours on working days, one
booking per person/service/day, capacity per slot, cancel, and check-in within a window around
the slot (a late arrival is told to take a normal ticket)."""

from __future__ import annotations

from datetime import datetime

from .conftest import HALL_TZ
from .test_api_basics import assert_error

ME, YOU, THEM = "a1" * 16, "b2" * 16, "c3" * 16
MONDAY = "2025-03-17"  # the fixture hall's clock starts on Friday 2025-03-14 10:00


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HALL_TZ)


def book(kiosk, holder=ME, date=MONDAY, slot="09:30", service="GJJ", name="张三丰"):
    body = {"service": service, "date": date, "slot": slot, "holder": holder, "name": name}
    return kiosk.post("/queue/appointments", body)


def test_slots_follow_the_opening_hours_and_what_has_passed(kiosk):
    today = kiosk.get("/queue/slots", params={"service": "GJJ", "date": "2025-03-14"})
    assert today.status_code == 200, today.text
    slots = today.json()["slots"]
    assert [s["start"] for s in slots] == ["08:30", "09:30", "10:30", "13:30", "14:30", "15:30",
                                           "16:30"]  # 60 min slots inside 08:30–12:00, 13:30–17:30
    assert [s["available"] for s in slots[:3]] == [False, False, True]  # it is 10:00 now
    saturday = kiosk.get("/queue/slots", params={"service": "GJJ", "date": "2025-03-15"})
    assert saturday.json()["slots"] == []
    assert_error(kiosk.get("/queue/slots", params={"service": "ZH", "date": MONDAY}), 409,
                 "E-QUE-22")


def test_book_once_per_person_service_and_day_within_capacity(hall, kiosk):
    first = book(kiosk)
    assert first.status_code == 201, first.text
    booking = first.json()
    assert len(booking["code"]) == 6 and booking["code"].isdigit()
    assert (booking["slot"], booking["slot_end"], booking["name_masked"]) == ("09:30", "10:30",
                                                                               "张**")
    assert_error(book(kiosk, slot="10:30"), 409, "E-QUE-25")  # the same person that day
    assert book(kiosk, holder=YOU).status_code == 201
    assert_error(book(kiosk, holder=THEM), 409, "E-QUE-24")  # two per slot: full
    slot = next(s for s in kiosk.get("/queue/slots", params={"service": "GJJ", "date": MONDAY})
                .json()["slots"] if s["start"] == "09:30")
    assert (slot["booked"], slot["available"]) == (2, False)
    assert_error(book(kiosk, holder=THEM, slot="09:00"), 409, "E-QUE-23")  # not a slot
    assert_error(book(kiosk, holder=THEM, date="2025-03-14", slot="08:30"), 409, "E-QUE-23")
    assert_error(book(kiosk, holder=THEM, date="2025-03-15"), 409, "E-QUE-23")  # Saturday
    assert_error(book(kiosk, holder=THEM, service="ZH"), 409, "E-QUE-22")
    # only the masked name and the holder hash are kept
    from sqlalchemy import select

    from hall_server.schema import appointments

    with hall.database.read() as conn:
        names = {r.name_masked for r in conn.execute(select(appointments))}
    assert names == {"张**"}


def test_cancel_frees_the_slot_and_needs_the_same_holder(kiosk):
    code = book(kiosk).json()["code"]
    book(kiosk, holder=YOU)
    assert_error(kiosk.delete(f"/queue/appointments/{code}", params={"holder": THEM}), 404,
                 "E-QUE-05")
    gone = kiosk.delete(f"/queue/appointments/{code}", params={"holder": ME})
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert book(kiosk, holder=THEM).status_code == 201  # the freed place
    assert book(kiosk, holder=ME, slot="10:30").status_code == 201  # may book again


def test_check_in_within_the_window_and_late_arrivals_told_to_take_a_ticket(hall, kiosk):
    mine, yours = book(kiosk).json()["code"], book(kiosk, holder=YOU).json()["code"]
    hall.clock.set(at(2025, 3, 17, 8, 50))  # 40 min early (window: 30)
    early = kiosk.ticket("GJJ", appointment=mine, holder=ME)
    assert "09:00" in assert_error(early, 409, "E-QUE-26")["error"]["message"]
    hall.clock.set(at(2025, 3, 17, 9, 10))
    ticket = kiosk.ticket("GJJ", appointment=mine, holder=ME)
    assert ticket.status_code == 201 and ticket.json()["priority"] == "appointment"
    hall.clock.set(at(2025, 3, 17, 9, 46))  # 16 min after the slot began (window: 15)
    late = kiosk.ticket("GJJ", appointment=yours, holder=YOU)
    assert "09:30" in assert_error(late, 409, "E-QUE-27")["error"]["message"]
    assert kiosk.ticket("GJJ", holder=YOU).status_code == 201  # a normal ticket instead
    found = kiosk.get("/queue/appointments", params={"holder": ME}).json()["appointments"]
    assert [(a["code"], a["status"]) for a in found] == [(mine, "checked_in")]


def test_the_marriage_booking_form_books_and_the_id_card_finds_it_on_the_day(tmp_path):
    """婚姻登记预约 (common/defaults/forms/F-HYDJ-01.toml) files a real booking: on the chosen day the
    holder's appointments list it, and it checks in as an appointment ticket."""
    from hall_server.clock import SettableClock
    from tests.support.server import start_server_thread

    clock = SettableClock(at(2025, 3, 14, 10, 0))
    with start_server_thread(tmp_path / "hall", demo=True, clock=clock) as hall:
        kiosk = hall.api()
        fields = {"kind": "marriage", "name": "张三丰", "id_number": "11010519491231002X",
                  "phone": "13912345678", "partner_name": "李四", "date": MONDAY, "period": "pm"}
        filed = kiosk.post("/applications", {"form": "F-HYDJ-01", "fields": fields,
                                             "holder": ME, "item": "MZ-0001"})
        assert filed.status_code == 201, filed.text
        code = filed.json()["appointment"]
        assert code and len(code) == 6
        again = kiosk.post("/applications", {"form": "F-HYDJ-01", "fields": fields, "holder": ME})
        assert_error(again, 409, "E-QUE-25")  # one booking per person and day
        # today's morning is half over at 10:00, and over by noon: "has passed", not "full"
        today = {**fields, "date": "2025-03-14", "period": "am"}
        clock.set(at(2025, 3, 14, 11, 50))
        late = kiosk.post("/applications", {"form": "F-HYDJ-01", "fields": today, "holder": YOU})
        assert_error(late, 409, "E-QUE-23")
        clock.set(at(2025, 3, 17, 13, 10))
        found = kiosk.get("/queue/appointments", params={"holder": ME}).json()["appointments"]
        assert [(a["code"], a["service"], a["status"]) for a in found] == [(code, "HYDJ", "booked")]
        ticket = kiosk.ticket("HYDJ", appointment=code, holder=ME)
        assert ticket.status_code == 201 and ticket.json()["priority"] == "appointment", ticket.text
