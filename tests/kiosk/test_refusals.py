"""Refusals that are answers, not alarms (issue 15). A refusal the citizen saw on screen at
once (E-QUE-03/04/05 on the online fast path) counts nowhere and expires a day after it was
answered; a refusal of a number the citizen holds on paper stays until a technician
acknowledges it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import KioskError
from tests.support.kiosk_hall import Hall, sync_until_delivered, take


@pytest.fixture
def hall(tmp_path):
    h = Hall(tmp_path, name="REFUSE-K1")
    yield h
    h.close()


def alarms(core) -> dict:
    from kiosk.ops.doctor import Thresholds, check_outbox
    from kiosk.ops.heartbeat import outbox_health

    health = outbox_health(core.outbox)
    check = check_outbox(core, Thresholds())
    return {"counts": core.outbox.counts()["refused"], "heartbeat": health["refused"],
            "doctor": check.status, "doctor_message": check.message,
            "listed": [r["key"] for r in core.outbox.list()]}


def purge_at(core, when: datetime) -> dict:
    from offline_cache.retention import purge

    return purge(core.store, sent_hours=24, progress_hours=2, now=when)


def test_a_refusal_answered_on_screen_counts_nowhere_and_expires_after_a_day(hall):
    core = hall.core
    with pytest.raises(KioskError) as info:
        take(core, appointment="NO-SUCH-CODE")
    assert info.value.code == "E-QUE-05"  # shown to the citizen
    row = core.store.query("SELECT * FROM outbox WHERE kind = 'ticket'")[0]
    assert row["state"] == "refused" and row["answered_at"]
    seen = alarms(core)
    assert seen["counts"] == 0 and seen["heartbeat"] == 0 and seen["listed"] == []
    assert seen["doctor"] == "ok" and "0 refused" in seen["doctor_message"]
    assert core.outbox.counts()["settled"] == 1
    # kept for a day (a technician can still see it with --all), then gone with its ticket row
    assert purge_at(core, datetime.now(UTC) + timedelta(hours=23))["expired_answers"] == 0
    assert [r["key"] for r in core.outbox.list(settled=True)] == [row["key"]]
    assert purge_at(core, datetime.now(UTC) + timedelta(hours=25))["expired_answers"] == 1
    assert core.outbox.get(row["key"]) is None
    assert core.store.query("SELECT * FROM ticket WHERE key = ?", (row["key"],)) == []


def test_a_refused_offline_ticket_stays_until_a_technician_acknowledges_it(hall):
    """The citizen holds an offline number on paper; the server refuses it later (the ID's
    daily limit was used up at other kiosks meanwhile). The same code as an on-screen answer
    (E-QUE-04), but nobody saw it: it stays an alarm, never expires, until acknowledged."""
    from common.holder import holder_hash

    core = hall.core
    id_number = "11010519491231002X"
    other = hall.server.api("kiosk", "OTHER-K")
    holder = holder_hash(other.enrolled["hall_key"], id_number)
    services = [s["code"] for s in other.get("/queue/services").json()["services"] if s["open"]]
    for service in services[: core.settings.kiosk.holder_daily_limit]:  # one waiting per service
        assert other.ticket(service, holder=holder).status_code == 201
    hall.link(False)
    ticket = take(core, id_card={"id_number": id_number})
    assert ticket.offline
    hall.link(True)
    result = sync_until_delivered(core)
    assert result.refused == 1, result.to_json()
    row = core.outbox.get(ticket.id)
    assert row["state"] == "refused" and row["error_code"] == "E-QUE-04"
    assert row["answered_at"] is None
    seen = alarms(core)
    assert seen["counts"] == 1 and seen["heartbeat"] == 1 and seen["listed"] == [ticket.id]
    assert seen["doctor"] == "warning" and "1 refused" in seen["doctor_message"]
    # retention never expires it
    assert purge_at(core, datetime.now(UTC) + timedelta(days=30))["expired_answers"] == 0
    assert core.outbox.get(ticket.id)["state"] == "refused"
    assert core.outbox.acknowledge([ticket.id]) == 1
    assert core.outbox.acknowledge([ticket.id]) == 0  # once
    seen = alarms(core)
    assert seen["counts"] == 0 and seen["heartbeat"] == 0 and seen["doctor"] == "ok"
    assert core.outbox.get(ticket.id)["acknowledged_at"]


def test_outbox_ack_on_the_command_line(hall, tmp_path):
    from tests.support.kiosk_cli import KioskCli

    cli = KioskCli(hall.core.home)
    proc = cli.run("outbox", "ack", "--json", check=False)
    assert proc.returncode == 2 and "E-CLI-01" in proc.stdout
    assert cli.json("outbox", "ack", "--all") == {"acknowledged": 0}
