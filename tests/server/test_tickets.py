"""Tickets: numbering and the hall's midnight, rules (cap, closed, per-ID limit, appointment),
idempotency, offline numbers, the priority rule, status page, call-next."""

from __future__ import annotations

import random
import re
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from common.wire import AppointmentList, Ticket

from .conftest import HALL_TZ, HOLDER_LIMIT, LOOKUPS_PER_MINUTE, START
from .test_api_basics import assert_error

HOLDER = "a" * 64


def take(api, service="ZH", **body) -> dict:
    resp = api.ticket(service, **body)
    assert resp.status_code == 201, resp.text
    return Ticket.model_validate(resp.json()).model_dump(mode="json")


def test_number_is_prefix_and_three_digit_daily_counter(kiosk, hall):
    a1, a2, b1 = take(kiosk, "ZH"), take(kiosk, "ZH"), take(kiosk, "SB")
    assert (a1["number"], a2["number"], b1["number"]) == ("A001", "A002", "B001")
    assert uuid.UUID(a1["id"]) != uuid.UUID(a2["id"])
    assert a1["service_name"] == "综合受理" and a1["service_name_en"] == "General"
    assert a1["url"] == f"{hall.url}/t/{a1['id']}"
    assert a1["status"] == "waiting" and a1["priority"] is None
    issued = datetime.fromisoformat(a1["issued_at"])
    assert abs((issued - START).total_seconds()) < 60 and issued.utcoffset() == timedelta(0)


def test_counter_resets_at_the_halls_midnight_not_utcs(kiosk, hall):
    # 08:00 in Shanghai is UTC midnight: no reset there
    hall.clock.set(datetime(2025, 3, 14, 7, 59, 58, tzinfo=HALL_TZ))
    assert take(kiosk)["number"] == "A001"
    hall.clock.set(datetime(2025, 3, 14, 8, 0, 2, tzinfo=HALL_TZ))
    assert take(kiosk)["number"] == "A002"
    # local midnight: a new business day starts at 001
    hall.clock.set(datetime(2025, 3, 14, 23, 59, 59, tzinfo=HALL_TZ))
    last = take(kiosk)
    assert last["number"] == "A003"
    hall.clock.set(datetime(2025, 3, 15, 0, 0, 1, tzinfo=HALL_TZ))
    first = take(kiosk)
    assert first["number"] == "A001" and first["id"] != last["id"]
    assert first["people_ahead"] == 0  # yesterday's waiting tickets are not in today's queue
    # yesterday's ticket still resolves by id, now expired
    old = kiosk.get(f"/queue/tickets/{last['id']}").json()
    assert old["number"] == "A003" and old["status"] == "expired"
    services = {s["code"]: s for s in kiosk.get("/queue/services").json()["services"]}
    assert services["ZH"]["waiting"] == 1 and services["ZH"]["issued_today"] == 1


def test_people_ahead_counts_waiting_tickets_of_the_service(kiosk):
    assert [take(kiosk)["people_ahead"] for _ in range(3)] == [0, 1, 2]
    assert take(kiosk, "SB")["people_ahead"] == 0


def test_daily_cap(kiosk, hall):
    for _ in range(3):
        take(kiosk, "SB")
    resp = kiosk.ticket("SB")
    assert_error(resp, 409, "E-QUE-03")
    assert take(kiosk, "GJJ")["number"] == "D001"  # daily_cap 0 means no cap
    hall.clock.set(START + timedelta(days=1))
    assert take(kiosk, "SB")["number"] == "B001"


def test_closed_service(kiosk):
    assert_error(kiosk.ticket("YE"), 409, "E-QUE-02")


def test_unknown_service(kiosk):
    assert_error(kiosk.ticket("NOPE"), 404, "E-QUE-01")


def test_holder_daily_limit(kiosk, hall):
    for service in ("ZH", "GJJ")[:HOLDER_LIMIT]:
        take(kiosk, service, holder=HOLDER)
    assert_error(kiosk.ticket("ZH", holder=HOLDER), 409, "E-QUE-04")
    take(kiosk, "ZH", holder="b" * 64)  # another person
    take(kiosk, "ZH")  # anonymous tickets are not limited
    hall.clock.set(START + timedelta(days=1))
    take(kiosk, "ZH", holder=HOLDER)  # a new day


