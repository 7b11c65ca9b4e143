"""PC/SC through a real pcscd with vsmartcard's vpcd reader and virtual cards (conftest)."""

import json
import subprocess
import sys

import pytest

from common.errors import KioskError
from hardware.smartcard import pcsc, profiles
from hardware.smartcard.virtual_card import SAMPLE_SOCIAL_RECORDS

pytestmark = pytest.mark.pcsc

UID = bytes.fromhex("04A1B2C3D4E5F6")


def test_reader_is_listed(pcscd, kiosk_cli):
    assert pcscd.reader in pcsc.list_readers()
    result = kiosk_cli("smartcard", "list", "--json")
    assert result.code == 0
    assert pcscd.reader in result.json()["readers"]


def test_uid_through_the_cli(pcscd, virtual_card, kiosk_cli):
    card = virtual_card("uid", uid=UID)
    result = kiosk_cli("smartcard", "uid", "--reader", pcscd.reader, "--timeout", "5", "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"reader": pcscd.reader, "uid": "04A1B2C3D4E5F6"}
    assert bytes.fromhex("FFCA000000") in card.apdus


def test_uid_waits_for_a_card_inserted_later(pcscd, virtual_card):
    card = virtual_card("uid", uid=b"\x01\x02\x03\x04", insert=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "smartcard", "uid", "--timeout", "10", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        card.insert()
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert json.loads(out)["uid"] == "01020304"


def test_no_card_times_out_with_its_code(pcscd, kiosk_cli):
    result = kiosk_cli("smartcard", "uid", "--reader", pcscd.reader, "--timeout", "0.3", "--json")
    assert (result.code, result.json()["error"]["code"]) == (53, "E-SC-04")


def test_unknown_reader_name(pcscd, kiosk_cli):
    result = kiosk_cli("smartcard", "uid", "--reader", "No Such Reader", "--json")
    assert (result.code, result.json()["error"]["code"]) == (52, "E-SC-03")


def test_contact_card_refuses_the_uid_pseudo_apdu(pcscd, virtual_card, kiosk_cli):
    virtual_card("social")
    result = kiosk_cli("smartcard", "uid", "--timeout", "5", "--json")
    assert (result.code, result.json()["error"]["code"]) == (55, "E-SC-06")
    assert "6A81" in result.json()["error"]["message"]


def test_profiles_pick_the_social_security_card(pcscd, virtual_card):
    card = virtual_card("social")
    reading = profiles.read_card(pcscd.reader, timeout=5)
    assert reading.profile == "social_security_card"
    assert reading.fields == {
        "card_id": SAMPLE_SOCIAL_RECORDS[1][2:].hex().upper(),
        "spec_version": "3.00",
        "issue_date": "2021-06-15",
        "expiry_date": "2031-06-15",
        "card_number": "A12345678",
    }
    assert card.apdus[0] == bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF")


def test_profiles_pick_the_contactless_uid(pcscd, virtual_card, kiosk_cli):
    virtual_card("uid", uid=UID)
    result = kiosk_cli("smartcard", "read", "--timeout", "5", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["profile"] == "contactless_uid"
    assert result.json()["fields"] == {"uid": "04A1B2C3D4E5F6"}


def test_card_no_profile_understands(pcscd, virtual_card):
    virtual_card("social", records={})  # EF05 empty: record reads fail after the probe
    with pytest.raises(KioskError) as err:
        profiles.read_card(pcscd.reader, timeout=5)
    assert err.value.code == "E-SC-06"  # the probe passed, so the failure is the card's


def test_monitor_sees_insert_and_remove(pcscd, virtual_card):
    card = virtual_card("uid", uid=UID, insert=False)
    with pcsc.CardMonitor() as monitor:
        assert monitor.poll(0.05) == []
        card.insert()
        placed = _next_event(monitor)
        assert (placed.kind, placed.payload["reader"]) == ("card_placed", pcscd.reader)
        assert placed.payload["atr"] == card.atr.hex().upper()
        card.remove()
        assert _next_event(monitor).kind == "card_removed"


def _next_event(monitor, attempts: int = 20):
    for _ in range(attempts):
        events = monitor.poll(0.25)
        if events:
            return events[0]
    raise AssertionError("no event")


def test_pcscd_unreachable_is_e_sc_01(kiosk_cli):
    # the client library honours PCSCLITE_CSOCK_NAME: point it at nothing
    result = kiosk_cli(
        "smartcard", "list", "--json", env={"PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"}
    )
    assert (result.code, result.json()["error"]["code"]) == (50, "E-SC-01")


def test_missing_pyscard_says_what_to_install():
    script = (
        "import sys, json; sys.modules['smartcard'] = None\n"
        "from common.errors import KioskError\n"
        "from hardware.smartcard.pcsc import list_readers\n"
        "try:\n    list_readers()\n"
        "except KioskError as e:\n    print(json.dumps([e.code, e.message]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30
    )
    code, message = json.loads(out.stdout)
    assert code == "E-HW-02"
    assert "apt install libpcsclite-dev swig; pip install pyscard" in message


def test_simulate_smartcard_command_inserts_a_virtual_card(pcscd, kiosk_cli):
    import signal

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "simulate",
            "smartcard",
            "--port",
            str(pcscd.port),
            "--reader",
            pcscd.reader,
            "--uid",
            "0A0B0C0D",
            "--json",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())  # printed once pcscd shows the card
        assert info["card"] == "contactless"
        result = kiosk_cli("smartcard", "uid", "--timeout", "5", "--json")
        assert result.json() == {"reader": pcscd.reader, "uid": "0A0B0C0D"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
    pcsc.wait_card_state(pcscd.reader, present=False, timeout=5)


def test_discovery_lists_the_virtual_reader_as_simulated(pcscd):
    from hardware.discovery import discover
    from hardware.usb_sim import SimUsbBackend

    result = discover(usb_backend=SimUsbBackend([]), serial_ports=[], include_sims=False)
    (reader,) = [d for d in result.devices if d.target == pcscd.reader]
    assert (reader.family, reader.driver, reader.simulated) == ("smartcard", "pcsc", True)


def test_technician_card_unlocks_through_pcscd(pcscd, virtual_card, kiosk_cli, tmp_path):
    """The technician screen's card path end to end: a UID allowed with `kiosk technician
    add-card`, read from a contactless card through the real pcscd, unlocks and is audited;
    another card is refused."""
    from kiosk.core import KioskCore
    from kiosk.ops import audit
    from kiosk.ops.technician import unlock_card
    from tests.support.server import isolated_settings

    home = tmp_path / "kiosk"
    added = kiosk_cli("technician", "add-card", UID.hex(), env={"KIOSK_HOME": str(home)})
    assert added.code == 0, added.stderr
    core = KioskCore(isolated_settings(tmp_path / "s", {"devices": {"smartcard": pcscd.reader}}),
                     home)
    try:
        card = virtual_card("uid", uid=UID)
        assert unlock_card(core, timeout=5) == "card"
        card.remove()
        virtual_card("uid", uid=b"\xde\xad\xbe\xef")
        with pytest.raises(KioskError) as refused:
            unlock_card(core, timeout=5)
        assert refused.value.code == "E-DOC-03"
    finally:
        core.close()
    outcomes = [e["outcome"] for e in audit.read(home) if e["action"] == "technician_unlock"]
    assert sorted(outcomes) == ["ok", "refused"]  # newest first in the log
