"""The ticket lifecycle at the counters (issue 10), over real HTTP on SQLite and PostgreSQL:
every transition and its event, wrong-state refusals that change nothing, idempotent
retries, counter state, transfer, hold/resume/return, cancel, the once-only requeue, the
hall's midnight, 20 clerks calling at once, and a replayed day checked against the events."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from common.errors import KioskError
from common.wire import Counter, QueueOverview
from tests.support.server import Api

from .test_api_basics import assert_error

C01 = "/queue/counters/01"


def take(api, service="ZH", **body) -> dict:
    resp = api.ticket(service, **body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def ok(resp) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json()


def act(api, path, body=None, key=None) -> dict:
    """A transition that must succeed; returns the reply as a Ticket dict."""
    return ok(api.post(path, body, key=key or str(uuid.uuid4())))


def events(hall) -> list:
    from hall_server.schema import ticket_events

    with hall.database.read() as conn:
        return conn.execute(select(ticket_events).order_by(ticket_events.c.pk)).all()


def assert_waiting_counts_match(hall) -> None:
    """The trigger-kept counts (hall_server.waiting_counts) equal a count of the tickets."""
    from sqlalchemy import func

    from hall_server.schema import tickets, waiting_counts

    t = tickets.c
    with hall.database.read() as conn:
        kept = {
            (r.service, r.business_date, bool(r.priority)): r.n
            for r in conn.execute(select(waiting_counts))
            if r.n
        }
        counted = {
            (r[0], r[1], bool(r[2])): r[3]
            for r in conn.execute(
                select(t.service, t.business_date, t.priority.is_not(None), func.count())
                .where(t.status == "waiting")
                .group_by(t.service, t.business_date, t.priority.is_not(None))
            )
        }
    assert kept == counted


def status(public, ticket) -> dict:
    return ok(public.get(f"/queue/tickets/{ticket['id']}"))


def assert_events_match_tickets(hall) -> list:
    """Ids are gapless; each ticket's events chain from issue to its current state and
    service; every ticket has its events. Returns the events."""
    from hall_server.schema import tickets

    rows = events(hall)
    with hall.database.read() as conn:
        ticket_rows = {r.id: r for r in conn.execute(select(tickets))}
    ids = [e.pk for e in rows]
    assert ids == list(range(ids[0], ids[0] + len(ids))), "event ids must be gapless"
    state: dict[str, str] = {}
    service: dict[str, str] = {}
    for e in rows:
        assert e.from_state == state.get(e.ticket_id), (e.pk, e.ticket_id)
        assert e.service == service.get(e.ticket_id, e.service)
        state[e.ticket_id] = e.to_state
        service[e.ticket_id] = e.target_service or e.service
    assert set(state) == set(ticket_rows)
    for tid, row in ticket_rows.items():
        assert (state[tid], service[tid]) == (row.status, row.service), row.number
    return rows


def test_every_transition_writes_one_event(hall, kiosk, counter, public):
    a1, a2 = take(kiosk), take(kiosk)
    called = act(counter, f"{C01}/call-next")
    assert (called["id"], called["status"], called["counter"]) == (a1["id"], "called", "01")
    recalled = act(counter, f"{C01}/recall")
    assert recalled["status"] == "called" and recalled["reason"] == "recall"
    started = act(counter, f"{C01}/start")
    assert started["status"] == "serving" and started["started_at"]
    held = act(counter, f"{C01}/hold")
    assert held["status"] == "held" and held["counter"] == "01"
    view = Counter.model_validate(ok(counter.get(C01)))
    assert view.current is None and [t.id for t in view.held] == [a1["id"]]
    assert view.services == ["ZH"] and view.waiting[0].waiting == 1
    assert act(counter, f"{C01}/call-next")["id"] == a2["id"]
    # resuming while another ticket is current: refused, nothing changes
    assert_error(counter.post(f"{C01}/resume", {"ticket_id": a1["id"]}), 409, "E-QUE-16")
    assert act(counter, f"{C01}/no-show")["status"] == "no_show"
    resumed = act(counter, f"{C01}/resume", {"ticket_id": a1["id"]})
    assert resumed["status"] == "called" and resumed["reason"] == "resume"
    act(counter, f"{C01}/start")
    moved = act(counter, f"{C01}/transfer", {"service": "GJJ"})
    assert (moved["id"], moved["number"], moved["issued_at"]) == (
        a1["id"],
        a1["number"],
        a1["issued_at"],
    )
    assert (moved["service"], moved["status"], moved["counter"]) == ("GJJ", "waiting", None)
    at05 = act(counter, "/queue/counters/05/call-next")
    assert at05["id"] == a1["id"] and at05["counter"] == "05"
    act(counter, "/queue/counters/05/start")
    done = act(counter, "/queue/counters/05/finish", {"result": "done"})
    assert (done["status"], done["reason"]) == ("served", "done") and done["finished_at"]
    rows = assert_events_match_tickets(hall)
    chain = [
        (e.from_state, e.to_state, e.counter, e.reason) for e in rows if e.ticket_id == a1["id"]
    ]
    assert chain == [
        (None, "waiting", None, None),
        ("waiting", "called", "01", None),
        ("called", "called", "01", "recall"),
        ("called", "serving", "01", None),
        ("serving", "held", "01", None),
        ("held", "called", "01", "resume"),
        ("called", "serving", "01", None),
        ("serving", "waiting", "01", "transfer"),
        ("waiting", "called", "05", None),
        ("called", "serving", "05", None),
        ("serving", "served", "05", "done"),
    ]
    transfer = next(e for e in rows if e.reason == "transfer")
    assert (transfer.service, transfer.target_service) == ("ZH", "GJJ")
    assert {e.actor_kind for e in rows} == {"device"}
    assert {e.actor_id for e in rows if e.from_state} == {counter.enrolled["device_id"]}


def test_wrong_state_is_409_with_the_state_and_changes_nothing(hall, kiosk, counter, public):
    assert_error(counter.post(f"{C01}/start"), 409, "E-QUE-15")  # nothing called yet
    a1 = take(kiosk)
    act(counter, f"{C01}/call-next")
    before = len(events(hall))
    resp = counter.post(f"{C01}/finish")
    assert_error(resp, 409, "E-QUE-10")
    assert resp.json()["error"]["state"] == "called"
    assert resp.json()["error"]["ticket_id"] == a1["id"]
    act(counter, f"{C01}/start")
    assert_error(counter.post(f"{C01}/recall"), 409, "E-QUE-10")
    assert_error(counter.post(f"{C01}/no-show"), 409, "E-QUE-10")
    # transfers into a closed or an unknown service
    assert_error(counter.post(f"{C01}/transfer", {"service": "YE"}), 409, "E-QUE-14")
    assert_error(counter.post(f"{C01}/transfer", {"service": "NOPE"}), 404, "E-QUE-13")
    assert_error(counter.post(f"{C01}/transfer", {}), 422, "E-API-02")
    assert_error(counter.post("/queue/counters/99/start"), 404, "E-QUE-11")
    assert_error(counter.get("/queue/counters/99"), 404, "E-QUE-11")
    assert_error(counter.post(f"{C01}/resume", {"ticket_id": a1["id"]}), 409, "E-QUE-10")
    assert_error(counter.post(f"{C01}/finish", {"result": "has space"}), 422, "E-API-02")
    after = status(public, a1)
    assert (after["status"], after["counter"], after["service"]) == ("serving", "01", "ZH")
    assert len(events(hall)) == before + 1  # only the start
    # a kiosk may not act at a counter
    assert_error(kiosk.post(f"{C01}/finish"), 403, "E-AUTH-02")
    assert_events_match_tickets(hall)


def test_a_retried_transition_replays_instead_of_acting_twice(hall, kiosk, counter, public):
    a1, a2 = take(kiosk), take(kiosk)
    key = str(uuid.uuid4())
    first = act(counter, f"{C01}/call-next", key=key)
    again = act(counter, f"{C01}/call-next", key=key)
    assert first == again and first["id"] == a1["id"]
    assert status(public, a2)["status"] == "waiting"
    # the same key for another transition is a conflict
    assert_error(counter.post(f"{C01}/start", key=key), 422, "E-API-03")
    start_key = str(uuid.uuid4())
    assert act(counter, f"{C01}/start", key=start_key)["status"] == "serving"
    assert act(counter, f"{C01}/start", key=start_key)["status"] == "serving"  # replayed
    assert [e.to_state for e in events(hall)].count("serving") == 1


def test_counter_state_and_overview(hall, kiosk, counter, public):
    view = ok(counter.get(C01))
    assert view["state"] == "closed" and view["name"] == "01号窗口"
    assert ok(counter.post(f"{C01}/open"))["state"] == "open"
    assert ok(counter.post(f"{C01}/pause"))["state"] == "paused"
    a1, a2 = take(kiosk), take(kiosk, "SB")
    act(counter, f"{C01}/call-next")  # calling opens a paused counter
    assert ok(counter.get(C01))["state"] == "open"
    assert_error(counter.post(f"{C01}/close"), 409, "E-QUE-16")
    act(counter, f"{C01}/hold")
    hall.clock.advance(90)
    overview = QueueOverview.model_validate(ok(public.get("/queue/overview")))
    assert overview.counters_open == 1 and overview.waiting == 1
    by_service = {s.service: s for s in overview.services}
    assert by_service["SB"].waiting == 1 and by_service["SB"].longest_wait_s >= 90
    assert by_service["ZH"].waiting == 0 and by_service["ZH"].longest_wait_s is None
    assert overview.longest_wait_s >= 90
    assert {c.code for c in overview.counters} == {"01", "02", "05"}
    closed = ok(counter.post(f"{C01}/close"))  # held tickets go back to waiting
    assert closed["state"] == "closed" and closed["held"] == []
    back = status(public, a1)
    assert (back["status"], back["reason"], back["people_ahead"]) == (
        "waiting",
        "counter_closed",
        0,
    )
    assert status(public, a2)["status"] == "waiting"
    assert_events_match_tickets(hall)


def test_return_a_held_ticket_to_the_queue(hall, kiosk, counter, public):
    a1, a2 = take(kiosk), take(kiosk)
    act(counter, f"{C01}/call-next")
    act(counter, f"{C01}/hold")
    # held at 01: another counter can neither resume nor return it
    assert_error(
        counter.post("/queue/counters/02/resume", {"ticket_id": a1["id"]}), 409, "E-QUE-10"
    )
    returned = act(counter, f"{C01}/return", {"ticket_id": a1["id"]})
    assert (returned["status"], returned["counter"]) == ("waiting", None)
    assert status(public, a1)["people_ahead"] == 0  # its old place: ahead of A002
    assert act(counter, "/queue/counters/02/call-next")["id"] == a1["id"]
    assert status(public, a2)["people_ahead"] == 0


def test_cancel_by_the_issuing_kiosk_a_counter_or_an_admin(hall, kiosk, counter, admin, public):
    other_kiosk = hall.api("kiosk", "K-other")
    a1, a2, a3 = take(kiosk), take(kiosk), take(kiosk)
    path = f"/queue/tickets/{a1['id']}/cancel"
    assert_error(other_kiosk.post(path), 403, "E-AUTH-02")
    cancelled = act(kiosk, path, {"reason": "citizen_left"})
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "citizen_left")
    assert_error(kiosk.post(path), 409, "E-QUE-10")
    assert act(counter, f"{C01}/call-next")["id"] == a2["id"]
    assert act(counter, f"/queue/tickets/{a2['id']}/cancel")["status"] == "cancelled"
    assert ok(counter.get(C01))["current"] is None
    assert act(admin, f"/queue/tickets/{a3['id']}/cancel")["status"] == "cancelled"
    assert_error(kiosk.post(f"/queue/tickets/{uuid.uuid4()}/cancel"), 404, "E-API-01")
    assert_error(Api(hall.url).post(path), 401, "E-AUTH-01")
    assert_events_match_tickets(hall)


def test_requeue_goes_behind_the_head_once_only(hall, kiosk, counter, public):
    tickets = [take(kiosk) for _ in range(6)]
    first = tickets[0]
    assert act(counter, f"{C01}/call-next")["id"] == first["id"]
    act(counter, f"{C01}/no-show")
    path = f"/queue/tickets/{first['id']}/requeue"
    back = act(kiosk, path)  # the citizen scans the slip at a kiosk
    assert (back["status"], back["requeues"], back["issued_at"]) == (
        "waiting",
        1,
        first["issued_at"],
    )
    assert status(public, first)["people_ahead"] == 3  # requeue_behind: default 3
    assert_error(kiosk.post(path), 409, "E-QUE-10")  # waiting: not a no-show
    order = [act(counter, f"{C01}/call-next")["number"] for _ in range(6)]
    assert order == ["A002", "A003", "A004", "A001", "A005", "A006"]
    # A001 was called again (4th) and A005's call made it a no-show a second time: final
    assert status(public, first)["status"] == "no_show"
    resp = counter.post(path)
    assert_error(resp, 409, "E-QUE-17")
    assert resp.json()["error"]["state"] == "no_show"
    assert_events_match_tickets(hall)


def test_requeue_behind_is_per_service_from_the_services_file(hall, kiosk, counter, public):
    from hall_server.services_import import import_services

    import_services(
        hall.database,
        {
            "service": [
                {
                    "code": "ZH",
                    "name": "综合",
                    "prefix": "A",
                    "counters": ["01"],
                    "requeue_behind": 1,
                },
            ],
            "counter": [{"code": "01", "name": "一号窗口", "area": "1F"}],
        },
        clock=hall.clock,
    )
    tickets = [take(kiosk) for _ in range(4)]
    act(counter, f"{C01}/call-next")
    act(counter, f"{C01}/no-show")
    act(counter, f"/queue/tickets/{tickets[0]['id']}/requeue")
    assert status(public, tickets[0])["people_ahead"] == 1
    view = ok(counter.get(C01))
    assert (view["name"], view["area"]) == ("一号窗口", "1F")


def test_open_tickets_expire_at_the_halls_midnight(hall, kiosk, counter, public):
    from hall_server.schema import ticket_events

    held, called, waiting, waiting2 = (take(kiosk) for _ in range(4))
    act(counter, f"{C01}/call-next")
    act(counter, f"{C01}/hold")  # A001 held at 01
    act(counter, f"{C01}/call-next")  # A002 called; A003, A004 wait
    hall.clock.advance(24 * 3600)  # the next business day
    # before the sweep a reader already sees them expired
    assert status(public, waiting)["status"] == "expired"
    assert hall.ctx.background.sweep() == 4
    assert hall.ctx.background.sweep() == 0
    for ticket in (held, called, waiting, waiting2):
        got = status(public, ticket)
        assert (got["status"], got["reason"]) == ("expired", "business_day_ended"), got
    with hall.database.read() as conn:
        expiries = conn.execute(
            select(ticket_events).where(ticket_events.c.to_state == "expired")
        ).all()
    assert sorted(e.from_state for e in expiries) == ["called", "held", "waiting", "waiting"]
    assert {e.actor_kind for e in expiries} == {"system"}
    # yesterday's tickets are not called today, and a no-show of yesterday cannot requeue
    assert_error(counter.post(f"{C01}/call-next"), 404, "E-QUE-06")
    assert_events_match_tickets(hall)


def test_priority_run_is_a_setting(tmp_path):
    from hall_server.services_import import import_services
    from tests.support.server import start_server_thread

    from .conftest import DATA

    overrides = {"queue": {"priority_run": 1}}
    with start_server_thread(tmp_path, overrides=overrides) as hall:
        import_services(hall.database, DATA / "services.toml")
        kiosk, counter = hall.api("kiosk"), hall.api("counter")
        for _ in range(2):
            take(kiosk)
        for _ in range(2):
            take(kiosk, priority="elderly")
        order = [act(counter, f"{C01}/call-next")["priority"] is not None for _ in range(4)]
    assert order == [True, False, True, False]


def test_twenty_clerks_calling_at_once_never_share_a_ticket(hall, kiosk):
    from hall_server.services_import import import_services

    clerks = [f"C{i:02d}" for i in range(1, 21)]
    import_services(
        hall.database,
        {"service": [{"code": "ZH", "name": "综合", "prefix": "A", "counters": clerks}]},
        clock=hall.clock,
    )
    issued = {take(kiosk)["id"] for _ in range(30)}
    token = hall.enroll("counter", "C-load")["token"]
    barrier = threading.Barrier(len(clerks))
    results: dict[str, list] = {c: [] for c in clerks}

    def clerk(code: str) -> None:
        api = Api(hall.url, token)
        for _ in range(2):
            barrier.wait(timeout=30)
            resp = api.post(f"/queue/counters/{code}/call-next")
            results[code].append((resp.status_code, resp.json()))

    threads = [threading.Thread(target=clerk, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    replies = [r for rs in results.values() for r in rs]
    called = [body["id"] for code, body in replies if code == 200]
    refused = [body["error"]["code"] for code, body in replies if code != 200]
    assert len(called) == 30 and len(set(called)) == 30 and set(called) == issued
    assert refused == ["E-QUE-06"] * 10
    rows = assert_events_match_tickets(hall)
    assert sum(1 for e in rows if e.to_state == "called") == 30


def no_shows(hall) -> list[str]:
    from hall_server.schema import tickets

    with hall.database.read() as conn:
        return sorted(
            conn.execute(select(tickets.c.id).where(tickets.c.status == "no_show")).scalars()
        )


def test_a_replayed_day_leaves_events_consistent_with_tickets(hall, kiosk, counter):
    """A random day through every transition at three counters; then the events table,
    replayed, must give every ticket's state and service."""
    from hall_server.services_import import import_services

    import_services(
        hall.database,
        {
            "service": [
                {"code": "ZH", "name": "综合", "prefix": "A", "counters": ["01", "02"]},
                {"code": "GJJ", "name": "公积金", "prefix": "D", "counters": ["05"]},
                {"code": "SB", "name": "社保", "prefix": "B", "counters": ["02", "05"]},
            ]
        },
        clock=hall.clock,
    )
    rng = random.Random(10)
    counters = ["01", "02", "05"]
    ids: list[str] = []
    for _ in range(240):
        hall.clock.advance(rng.uniform(5, 60))
        roll = rng.random()
        if roll < 0.3:
            ticket = take(
                kiosk,
                rng.choice(["ZH", "GJJ", "SB"]),
                **({"priority": "elderly"} if rng.random() < 0.2 else {}),
            )
            ids.append(ticket["id"])
            # the new ticket's place from the kept counts = the line counted (the status route)
            assert ticket["people_ahead"] == ok(kiosk.get(f"/queue/tickets/{ticket['id']}"))[
                "people_ahead"]
            assert_waiting_counts_match(hall)
            continue
        code = rng.choice(counters)
        base = f"/queue/counters/{code}"
        view = ok(counter.get(base))
        roll = rng.random()
        if roll < 0.03 and ids:
            counter.post(f"/queue/tickets/{rng.choice(ids)}/cancel")
        elif roll < 0.1 and (missed := no_shows(hall)):
            counter.post(f"/queue/tickets/{rng.choice(missed)}/requeue")
        elif view["held"] and rng.random() < 0.4:
            action = "resume" if view["current"] is None and rng.random() < 0.7 else "return"
            counter.post(f"{base}/{action}", {"ticket_id": view["held"][0]["id"]})
        elif view["current"] is None:
            counter.post(f"{base}/call-next")
        else:
            action = rng.choice(
                [
                    "recall",
                    "start",
                    "finish",
                    "no-show",
                    "hold",
                    "transfer",
                    "call-next",
                    "start",
                    "finish",
                ]
            )
            others = [s for s in ("ZH", "GJJ", "SB") if s != view["current"]["service"]]
            body = {"service": rng.choice(others)} if action == "transfer" else None
            resp = counter.post(f"{base}/{action}", body)
            assert resp.status_code in (200, 404, 409, 422), resp.text
    assert_waiting_counts_match(hall)
    hall.clock.advance(24 * 3600)
    hall.ctx.background.sweep()
    assert_waiting_counts_match(hall)
    rows = assert_events_match_tickets(hall)
    kinds = {(e.from_state, e.to_state) for e in rows}
    for pair in [
        (None, "waiting"),
        ("waiting", "called"),
        ("called", "called"),
        ("called", "serving"),
        ("serving", "served"),
        ("called", "no_show"),
        ("no_show", "waiting"),
        ("called", "held"),
        ("held", "called"),
        ("serving", "waiting"),
    ]:
        assert pair in kinds, pair
    assert any(e.to_state == "expired" for e in rows)
    assert timedelta(0) <= max(e.at for e in rows) - min(e.at for e in rows)