def test_no_holder_limit_when_zero(tmp_path):
    from hall_server.services_import import import_services
    from tests.support.server import start_server_thread

    from .conftest import DATA

    with start_server_thread(tmp_path, overrides={"kiosk": {"holder_daily_limit": 0}}) as hall:
        import_services(hall.database, DATA / "services.toml")
        api, counter = hall.api(), hall.api("counter")
        for _ in range(5):  # beyond the default limit of 3; one waiting per service at a time
            take(api, "ZH", holder=HOLDER)
            assert counter.post("/queue/counters/01/call-next", {}).status_code == 200


def test_same_key_same_ticket_201_then_200(kiosk):
    key = str(uuid.uuid4())
    first = kiosk.ticket("ZH", key=key)
    again = kiosk.ticket("ZH", key=key)
    explicit_null = kiosk.post("/queue/tickets", {"service": "ZH", "holder": None}, key=key)
    assert (first.status_code, again.status_code, explicit_null.status_code) == (201, 200, 200)
    assert first.json() == again.json() == explicit_null.json()
    assert take(kiosk)["number"] == "A002"  # the replays issued nothing


def test_same_key_different_body_is_422(kiosk):
    key = str(uuid.uuid4())
    assert kiosk.ticket("ZH", key=key).status_code == 201
    assert_error(kiosk.ticket("GJJ", key=key), 422, "E-API-03")
    assert_error(kiosk.ticket("ZH", key=key, priority="elderly"), 422, "E-API-03")
    # another kind of submission under the same key is a different body too
    assert_error(kiosk.post("/evaluations", {"subject": "x", "level": 5}, key=key), 422, "E-API-03")


def test_keys_are_per_device(hall, kiosk):
    other = hall.api("kiosk", "K-other")
    key = str(uuid.uuid4())
    a, b = kiosk.ticket("ZH", key=key).json(), other.ticket("ZH", key=key).json()
    assert a["id"] != b["id"]


def test_a_refused_request_can_be_retried_with_its_key(kiosk, hall):
    for _ in range(3):
        take(kiosk, "SB")
    key = str(uuid.uuid4())
    assert_error(kiosk.ticket("SB", key=key), 409, "E-QUE-03")
    hall.clock.set(START + timedelta(days=1))
    assert kiosk.ticket("SB", key=key).status_code == 201


def _book(hall, code, service="ZH", day=None, holder=None):
    from hall_server.schema import appointments

    with hall.database.write() as conn:
        conn.execute(
            appointments.insert().values(
                code=code,
                service=service,
                business_date=day or START.date(),
                holder=holder,
                status="booked",
                created_at=hall.clock.now(),
            )
        )


def test_appointment_check_in(kiosk, hall):
    _book(hall, "YY01")
    _book(hall, "YY02", holder=HOLDER)
    _book(hall, "YY03", day=START.date() + timedelta(days=1))
    normal = take(kiosk)
    ticket = take(kiosk, appointment="YY01")
    assert ticket["priority"] == "appointment"
    assert ticket["people_ahead"] == 0  # appointments go before walk-ins
    assert normal["people_ahead"] == 0
    assert_error(kiosk.ticket("ZH", appointment="YY01"), 404, "E-QUE-05")  # already used
    assert_error(kiosk.ticket("ZH", appointment="NOPE"), 404, "E-QUE-05")
    assert_error(kiosk.ticket("ZH", appointment="YY03"), 404, "E-QUE-05")  # not today
    assert_error(kiosk.ticket("SB", appointment="YY02"), 404, "E-QUE-05")  # other service
    assert_error(kiosk.ticket("ZH", appointment="YY02", holder="c" * 64), 404, "E-QUE-05")
    take(kiosk, appointment="YY02", holder=HOLDER)


def test_appointment_passes_the_daily_cap(kiosk, hall):
    _book(hall, "YY-SB", service="SB")
    for _ in range(3):
        take(kiosk, "SB")
    assert take(kiosk, "SB", appointment="YY-SB")["number"] == "B004"


