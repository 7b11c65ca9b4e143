"""Applications: submit (form validation), lookups (rate-limited), status history; evaluations."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import date

import pytest

from common.wire import Application, ApplicationList

from .conftest import LOOKUPS_PER_MINUTE, START
from .test_api_basics import assert_error

ID = "11010519491231002X"  # the standard's own example number, not a person
NAME = "张三丰"
HOLDER = "f" * 64
FIELDS = {"name": NAME, "id_number": ID, "shop_name": "三丰小卖部"}
NUMBER_RE = re.compile(r"^SQ20250314[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$")


def submit(api, key=None, **body) -> dict:
    payload = {"form": "F-TEST-01", "fields": FIELDS, **body}
    resp = api.post("/applications", payload, key=key or str(uuid.uuid4()))
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_submit_returns_an_unguessable_number(kiosk):
    created = submit(kiosk, holder=HOLDER)
    assert created["status"] == "submitted"
    assert NUMBER_RE.match(created["number"]), created["number"]
    numbers = {submit(kiosk)["number"][10:] for _ in range(10)} | {created["number"][10:]}
    assert len(numbers) == 11
    # random parts share no common prefix pattern (not a counter)
    assert len({n[:3] for n in numbers}) > 5


def test_submit_is_idempotent(kiosk):
    key = str(uuid.uuid4())
    first = submit(kiosk, key=key)
    again = kiosk.post("/applications", {"form": "F-TEST-01", "fields": FIELDS}, key=key)
    assert again.status_code == 200 and again.json() == first
    other = kiosk.post(
        "/applications", {"form": "F-TEST-01", "fields": {**FIELDS, "shop_name": "x"}}, key=key
    )
    assert_error(other, 422, "E-API-03")


def test_unknown_form_and_invalid_fields(kiosk):
    assert_error(kiosk.post("/applications", {"form": "F-NOPE", "fields": {}}), 404, "E-APP-01")
    bad = {"name": "", "id_number": "110105194912310021", "extra": "x"}
    resp = kiosk.post("/applications", {"form": "F-TEST-01", "fields": bad})
    body = assert_error(resp, 422, "E-VAL-01")
    message = body["error"]["message"]
    for key, code in (("name", "E-VAL-02"), ("id_number", "E-VAL-06"), ("extra", "E-VAL-12")):
        assert f"{key}: {code}" in message
    assert "110105194912310021" not in resp.text


def test_get_shows_status_history_deadline_and_time(kiosk):
    number = submit(kiosk)["number"]
    resp = kiosk.get(f"/applications/{number}")
    assert resp.status_code == 200
    app = Application.model_validate(resp.json())
    assert app.item == "SCJG-GTGSH-001" and app.item_title == "个体工商户设立登记"
    assert app.status == "submitted"
    assert [h.status for h in app.history] == ["submitted"]
    # submitted on Friday 2025-03-14; 3 working days → Wednesday 2025-03-19
    assert app.promised_by == date(2025, 3, 19)
    assert abs((app.as_of - START).total_seconds()) < 60
    assert NAME not in resp.text and ID not in resp.text  # lookups never return the fields
    assert_error(kiosk.get("/applications/SQ20250314AAAAAAAAAA"), 404, "E-APP-02")


def test_list_by_holder(kiosk, counter):
    first = submit(kiosk, holder=HOLDER)["number"]
    second = submit(kiosk, holder=HOLDER)["number"]
    submit(kiosk, holder="e" * 64)
    resp = kiosk.get("/applications", params={"holder": HOLDER})
    assert resp.status_code == 200
    listed = ApplicationList.model_validate(resp.json())
    assert {a.number for a in listed.applications} == {first, second}
    assert listed.as_of is not None
    assert counter.get("/applications", params={"holder": "d" * 64}).json()["applications"] == []
    assert_error(kiosk.get("/applications"), 422, "E-API-02")  # holder is required
    assert_error(kiosk.get("/applications", params={"holder": "short"}), 422, "E-API-02")


def test_lookups_are_rate_limited_per_device(hall, kiosk):
    number = submit(kiosk)["number"]
    for _ in range(LOOKUPS_PER_MINUTE):
        assert kiosk.get(f"/applications/{number}").status_code == 200
    resp = kiosk.get("/applications", params={"holder": HOLDER})
    assert_error(resp, 429, "E-API-04")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert hall.api("kiosk", "K-2").get(f"/applications/{number}").status_code == 200


def test_status_change_by_counter_records_history(kiosk, counter, hall):
    number = submit(kiosk)["number"]
    hall.clock.advance(3600)
    resp = counter.patch(
        f"/applications/{number}/status", {"status": "correction_requested", "note": "缺少租赁合同"}
    )
    assert resp.status_code == 200
    hall.clock.advance(3600)
    counter.patch(f"/applications/{number}/status", {"status": "accepted"})
    app = Application.model_validate(kiosk.get(f"/applications/{number}").json())
    assert app.status == "accepted"
    assert [(h.status, h.note) for h in app.history] == [
        ("submitted", ""),
        ("correction_requested", "缺少租赁合同"),
        ("accepted", ""),
    ]
    assert app.history[0].at < app.history[1].at < app.history[2].at
    assert_error(
        kiosk.patch(f"/applications/{number}/status", {"status": "approved"}), 403, "E-AUTH-02"
    )
    assert_error(
        counter.patch(f"/applications/{number}/status", {"status": "done"}), 422, "E-API-02"
    )
    assert_error(
        counter.patch("/applications/SQ2025NOPE/status", {"status": "approved"}), 404, "E-APP-02"
    )


def test_personal_data_never_reaches_the_logs(kiosk, counter, caplog):
    caplog.set_level(logging.DEBUG)
    number = submit(kiosk, holder=HOLDER)["number"]
    kiosk.get(f"/applications/{number}")
    kiosk.post("/applications", {"form": "F-TEST-01", "fields": {**FIELDS, "name": ""}})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert number in text  # the log does say what happened
    assert ID not in text and NAME not in text and "三丰" not in text


def test_form_not_in_the_forms_dir_is_refused(tmp_path):
    """Forms come from the server's forms directory; an item does not stand in for one."""
    from tests.support.server import start_server_thread

    from .conftest import DATA

    with start_server_thread(tmp_path, forms_dir=DATA / "forms") as hall:
        api = hall.api()
        resp = api.post("/applications", {"form": "F-OTHER", "fields": {}, "item": "X"})
        assert_error(resp, 404, "E-APP-01")


