"""Appointment check-in by ID card, the kiosk's use case against the real hall server on
loopback: today's appointments of the card's holder (found by the HMAC hash, the ID number
never reaching the server), one checked in with its ticket, none explained (E-QUE-09), the
server unreachable said plainly (E-QUE-08) while the appointment code still gives a ticket."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from common.errors import KioskError
from common.holder import holder_hash
from common.settings import load_settings
from hardware.idcard.samples import sample
from kiosk.core import KioskCore
from kiosk.ops.provisioning import ProvisionRequest, provision
from tests.support.server import start_server_thread


def _book(server, code: str, service: str, holder: str | None) -> None:
    """A booking made elsewhere (web, phone): a row in the hall's appointments table."""
    from hall_server.schema import appointments

    with server.database.write() as conn:
        conn.execute(
            appointments.insert().values(
                code=code,
                service=service,
                business_date=server.ctx.today(),
                holder=holder,
                status="booked",
                created_at=datetime.now().astimezone(),
            )
        )


@pytest.fixture
def hall(tmp_path: Path):
    server = start_server_thread(tmp_path / "hall", demo=True)
    yield server
    server.stop()


@pytest.fixture
def core(hall, tmp_path: Path):
    home = tmp_path / "kiosk"
    home.mkdir(mode=0o700)
    provision(
        hall.settings,
        home,
        ProvisionRequest(server=hall.url, code=hall.enroll_code(), name="APPT-K1", replace=True),
    )
    settings = load_settings(
        overrides={"printer": {"target": f"file:{tmp_path / 'slip.bin'}"}},
        environ={"KIOSK_HOME": str(home)},
    )
    kiosk = KioskCore(settings, home)
    kiosk.sync_once()  # services and connectivity, as the running kiosk's syncer does first
    yield kiosk
    kiosk.close()


def test_check_in_by_card_finds_todays_appointments_and_issues_the_ticket(hall, core):
    card = sample("resident").to_json()
    holder = holder_hash(core.hall_key(), card["id_number"])
    first, second = [s.code for s in core.list_services() if s.open][:2]
    _book(hall, "T-0001", first, holder)
    _book(hall, "T-0002", second, holder)
    _book(hall, "T-0003", first, holder_hash(core.hall_key(), "11010519491231002X"))

    found = core.appointments_for_card(card)
    # (the demo also books one for this card: 306415, common/defaults/demo/appointments.toml)
    assert sorted(a.code for a in found if a.code.startswith("T-")) == ["T-0001", "T-0002"]
    assert all(a.status == "booked" and a.service_name for a in found)

    chosen = next(a for a in found if a.code == "T-0002")
    ticket = core.check_in(chosen, card, print_slip=False)
    assert ticket.service == second and not ticket.offline
    again = {a.code: a for a in core.appointments_for_card(card)}
    assert again["T-0002"].status == "checked_in"
    assert again["T-0002"].ticket_number == ticket.number
    assert again["T-0001"].status == "booked"

    # what reached the hall server: the hash, never the ID number
    from hall_server.schema import appointments, tickets

    with hall.database.read() as conn:
        row = conn.execute(appointments.select().where(appointments.c.code == "T-0002")).first()
        issued = conn.execute(tickets.select().where(tickets.c.id == row.ticket_id)).first()
    assert issued.holder == holder and issued.appointment == "T-0002"
    hall.stop()
    stored = b"".join(p.read_bytes() for p in hall.data_dir.glob("hall.sqlite3*"))
    assert card["id_number"].encode() not in stored and holder.encode() in stored


def test_no_appointment_today_is_explained(core):
    card = sample("resident_elderly").to_json()
    with pytest.raises(KioskError) as info:
        core.appointments_for_card(card)
    assert info.value.code == "E-QUE-09"
    assert info.value.screen_text == "未查询到您今天的预约"


def test_offline_check_in_by_card_says_so_and_the_code_still_gives_a_ticket(hall, core):
    card = sample("resident").to_json()
    service = next(s.code for s in core.list_services() if s.open)
    _book(hall, "T-0100", service, holder_hash(core.hall_key(), card["id_number"]))
    hall.stop()
    with pytest.raises(KioskError) as info:
        core.appointments_for_card(card)
    assert info.value.code == "E-QUE-08"
    assert core.connectivity.state == "offline"
    with pytest.raises(KioskError) as again:  # offline now: said at once, no network wait
        core.appointments_for_card(card)
    assert again.value.code == "E-QUE-08"
    # never a dead end: the code path issues a ticket offline, checked in once synced
    ticket = core.take_ticket(service, appointment="T-0100", print_slip=False)
    assert ticket.offline and ticket.number