def test_appointments_by_holder_for_check_in_by_id_card(kiosk, counter, hall):
    _book(hall, "YY-SB", service="SB", holder=HOLDER)
    _book(hall, "YY-ZH", service="ZH", holder=HOLDER)
    _book(hall, "YY-TOMORROW", holder=HOLDER, day=START.date() + timedelta(days=1))
    _book(hall, "YY-OTHER", holder="b" * 64)
    _book(hall, "YY-NOBODY")

    def lookup(holder=HOLDER):
        resp = kiosk.get("/queue/appointments", params={"holder": holder})
        assert resp.status_code == 200, resp.text
        return AppointmentList.model_validate(resp.json())

    today = lookup()
    assert today.business_date == START.date()
    # today's only, this holder's only, in the services' order (ZH before SB), none checked in
    assert [(a.code, a.service, a.status) for a in today.appointments] == [
        ("YY-ZH", "ZH", "booked"),
        ("YY-SB", "SB", "booked"),
    ]
    assert today.appointments[0].service_name == "综合受理"
    assert today.appointments[0].service_name_en == "General"
    # checked in (by the code, with the card's holder): now listed after the booked one,
    # with the number it was given
    ticket = take(kiosk, "SB", appointment="YY-SB", holder=HOLDER)
    after = lookup()
    assert [(a.code, a.status, a.ticket_number) for a in after.appointments] == [
        ("YY-ZH", "booked", None),
        ("YY-SB", "checked_in", ticket["number"]),
    ]
    assert lookup("c" * 64).appointments == []  # nobody's: an answer, not an error
    # kiosks only; the holder hash is required; a lookup of personal data is rate-limited
    assert_error(counter.get("/queue/appointments", params={"holder": HOLDER}), 403, "E-AUTH-02")
    assert_error(kiosk.get("/queue/appointments"), 422, "E-API-02")
    for _ in range(LOOKUPS_PER_MINUTE - 3):
        lookup()
    assert_error(kiosk.get("/queue/appointments", params={"holder": HOLDER}), 429, "E-API-04")


def test_offline_ticket_keeps_its_number_and_time(kiosk, hall):
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    take(kiosk)  # A001 online
    issued = START - timedelta(minutes=30)
    ticket = take(kiosk, "ZH", offline_number=f"A-{tag}-017", issued_at=issued.isoformat())
    assert ticket["number"] == f"A-{tag}-017"
    assert datetime.fromisoformat(ticket["issued_at"]) == issued
    assert ticket["people_ahead"] == 0  # it arrived before A001
    assert take(kiosk)["number"] == "A002"  # online numbering is not disturbed
    # accepted even when the service is closed or capped: the citizen holds the paper
    assert take(kiosk, "YE", offline_number=f"E-{tag}-001")["number"] == f"E-{tag}-001"
    # a future time from a drifting kiosk clock is clamped to the server's now
    future = take(
        kiosk, "ZH", offline_number=f"A-{tag}-018",
        issued_at=(START + timedelta(hours=3)).isoformat(),
    )
    assert datetime.fromisoformat(future["issued_at"]) < START + timedelta(minutes=5)


def test_offline_ticket_from_yesterday_counts_on_yesterday(kiosk, hall):
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    yesterday = START - timedelta(days=1)
    ticket = take(kiosk, "ZH", offline_number=f"A-{tag}-001", issued_at=yesterday.isoformat())
    assert kiosk.get(f"/queue/tickets/{ticket['id']}").json()["status"] == "expired"
    # the same printed number may exist again today
    assert take(kiosk, "ZH", offline_number=f"A-{tag}-001")["number"] == f"A-{tag}-001"


def test_offline_number_rules(kiosk):
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    take(kiosk, "ZH", offline_number=f"A-{tag}-020")
    assert_error(kiosk.ticket("ZH", offline_number=f"A-{tag}-020"), 409, "E-QUE-07")
    assert_error(kiosk.ticket("ZH", offline_number="A020"), 422, "E-API-02")


