"""The hall's rules on the server (issue 12): opening hours from the same schedule file the
kiosk reads, public holidays and make-up working days (调休) from one calendar, and one waiting
ticket per person and service. Offline-numbered tickets stay exempt from hours."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from common.paths import hall_file
from common.schedule import Schedule
from common.workdays import WorkCalendar

from .conftest import DATA, HALL_TZ, START
from .test_api_basics import assert_error

HOLDER = "d" * 64


@pytest.fixture
def ruled(tmp_path, db_url):
    """A hall that enforces its opening hours (the shipped schedule.toml: Monday–Friday
    08:30–12:00 and 13:30–17:30, working days by the calendar)."""
    from hall_server.clock import SettableClock
    from hall_server.services_import import import_services
    from tests.support.server import start_server_thread

    server = start_server_thread(
        tmp_path / "hall",
        db_url=db_url,
        clock=SettableClock(START),
        overrides={"queue": {"enforce_hours": True}, "kiosk": {"holder_daily_limit": 5}},
    )
    import_services(server.database, DATA / "services.toml", clock=server.clock)
    yield server
    server.stop()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HALL_TZ)


def test_ticket_outside_hours_is_refused_naming_the_next_opening(ruled):
    kiosk = ruled.api()
    ruled.clock.set(at(2025, 3, 14, 19, 0))  # Friday evening
    body = assert_error(kiosk.ticket("ZH"), 409, "E-QUE-20")
    assert "2025-03-17 08:30" in body["error"]["message"]  # Monday morning
    ruled.clock.set(at(2025, 3, 14, 12, 30))  # lunch break
    assert "2025-03-14 13:30" in assert_error(kiosk.ticket("ZH"), 409, "E-QUE-20")["error"][
        "message"
    ]
    ruled.clock.set(at(2025, 3, 14, 13, 31))
    assert kiosk.ticket("ZH").status_code == 201


def test_public_holiday_closes_and_make_up_saturday_opens(ruled):
    kiosk = ruled.api()
    ruled.clock.set(at(2025, 10, 1, 10, 0))  # National Day, a Wednesday
    message = assert_error(kiosk.ticket("ZH"), 409, "E-QUE-20")["error"]["message"]
    assert "2025-10-09 08:30" in message  # the holiday week (1–8 October) is skipped
    ruled.clock.set(at(2025, 10, 11, 10, 0))  # Saturday, a make-up working day (调休)
    assert kiosk.ticket("ZH").status_code == 201
    ruled.clock.set(at(2025, 10, 12, 10, 0))  # an ordinary Sunday
    assert_error(kiosk.ticket("ZH"), 409, "E-QUE-20")


def test_offline_numbered_ticket_is_accepted_after_hours(ruled):
    kiosk = ruled.api()
    tag = kiosk.enrolled["tag"]
    ruled.clock.set(at(2025, 3, 14, 21, 0))
    resp = kiosk.ticket("ZH", offline_number=f"A-{tag}-001", issued_at="2025-03-14T11:00:00+08:00")
    assert resp.status_code == 201, resp.text


def test_one_waiting_ticket_per_person_and_service(ruled):
    kiosk, counter = ruled.api(), ruled.api("counter")
    assert kiosk.ticket("ZH", holder=HOLDER).status_code == 201
    assert_error(kiosk.ticket("ZH", holder=HOLDER), 409, "E-QUE-21")
    assert kiosk.ticket("SB", holder=HOLDER).status_code == 201  # another service is fine
    assert kiosk.ticket("ZH", holder="e" * 64).status_code == 201  # another person too
    # once called, the person may queue again (e.g. for a second matter)
    assert counter.post("/queue/counters/01/call-next", {"services": ["ZH"]}).status_code == 200
    assert counter.post("/queue/counters/01/call-next", {"services": ["ZH"]}).status_code == 200
    assert kiosk.ticket("ZH", holder=HOLDER).status_code == 201


@pytest.mark.parametrize(
    "moment",
    [
        at(2025, 3, 14, 8, 29),
        at(2025, 3, 14, 8, 30),
        at(2025, 3, 14, 12, 0),
        at(2025, 3, 15, 10, 0),
        at(2025, 10, 3, 10, 0),
        at(2025, 9, 28, 9, 0),
        at(2025, 12, 31, 17, 29),
    ],
)
def test_kiosk_and_server_agree_on_hours(ruled, moment):
    """The kiosk's home screen offers 取号 exactly when the server takes tickets."""
    kiosk_view = (
        Schedule.load(hall_file("schedule.toml"), hall_file("holidays.toml"))
        .availability("queue", moment)
        .open
    )
    ruled.clock.set(moment)
    resp = ruled.api().ticket("GJJ")
    assert (resp.status_code == 201) is kiosk_view, resp.text


def test_per_service_hours_override_the_queue_function(tmp_path):
    (tmp_path / "schedule.toml").write_text(
        '[functions.queue]\ndays = ["mon", "tue", "wed", "thu", "fri"]\n'
        'hours = ["08:30-17:30"]\n\n'
        '[services.GJJ]\ndays = ["mon", "tue", "wed", "thu", "fri", "sat"]\n'
        'hours = ["09:00-12:00"]\n'
    )
    schedule = Schedule.load(tmp_path / "schedule.toml")
    saturday = at(2025, 3, 15, 10, 0)
    assert schedule.service_availability("GJJ", saturday).open
    assert not schedule.service_availability("ZH", saturday).open
    afternoon = at(2025, 3, 14, 15, 0)
    assert schedule.service_availability("ZH", afternoon).open
    reopen = schedule.service_availability("GJJ", afternoon).reopens
    assert reopen == at(2025, 3, 15, 9, 0)


def test_hall_file_wins_and_an_unknown_year_falls_back_to_weekdays(tmp_path):
    (tmp_path / "holidays.toml").write_text(
        "holidays = [2025-03-14]\n"  # a local closure on an ordinary Friday
        "workdays = [2099-01-03]\n"  # the hall entered a 调休 Saturday of a year to come
    )
    calendar = WorkCalendar.load(tmp_path / "holidays.toml")
    assert not calendar.is_working_day(date(2025, 3, 14))
    assert calendar.is_working_day(date(2025, 9, 28))  # the package's 调休 Sunday
    assert not calendar.is_working_day(date(2025, 10, 1))  # the package's National Day
    # 2098: the package does not know it; Monday–Friday, and the calendar says so
    assert calendar.is_working_day(date(2098, 10, 1)) and not calendar.covers(2098)
    assert calendar.unknown_years(date(2098, 12, 6)) == [2098]
    assert calendar.is_working_day(date(2099, 1, 3)) and calendar.covers(2099)
    # promised-by dates count the same working days (2025-09-30 + 2 → 9 and 10 October)
    assert calendar.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)


def test_fleet_page_warns_when_the_years_holidays_are_unknown(tmp_path):
    import requests

    from hall_server.clock import SettableClock
    from tests.support.server import start_server_thread

    with start_server_thread(tmp_path, clock=SettableClock(at(2098, 12, 1, 9, 0))) as hall:
        token = hall.enroll("admin")["token"]
        html = requests.get(f"{hall.url}/admin/devices", auth=("m", token), timeout=10).text
    assert "2098, 2099 年节假日未知" in html and "holidays.toml" in html
    assert "as of 2098-12-01T09:0" in html and "+08:00" in html  # the hall's time, not UTC