def test_events_of_a_rolled_back_savepoint_are_dropped(tmp_path, db_url):
    """A sync batch refuses one record inside its savepoint: that record's events must go
    with it, the others' stay, and ids stay gapless."""
    from datetime import UTC, datetime

    from hall_server import eventlog
    from hall_server.db import Database
    from hall_server.migrate import upgrade
    from hall_server.schema import ticket_events

    db = Database(db_url or f"sqlite:///{tmp_path / 'e.sqlite3'}")
    try:
        upgrade(db)
        now = datetime.now(UTC)
        seen: list[int] = []
        db.on_events.append(seen.append)

        def record(conn, ticket_id: str) -> None:
            eventlog.add(
                conn,
                ticket_id=ticket_id,
                from_state=None,
                to_state="waiting",
                at=now,
                service="ZH",
                actor_kind="system",
                actor_id=None,
            )

        with db.write() as conn:
            record(conn, "kept-1")
            try:
                with conn.begin_nested():
                    record(conn, "dropped")
                    raise RuntimeError("refused record")
            except RuntimeError:
                pass
            with conn.begin_nested():
                record(conn, "kept-2")
        try:
            with db.write() as conn:
                record(conn, "rolled-back")
                raise RuntimeError("whole transaction fails")
        except RuntimeError:
            pass
        with db.write() as conn:
            record(conn, "kept-3")
        with db.read() as conn:
            rows = conn.execute(select(ticket_events).order_by(ticket_events.c.pk)).all()
        assert [(r.pk, r.ticket_id) for r in rows] == [(1, "kept-1"), (2, "kept-2"), (3, "kept-3")]
        assert seen == [2, 3]  # one wake-up per committed transaction, with its last id
    finally:
        db.dispose()


