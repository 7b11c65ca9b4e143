"""No phantom tickets (issue 15): a ticket is the citizen's once its screen was shown or its
slip printed. One the kiosk saved but never handed over — it died in between, or its store
failed after the save (a full disk) — is voided at the next start: never sent if it never left
the kiosk, else cancelled on the hall server through the outbox, so no counter calls it."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
from contextlib import contextmanager

import pytest

from common.errors import KioskError
from kiosk.core import KioskCore
from tests.support.kiosk_hall import Hall, sync_until_delivered, take


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    h = Hall(tmp_path_factory.mktemp("handed"), name="HANDED-K1")
    yield h
    h.close()


def restart(hall: Hall, what: str = "tickets") -> dict[str, int]:
    """The kiosk process starts again (KioskRuntime.start voids what was never handed over)."""
    settings, home = hall.core.settings, hall.core.home
    hall.core.close()
    hall.core = KioskCore(settings, home)
    return hall.core.void_not_handed_over()[what]


def server_knows(hall: Hall, key: str) -> bool:
    conn = sqlite3.connect(hall.server.data_dir / "hall.sqlite3")
    try:
        return conn.execute("SELECT 1 FROM idempotency WHERE key = ?", (key,)).fetchone() is not None
    finally:
        conn.close()


def server_status(hall: Hall, key: str) -> str | None:
    """The hall server's status of the ticket this kiosk filed under `key` (None: never filed)."""
    conn = sqlite3.connect(hall.server.data_dir / "hall.sqlite3")
    try:
        row = conn.execute("SELECT t.status FROM tickets t JOIN idempotency i "
                           "ON json_extract(i.response, '$.id') = t.id WHERE i.key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def key_of(hall: Hall, number: str) -> str:
    return hall.core.store.query("SELECT key FROM ticket WHERE number = ?", (number,))[0]["key"]


def test_a_ticket_filed_online_but_never_shown_is_cancelled_on_the_server(hall):
    ticket = take(hall.core)  # filed by the fast path; the kiosk "dies" before the screen
    key = key_of(hall, ticket.number)
    assert server_status(hall, key) == "waiting"
    assert restart(hall) == {"voided": 0, "cancelled": 1, "awaiting": 0}
    sync_until_delivered(hall.core)
    assert server_status(hall, key) == "cancelled"  # no counter can call it
    assert hall.core.outbox.counts()["refused"] == 0
    assert restart(hall) == {"voided": 0, "cancelled": 0, "awaiting": 0}  # once only


def test_a_ticket_shown_or_printed_is_kept(hall):
    shown = take(hall.core)
    assert hall.core.ticket_shown(shown.id)
    printed = hall.core.take_ticket("ZHSL", print_slip=True)  # the simulated printer confirms
    assert printed.printed
    assert restart(hall) == {"voided": 0, "cancelled": 0, "awaiting": 0}
    sync_until_delivered(hall.core)
    for t in (shown, printed):
        assert server_status(hall, key_of(hall, t.number)) == "waiting"


def test_an_offline_ticket_never_shown_is_void_and_never_sent(hall):
    hall.link(False)
    hall.core.connectivity.failure("E-NET-01")
    try:
        ticket = take(hall.core)
        assert ticket.offline
        key = key_of(hall, ticket.number)
        assert restart(hall) == {"voided": 1, "cancelled": 0, "awaiting": 0}
    finally:
        hall.link(True)
    sync_until_delivered(hall.core)
    assert hall.core.outbox.get(key)["state"] == "void"
    assert server_status(hall, key) is None  # the server never heard of it
    assert hall.core.outbox.counts()["void"] >= 1


@contextmanager
def disk_full_at(core: KioskCore, statement: str):
    """From the first SQL statement starting with `statement` on, the store's files cannot grow
    (RLIMIT_FSIZE at the WAL's size: writes fail as on a full disk) until the block ends."""
    wal = core.store.path.with_name(core.store.path.name + "-wal")
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not death

    def trace(sql: str) -> None:
        if sql.lstrip().startswith(statement):
            resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(wal), limits[1]))

    core.store.conn.set_trace_callback(trace)
    try:
        yield
    finally:
        core.store.conn.set_trace_callback(None)
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, old_handler)


