"""SMS notices end to end: a real kiosk core leaves a mobile number with a ticket and an
application at a real loopback hall server; the counter API calls; the file sink receives
"N away", "go to counter" and "status" once each. The number is sealed in the database,
masked on the pages, deleted at day end and on closing; a platform outage is retried on the
dispatcher's thread while the queue goes on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from common.errors import KioskError
from common.paths import config_dir
from hall_server.clock import SettableClock
from hall_server.notify import Dispatcher, Notice, NotifyFailed
from hall_server.notify_hooks import NotifyWatcher
from hall_server.schema_notify import notify_phones, notify_sent
from tests.support.server import Api, ThreadServer, isolated_settings, start_server_thread

PHONE = "13912345678"
MASKED = "139****5678"
SERVICE, COUNTER = "HZ", "13"  # the demo hall: 户政 is served at counters 13–16


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sms_db_url(request) -> Iterator[str | None]:
    """SQLite (the server's data dir) or a PostgreSQL schema of the session's database."""
    if request.param == "sqlite":
        yield None
        return
    from tests.conftest import pg_schema

    with pg_schema(request.getfixturevalue("pg_session_url")) as url:
        yield url


@pytest.fixture(scope="module")
def hall(sms_db_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadServer, Any, Api]]:
    from common.settings import load_settings
    from kiosk.core import KioskCore
    from kiosk.ops.provisioning import ProvisionRequest, provision

    tmp = tmp_path_factory.mktemp("sms")
    server = start_server_thread(tmp / "hall", demo=True, clock=SettableClock(), db_url=sms_db_url)
    home = tmp / "kiosk"
    home.mkdir(mode=0o700)
    try:
        provision(isolated_settings(tmp / "prov"), home,
                  ProvisionRequest(server=server.url, code=server.enroll_code(), name="SMS-K1"))
        settings = load_settings(
            overrides={"printer": {"target": f"file:{tmp / 'printer.bin'}"},
                       "hall": {"public_url": server.url}},
            environ={"KIOSK_HOME": str(home)},
        )
        core = KioskCore(settings, home)
        try:
            core.sync_once()
            yield server, core, server.api("counter")
        finally:
            core.close()
    finally:
        server.stop()


def sink(server: ThreadServer) -> Path:
    return server.data_dir / "notifications.jsonl"


def wait_for(server: ThreadServer, predicate, timeout: float = 8.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if sink(server).exists():
            lines = [json.loads(x) for x in sink(server).read_text().splitlines()]
        if predicate(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def call_next(counter: Api) -> dict:
    resp = counter.post(f"/queue/counters/{COUNTER}/call-next", {})
    assert resp.status_code == 200, resp.text
    return resp.json()


def assert_sealed(server: ThreadServer) -> None:
    """No clear number in the database: the SQLite files (and WAL) byte for byte, and the
    stored values on either database."""
    raw = b"".join(p.read_bytes() for p in server.data_dir.glob("*.sqlite3*"))
    assert PHONE.encode() not in raw
    with server.database.read() as conn:
        stored = conn.execute(select(notify_phones.c.phone)).scalars().all()
    assert stored and all(v.startswith("gcm1:") and PHONE not in v for v in stored)


def test_ticket_number_gets_near_and_call_then_is_forgotten_at_day_end(hall):
    server, core, counter = hall
    kiosk = server.api("kiosk")
    for _ in range(5):  # five people ahead of our citizen
        assert kiosk.post("/queue/tickets", {"service": SERVICE}).status_code == 201
    ticket = core.take_ticket(SERVICE, print_slip=False)
    assert ticket.people_ahead == 5
    with pytest.raises(KioskError) as bad:
        core.leave_ticket_phone(ticket, "12345678901")  # not a mobile: refused on the kiosk
    assert bad.value.code == "E-VAL-07"
    assert core.leave_ticket_phone(ticket, PHONE) == MASKED
    assert core.leave_ticket_phone(ticket, PHONE) == MASKED  # again: one number per ticket

    # sealed in the database (SQLite file and WAL), masked on the ticket page
    assert_sealed(server)
    page = kiosk.session.get(f"{server.url}/t/{ticket.id}", timeout=10).text
    assert MASKED in page and PHONE not in page

    call_next(counter)  # 4 ahead: nothing yet
    call_next(counter)  # 3 ahead = notify.near_ahead: "near"
    lines = wait_for(server, lambda ls: any(x["kind"] == "near" for x in ls))
    near = [x for x in lines if x["kind"] == "near"]
    assert len(near) == 1 and near[0]["to"] == MASKED
    assert near[0]["params"] == {"number": ticket.number, "ahead": "3"}
    for _ in range(3):
        call_next(counter)
    called = call_next(counter)
    assert called["id"] == ticket.id
    lines = wait_for(server, lambda ls: any(x["kind"] == "call" for x in ls))
    calls = [x for x in lines if x["kind"] == "call"]
    assert [c["params"] for c in calls] == [{"number": ticket.number, "counter": COUNTER}]
    assert calls[0]["text"] == f"请{ticket.number}号到{COUNTER}号窗口办理。"
    # once: another scan, and a second watcher with nothing in memory (a restart, a second
    # server process), find every notice already claimed in the database
    assert server.ctx.background.notify.scan() == 0
    other = Outage(failures=0)
    second = NotifyWatcher(server.ctx, dispatcher=Dispatcher(other))
    try:
        assert second.scan() == 0 and other.sent == []
    finally:
        second.dispatcher.close()
    assert len([x for x in wait_for(server, lambda ls: False, 0.3) if x["kind"] != "status"]) == 2
    assert PHONE not in sink(server).read_text()

    # the hall's day ends: the number is deleted by the midnight sweep
    server.clock.advance(timedelta(days=1).total_seconds())
    try:
        server.ctx.background.sweep()
        with server.database.read() as conn:
            rows = conn.execute(select(notify_phones).where(
                notify_phones.c.target_id == ticket.id)).all()
        assert rows == []
    finally:
        server.clock.advance(-timedelta(days=1).total_seconds())


def test_offline_ticket_number_syncs_after_its_ticket(hall):
    server, core, _counter = hall
    core.connectivity.state = "offline"  # known offline: numbered here, phone queued
    try:
        ticket = core.take_ticket(SERVICE, print_slip=False)
        assert ticket.offline
        assert core.leave_ticket_phone(ticket, "13800001111") == "138****1111"
    finally:
        core.connectivity.state = "online"
    for _ in range(3):
        if core.sync_once(pull_catalog=False).pending == 0:
            break
    with server.database.read() as conn:
        rows = conn.execute(select(notify_phones.c.target_id)).scalars().all()
    ids = {r for r in rows}
    with server.database.read() as conn:
        from hall_server.schema import tickets

        number = conn.execute(select(tickets.c.number).where(tickets.c.id.in_(ids))).scalars()
        assert ticket.number in set(number)


def test_application_status_change_sends_status_and_closing_deletes(hall):
    server, core, counter = hall
    demo = json.loads(
        (config_dir() / "demo" / "applications.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    sub = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
    assert sub.number and sub.receipt_url
    assert core.leave_application_phone(sub, PHONE) == MASKED
    page = counter.session.get(sub.receipt_url, timeout=10).text
    assert MASKED in page and PHONE not in page
    assert_sealed(server)

    for status in ("accepted", "approved"):
        resp = counter.patch(f"/applications/{sub.number}/status", {"status": status})
        assert resp.status_code == 200, resp.text
    lines = wait_for(server, lambda ls: sum(x["kind"] == "status" for x in ls) >= 2)
    statuses = [x["params"] for x in lines if x["kind"] == "status"]
    assert statuses == [{"number": sub.number, "status": "已受理"},
                        {"number": sub.number, "status": "办结(准予)"}]
    # closed: the number is gone, the page shows none, and a new one is refused (E-NTF-02)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with server.database.read() as conn:
            left = conn.execute(select(notify_phones).where(
                notify_phones.c.target_id == sub.number)).all()
        if not left:
            break
        time.sleep(0.05)
    assert left == []
    assert MASKED not in counter.session.get(sub.receipt_url, timeout=10).text
    with pytest.raises(KioskError) as closed:
        core.leave_application_phone(sub, PHONE)
    assert closed.value.code == "E-NTF-02"
    from offline_cache.outbox import OPEN_REFUSAL  # told on screen: no technician alarm

    alarms = core.store.query(f"SELECT COUNT(*) AS n FROM outbox WHERE kind = 'phone' AND "
                              f"{OPEN_REFUSAL}")
    assert alarms[0]["n"] == 0
    with server.database.read() as conn:
        states = set(conn.execute(select(notify_sent.c.state)).scalars())
    assert states <= {"sent", "queued"}


class Outage:
    """A platform down for its first `failures` sends (each after a short stall)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Notice] = []
        self.attempts = 0

    def send(self, notice: Notice) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            time.sleep(0.05)
            raise NotifyFailed("503 from the platform", retryable=True)
        self.sent.append(notice)


def test_platform_outage_retries_without_blocking_the_queue(hall):
    server, _core, counter = hall
    outage = Outage(failures=3)
    done = threading.Event()
    dispatcher = Dispatcher(outage, retries=4, backoff=0.05, on_done=lambda n, ok: done.set())
    try:
        started = time.monotonic()
        dispatcher.submit(Notice(PHONE, "call", {"number": "C001", "counter": COUNTER}))
        assert time.monotonic() - started < 0.05  # submit only enqueues
        # the queue goes on meanwhile: a ticket and a call over real HTTP
        kiosk = server.api("kiosk")
        assert kiosk.post("/queue/tickets", {"service": SERVICE}).status_code == 201
        call_next(counter)
        assert done.wait(5)
        assert outage.attempts == 4 and len(outage.sent) == 1
        assert dispatcher.sent == 1 and dispatcher.failed == 0
    finally:
        dispatcher.close()