def test_ticket_status_json_and_public_page(kiosk, public):
    first, second = take(kiosk), take(kiosk, holder=HOLDER)
    status = public.get(f"/queue/tickets/{second['id']}")
    assert status.status_code == 200
    assert status.json()["people_ahead"] == 1 and status.json()["number"] == "A002"
    page = requests.get(second["url"], timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "A002" in page.text and "综合受理" in page.text
    assert re.search(r'id="ahead">1<', page.text)
    assert HOLDER not in page.text and HOLDER not in status.text
    assert first["id"] not in page.text


def test_url_uses_public_url_when_configured(tmp_path):
    from hall_server.services_import import import_services
    from tests.support.server import start_server_thread

    from .conftest import DATA

    overrides = {"hall": {"public_url": "https://queue.example.gov.cn/"}}
    with start_server_thread(tmp_path, overrides=overrides) as hall:
        import_services(hall.database, DATA / "services.toml")
        ticket = take(hall.api(), "ZH")
    assert ticket["url"] == f"https://queue.example.gov.cn/t/{ticket['id']}"


def test_call_next_serves_in_order_and_finishes_the_previous_ticket(kiosk, counter, public):
    a1, a2 = take(kiosk), take(kiosk)
    resp = counter.post("/queue/counters/01/call-next", key=None)
    assert resp.status_code == 200
    called = resp.json()
    assert called["id"] == a1["id"] and called["status"] == "called"
    assert called["counter"] == "01" and called["called_at"]
    assert public.get(f"/queue/tickets/{a2['id']}").json()["people_ahead"] == 0
    page = requests.get(a1["url"], timeout=10).text
    assert "请到窗口办理" in page and "01号窗口" in page
    assert counter.post("/queue/counters/01/call-next", key=None).json()["id"] == a2["id"]
    # a1 was called but never started: call-next marks it a no-show (issue 10)
    assert public.get(f"/queue/tickets/{a1['id']}").json()["status"] == "no_show"
    assert counter.post("/queue/counters/01/start", key=None).json()["status"] == "serving"
    assert_error(counter.post("/queue/counters/01/call-next", key=None), 404, "E-QUE-06")
    # nothing waiting: the ticket being served was left alone
    assert public.get(f"/queue/tickets/{a2['id']}").json()["status"] == "serving"
    a3 = take(kiosk)
    assert counter.post("/queue/counters/01/call-next", key=None).json()["id"] == a3["id"]
    a2_now = public.get(f"/queue/tickets/{a2['id']}").json()
    assert a2_now["status"] == "served" and a2_now["reason"] == "next_called"


def test_call_next_uses_the_counters_services(kiosk, counter):
    zh, gjj = take(kiosk, "ZH"), take(kiosk, "GJJ")
    # counter 05 is listed only by GJJ; a counter no services list names is unknown
    assert counter.post("/queue/counters/05/call-next", key=None).json()["id"] == gjj["id"]
    assert_error(counter.post("/queue/counters/05/call-next", key=None), 404, "E-QUE-06")
    assert_error(counter.post("/queue/counters/99/call-next", key=None), 404, "E-QUE-11")
    assert counter.post("/queue/counters/02/call-next", key=None).json()["id"] == zh["id"]
    # an explicit list wins
    sb = take(kiosk, "SB")
    resp = counter.post("/queue/counters/01/call-next", {"services": ["SB"]}, key=None)
    assert resp.json()["id"] == sb["id"]
    assert_error(
        counter.post("/queue/counters/01/call-next", {"services": ["NOPE"]}, key=None),
        404,
        "E-QUE-01",
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_people_ahead_predicts_the_call_order(kiosk, counter, public, seed):
    """The priority rule: people_ahead, read just before the calls start, equals the number
    of calls each ticket waits (no new arrivals), for random mixes and a running streak."""
    rng = random.Random(seed)
    reasons = ["elderly", "disabled", "pregnant", "military"]
    warmup = [take(kiosk, priority=rng.choice(reasons)) for _ in range(rng.randint(0, 4))]
    for _ in warmup:  # build up a run of priority calls first
        counter.post("/queue/counters/01/call-next", {"services": ["ZH"]}, key=None)
    tickets = [
        take(kiosk, **({"priority": rng.choice(reasons)} if rng.random() < 0.4 else {}))
        for _ in range(14)
    ]
    predicted = {
        t["id"]: public.get(f"/queue/tickets/{t['id']}").json()["people_ahead"] for t in tickets
    }
    order = [
        counter.post("/queue/counters/01/call-next", {"services": ["ZH"]}, key=None).json()["id"]
        for _ in tickets
    ]
    assert sorted(order) == sorted(predicted)
    assert {tid: order.index(tid) for tid in order} == predicted
    # normals are never starved: a priority ticket is called while a normal one waits only
    # if fewer than PRIORITY_RUN priority calls came right before (the warm-up counts too)
    from hall_server.queue import PRIORITY_RUN

    is_prio = {t["id"]: t["priority"] is not None for t in tickets}
    run = len(warmup)
    for i, tid in enumerate(order):
        if is_prio[tid] and any(not is_prio[o] for o in order[i:]):
            assert run < PRIORITY_RUN, (i, run)
        run = run + 1 if is_prio[tid] else 0


def test_offline_tickets_count_against_the_holder_limit(kiosk):
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    for i in range(HOLDER_LIMIT):
        take(kiosk, "ZH", offline_number=f"A-{tag}-10{i}", holder=HOLDER)
    assert_error(kiosk.ticket("ZH", offline_number=f"A-{tag}-109", holder=HOLDER), 409, "E-QUE-04")


def test_timed_out_request_resent_with_its_offline_number_renumbers_the_ticket(
    kiosk, public, counter
):
    """docs/offline-tickets.md: the printed offline number wins while the ticket waits."""
    tag = kiosk.enrolled["tag"]  # offline numbers carry the kiosk's own tag
    key = str(uuid.uuid4())
    online = take(kiosk, "ZH", key=key, holder=HOLDER)  # the reply that never reached the kiosk
    printed = (START + timedelta(seconds=8)).isoformat()
    printed_number = f"A-{tag}-001"
    resp = kiosk.ticket("ZH", key=key, holder=HOLDER, offline_number=printed_number,
                        issued_at=printed)
    assert resp.status_code == 200
    amended = resp.json()
    assert amended["id"] == online["id"] and amended["number"] == f"A-{tag}-001"
    assert amended["issued_at"] == online["issued_at"]  # its place in the queue is kept
    assert public.get(f"/queue/tickets/{online['id']}").json()["number"] == f"A-{tag}-001"
    again = kiosk.ticket("ZH", key=key, holder=HOLDER, offline_number=printed_number,
                         issued_at=printed)
    assert again.status_code == 200 and again.json() == amended
    # anything else under that key is still a conflict
    assert_error(kiosk.ticket("GJJ", key=key, offline_number=f"D-{tag}-001"), 422, "E-API-03")
    # the same holds in a batch, and a called ticket keeps its number
    key2 = str(uuid.uuid4())
    second = take(kiosk, "SB", key=key2)
    counter.post("/queue/counters/01/call-next", {"services": ["SB"]}, key=None)
    batch = kiosk.post(
        "/sync/push",
        {
            "records": [
                {
                    "key": key2,
                    "kind": "ticket",
                    "body": {"service": "SB", "offline_number": f"B-{tag}-001"},
                },
            ]
        },
        key=None,
    ).json()["results"][0]
    assert batch["status"] == 200
    assert batch["body"]["id"] == second["id"] and batch["body"]["number"] == "B001"
    assert batch["body"]["status"] == "called"


def test_people_ahead_formulas_match_a_simulation_of_the_call_rule():
    """The closed forms behind people_ahead against a direct simulation of call-next's rule,
    over many random queues and starting runs (pure functions, no server)."""
    from hall_server.queue import PRIORITY_RUN, _ahead_of_normal, _ahead_of_priority

    def simulate(flags: list[bool], run: int) -> dict[int, int]:
        waiting, position = list(range(len(flags))), {}
        while waiting:
            prio = [i for i in waiting if flags[i]]
            normal = [i for i in waiting if not flags[i]]
            pick = (
                prio[0]
                if prio and (run < PRIORITY_RUN or not normal)
                else (normal[0] if normal else prio[0])
            )
            position[pick] = len(position)
            waiting.remove(pick)
            run = run + 1 if flags[pick] else 0
        return position

    rng = random.Random(11)
    for _ in range(2000):
        flags = [rng.random() < rng.random() for _ in range(rng.randint(1, 25))]
        run = rng.randint(0, 6)
        position = simulate(flags, run)
        for i, is_prio in enumerate(flags):
            before = flags[:i]
            if is_prio:
                predicted = _ahead_of_priority(sum(before), flags.count(False), run)
            else:
                predicted = _ahead_of_normal(before.count(False), flags.count(True), run)
            assert predicted == position[i], (flags, run, i)