# --- evaluations -----------------------------------------------------------------------------
def served(kiosk, counter, service="ZH") -> dict:
    """A ticket taken, then the next one called, started and finished at counter 01 (the one
    taken when nobody else waits): a ticket that may be rated."""
    kiosk.ticket(service)
    called = counter.post("/queue/counters/01/call-next", {"services": [service]})
    assert called.status_code == 200, called.text
    for step in ("start", "finish"):
        assert counter.post(f"/queue/counters/01/{step}", {}).status_code == 200
    return called.json()


def test_evaluate_a_ticket_and_an_application(kiosk, counter):
    ticket = served(kiosk, counter)
    resp = kiosk.post(
        "/evaluations",
        {"subject": ticket["id"], "level": 5, "reasons": ["R5-01", "R5-02"], "comment": "很好"},
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["subject"] == ticket["id"] and body["level"] == 5
    uuid.UUID(body["id"])
    number = submit(kiosk)["number"]
    resp = counter.post("/evaluations", {"subject": number, "level": 1, "reasons": ["R1-01"]})
    assert resp.status_code == 201


def test_evaluation_rules(kiosk, counter):
    ticket = served(kiosk, counter)["id"]
    assert_error(
        kiosk.post("/evaluations", {"subject": ticket, "level": 5, "reasons": ["R1-01"]}),
        422,
        "E-VAL-01",
    )
    assert_error(
        kiosk.post("/evaluations", {"subject": ticket, "level": 2, "reasons": ["NOPE"]}),
        422,
        "E-VAL-01",
    )
    assert_error(
        kiosk.post("/evaluations", {"subject": ticket, "level": 5, "reasons": ["R5-01", "R5-01"]}),
        422,
        "E-VAL-01",
    )
    for level in (0, 6):
        assert_error(
            kiosk.post("/evaluations", {"subject": ticket, "level": level}), 422, "E-API-02"
        )
    assert_error(kiosk.post("/evaluations", {"subject": "nothing", "level": 3}), 404, "E-API-01")
    too_long = {"subject": ticket, "level": 3, "comment": "长" * 501}
    assert_error(kiosk.post("/evaluations", too_long), 422, "E-API-02")


def test_evaluation_is_idempotent(kiosk, counter):
    ticket = served(kiosk, counter)["id"]
    key = str(uuid.uuid4())
    first = kiosk.post("/evaluations", {"subject": ticket, "level": 4}, key=key)
    again = kiosk.post("/evaluations", {"subject": ticket, "level": 4}, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert_error(
        kiosk.post("/evaluations", {"subject": ticket, "level": 3}, key=key), 422, "E-API-03"
    )


def test_a_ticket_is_rated_only_once_it_was_served_and_only_once(hall, kiosk, counter):
    waiting = kiosk.ticket("ZH").json()["id"]
    assert_error(kiosk.post("/evaluations", {"subject": waiting, "level": 5}), 409, "E-EVA-01")
    ticket = served(kiosk, counter)["id"]
    assert kiosk.post("/evaluations", {"subject": ticket, "level": 5}).status_code == 201
    second = kiosk.post("/evaluations", {"subject": ticket, "level": 1})  # a new key: a 2nd try
    assert_error(second, 409, "E-EVA-02")
    number = submit(kiosk)["number"]
    assert kiosk.post("/evaluations", {"subject": number, "level": 4}).status_code == 201
    assert_error(kiosk.post("/evaluations", {"subject": number, "level": 4}), 409, "E-EVA-02")
    with hall.database.read() as conn:
        from sqlalchemy import func, select

        from hall_server.schema import evaluations

        rows = conn.execute(select(evaluations.c.subject, evaluations.c.counter)).all()
        assert conn.execute(select(func.count()).select_from(evaluations)).scalar_one() == 2
    assert (ticket, "01") in [tuple(r) for r in rows]  # the counter that served it


def test_a_rating_of_what_the_kiosk_issued_offline_reaches_it_by_the_kiosks_key(kiosk, counter):
    """Offline the kiosk knows a ticket or application only by its own Idempotency-Key; the
    rating queued with that key as subject resolves to what the key created."""
    key = str(uuid.uuid4())
    tag = kiosk.enrolled["tag"]
    offline = kiosk.ticket("ZH", key=key, offline_number=f"A-{tag}-007")
    assert offline.status_code == 201, offline.text
    for step in ("call-next", "start", "finish"):
        body = {"services": ["ZH"]} if step == "call-next" else {}
        assert counter.post(f"/queue/counters/01/{step}", body).status_code == 200
    resp = kiosk.post("/evaluations", {"subject": key, "level": 5})
    assert resp.status_code == 201, resp.text
    assert resp.json()["subject"] == offline.json()["id"]
    app_key = str(uuid.uuid4())
    filed = kiosk.post(
        "/applications", {"form": "F-TEST-01", "fields": FIELDS, "holder": "h" * 64}, key=app_key
    )
    assert filed.status_code == 201, filed.text
    resp = kiosk.post("/evaluations", {"subject": app_key, "level": 3})
    assert resp.status_code == 201 and resp.json()["subject"] == filed.json()["number"]


def test_bad_ratings_become_follow_up_cases_due_the_next_working_day(hall, kiosk, counter, admin):
    from datetime import datetime

    from .conftest import HALL_TZ

    hall.clock.set(datetime(2025, 9, 30, 10, 0, tzinfo=HALL_TZ))  # before the National Day week
    ticket = served(kiosk, counter)["id"]
    bad = kiosk.post("/evaluations", {"subject": ticket, "level": 2, "reasons": ["R2-01"]})
    assert bad.status_code == 201, bad.text
    good = served(kiosk, counter)["id"]
    assert kiosk.post("/evaluations", {"subject": good, "level": 5}).status_code == 201
    cases = admin.get("/evaluations/cases").json()["cases"]
    assert [c["subject"] for c in cases] == [ticket]  # only the bad one
    case = cases[0]
    assert case["due_on"] == "2025-10-09" and case["state"] == "open"  # after the holidays
    assert case["counter"] == "01" and not case["overdue"]
    done = admin.patch(f"/evaluations/cases/{case['id']}", {"state": "contacted", "note": "已回访"})
    assert done.status_code == 200 and done.json()["state"] == "contacted"
    hall.clock.set(datetime(2025, 10, 10, 9, 0, tzinfo=HALL_TZ))
    assert admin.get("/evaluations/cases").json()["cases"][0]["overdue"] is True
    assert admin.get("/evaluations/cases", params={"state": "open"}).json()["cases"] == []
    assert_error(admin.patch("/evaluations/cases/nope", {"state": "resolved"}), 404, "E-EVA-03")
    assert_error(kiosk.get("/evaluations/cases"), 403, "E-AUTH-02")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 3, 14), 0, date(2025, 3, 14)),  # same-day item
        (date(2025, 3, 14), 1, date(2025, 3, 17)),  # Friday + 1 → Monday
        (date(2025, 3, 15), 1, date(2025, 3, 17)),  # Saturday + 1 → Monday
        (date(2025, 3, 10), 10, date(2025, 3, 24)),
    ],
)
def test_working_days(start, days, expected):
    from common.workdays import WorkCalendar

    assert WorkCalendar.load(None).add_working_days(start, days) == expected


def test_working_days_with_holidays_and_make_up_days(tmp_path):
    from common.workdays import WorkCalendar

    path = tmp_path / "holidays.toml"
    path.write_text(
        "holidays = [2025-10-01, 2025-10-02, 2025-10-03, 2025-10-06, 2025-10-07,"
        " 2025-10-08]\nworkdays = [2025-09-28, 2025-10-11]\n"
    )
    hall = WorkCalendar.load(path)
    calendar = WorkCalendar(hall.holidays, hall.workdays, use_package=False)  # the file alone
    # Friday 2025-09-26 + 1 working day → Sunday 2025-09-28 (a make-up working day)
    assert calendar.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    # 2025-09-30 + 2 → 10-09, 10-10 (the holiday week is skipped)
    assert calendar.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)