def test_migration_makes_the_services_counters_known(tmp_path, db_url):
    """An existing hall (schema 0003) keeps its tickets' order and gets its counters."""
    import json
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    from hall_server.db import Database
    from hall_server.migrate import upgrade
    from hall_server.schema import hall_counters, tickets

    db = Database(db_url or f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(db, "0003_appointments_holder")
        now = datetime(2025, 3, 14, 2, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO queue_services (code, name, name_en, prefix, category, open, "
                    "counters, sort, updated_at) VALUES ('ZH', '综合', '', 'A', '', :t, :c, 0, :now)"
                ),
                {"t": True, "c": json.dumps(["02", "01"]), "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, number, service, business_date, issued_at, "
                    "offline, status) VALUES ('t1', 'A001', 'ZH', :d, :now, :f, 'waiting')"
                ),
                {"d": date(2025, 3, 14), "now": now, "f": False},
            )
        upgrade(db)
        with db.read() as conn:
            counters = conn.execute(select(hall_counters).order_by(hall_counters.c.code)).all()
            ticket = conn.execute(select(tickets)).one()
        assert [(c.code, c.state, c.configured, json.loads(c.services)) for c in counters] == [
            ("01", "closed", True, ["ZH"]),
            ("02", "closed", True, ["ZH"]),
        ]
        assert ticket.queued_at is not None and ticket.requeues == 0
    finally:
        db.dispose()


def test_counter_tables_must_agree_with_the_services_lists(hall):
    from hall_server.services_import import import_services

    bad = {
        "service": [{"code": "ZH", "name": "综合", "prefix": "A", "counters": ["01"]}],
        "counter": [{"code": "02", "services": ["ZH"]}, {"code": "01"}, {"code": "01"}],
    }
    with pytest.raises(KioskError) as caught:
        import_services(hall.database, bad, clock=hall.clock)
    assert caught.value.code == "E-IMP-02"
    message = caught.value.message
    assert "counter 02: services ZH do not list it" in message
    assert "counter #3: code 01 repeats" in message