def new_ticket_key(hall: Hall, before: set[str]) -> str:
    keys = {r["key"] for r in hall.core.store.query("SELECT key FROM ticket")} - before
    assert len(keys) == 1
    return keys.pop()


def _keys(hall: Hall) -> set[str]:
    return {r["key"] for r in hall.core.store.query("SELECT key FROM ticket")}


def test_a_disk_full_refusal_after_the_server_filed_it_leaves_no_ticket_to_call(hall):
    before = _keys(hall)
    # the server files the ticket; storing its answer fails: the citizen is told E-STO-03
    with disk_full_at(hall.core, "UPDATE outbox SET state = 'sent'"), \
            pytest.raises(KioskError) as info:
        take(hall.core)
    assert info.value.code == "E-STO-03"
    key = new_ticket_key(hall, before)
    assert server_status(hall, key) == "waiting"  # filed, and nobody holds it
    assert restart(hall) == {"voided": 0, "cancelled": 0, "awaiting": 1}
    sync_until_delivered(hall.core)  # sent again (a replay names it), then cancelled
    assert server_status(hall, key) == "cancelled"


def test_a_disk_full_refusal_before_sending_never_reaches_the_server(hall):
    before = _keys(hall)
    with disk_full_at(hall.core, "UPDATE outbox SET state = 'sending'"), \
            pytest.raises(KioskError) as info:
        take(hall.core)
    assert info.value.code == "E-STO-03"
    key = new_ticket_key(hall, before)
    result = hall.core.sync_once(pull_catalog=False)  # room again: not this process's to send
    assert result.pending == 1 and server_status(hall, key) is None
    assert restart(hall) == {"voided": 1, "cancelled": 0, "awaiting": 0}
    sync_until_delivered(hall.core)
    assert server_status(hall, key) is None and hall.core.outbox.get(key)["state"] == "void"


# --- applications: a receipt never shown -----------------------------------------------------
def submit(hall: Hall):
    import json

    from common.paths import config_dir

    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    return hall.core.submit_application(demo["form"], demo["fields"], item=demo["item"])


def test_an_application_filed_without_a_receipt_shown_is_flagged_for_the_hall(hall):
    kept = submit(hall)
    assert hall.core.receipt_shown(kept.local_id)
    filed = submit(hall)  # filed online; the kiosk dies before the receipt screen
    assert filed.number
    assert restart(hall, "applications") == {"voided": 0, "flagged": 1}
    sync_until_delivered(hall.core)
    assert hall.core.outbox.counts()["refused"] == 0
    counter = hall.server.api("counter", "HANDED-C1")
    for view, missing in ((filed, True), (kept, False)):
        app = counter.get(f"/applications/{view.number}").json()
        assert app["receipt_missing"] is missing, app
    admin = hall.server.api("admin", "HANDED-A1")
    kiosk = next(d for d in admin.get("/fleet").json()["devices"] if d["name"] == "HANDED-K1")
    assert any("without a receipt shown" in w for w in kiosk["warnings"]), kiosk["warnings"]


def test_an_offline_application_never_receipted_is_never_filed(hall):
    hall.link(False)
    hall.core.connectivity.failure("E-NET-01")
    try:
        queued = submit(hall)
        assert queued.status == "queued"
        assert restart(hall, "applications") == {"voided": 1, "flagged": 0}
    finally:
        hall.link(True)
    sync_until_delivered(hall.core)
    assert hall.core.outbox.get(queued.local_id)["state"] == "void"
    assert not server_knows(hall, queued.local_id)
