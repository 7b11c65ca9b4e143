"""A scripted day on one kiosk — real-name ticket, form filled from the ID card, progress by ID
card, an outage with a queued form — then a byte scan of KIOSK_HOME: the citizen's ID number,
name, phone and address are nowhere in clear, in any encoding, WAL included."""

import contextlib

import pytest

from common.forms import fill_from_card
from common.settings import load_settings
from kiosk.core import KioskCore
from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process

PHONE = "13912345678"


def _needles(card: dict) -> dict[str, list[bytes]]:
    out = {}
    for label, text in (("id_number", card["id_number"]), ("name", card["name"]),
                        ("phone", PHONE), ("address", card["address"][:8])):
        forms = {text.encode("utf-8"), text.encode("utf-16-le")}
        with contextlib.suppress(UnicodeEncodeError):
            forms.add(text.encode("gbk"))
        out[label] = sorted(forms)
    return out


@pytest.mark.timeout(120)
def test_no_personal_data_in_clear_after_a_scripted_day(tmp_path):
    server = start_server_process(tmp_path / "server", demo=True)
    try:
        home = tmp_path / "kiosk"
        KioskCli(home).provision(server.url, server.enroll_code(role="kiosk"), "PRIV-K1")
        settings = load_settings(overrides={"printer": {"target": f"file:{tmp_path / 'slip.bin'}"},
                                            "devices": {"idcard": "sim:resident"}},
                                 environ={"KIOSK_HOME": str(home)})
        core = KioskCore(settings, home)
        try:
            card = core.read_id_card(timeout=5)
            ticket = core.take_ticket("ZHSL", id_card=card)
            assert ticket.number
            form = core.forms()["F-SBK-01"]
            fields = {**fill_from_card(form, card), "kind": "first", "phone": PHONE,
                      "insured_type": "employee",
                      "bank": "ICBC", "collect": "counter"}
            assert core.validate_form("F-SBK-01", fields) == {}
            sent = core.submit_application("F-SBK-01", fields, item="RS-0001", id_card=card)
            assert sent.number and sent.status == "submitted"
            assert any(p.number == sent.number for p in core.progress_by_id_card(card["id_number"]))
            server.stop()
            core.connectivity.failure("E-NET-01")
            queued = core.submit_application("F-SBK-01", fields, item="RS-0001", id_card=card)
            assert queued.status == "queued" and queued.number is None
            server.restart()
            result = core.sync_once(pull_catalog=False)
            assert result.pending == 0 and result.refused == 0
        finally:
            core.close()

        def scan(folder=home) -> list[str]:
            found = []
            for path in folder.rglob("*"):
                if path.is_file():
                    data = path.read_bytes()
                    found += [f"{label} in {path.name}" for label, forms in _needles(card).items()
                              if any(f in data for f in forms)]
            return found

        control = tmp_path / "control"
        control.mkdir()
        (control / "leak.bin").write_bytes(b"x" + card["name"].encode("utf-16-le") + b"y")
        assert scan(control) == ["name in leak.bin"]  # the scan does find a leak
        assert scan() == []  # sealed at rest even before the retention purge
        core = KioskCore(load_settings(overrides={"privacy": {"sent_retention_hours": 0,
                                                              "progress_retention_hours": 0}},
                                       environ={"KIOSK_HOME": str(home)}), home)
        try:
            purged = core.purge_personal_data()
            assert purged["blanked"] >= 3 and purged["dropped"] >= 1
            bodies = core.store.query("SELECT length(body) AS n FROM outbox WHERE state = 'sent'")
            assert all(r["n"] == 0 for r in bodies)
        finally:
            core.close()
        assert scan() == []
    finally:
        server.stop()
