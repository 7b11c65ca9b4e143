"""`kiosk doctor` tells the truth about each simulated fault: printer out of paper, reader
gone, server down, clock skew, a store newer than the software, a hung or unsupervised main
loop — one line per check, JSON `{"checks", "status"}`, exit 16 (E-DOC-01) on a fault."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.ops.conftest import provisioned
from tests.support.kiosk_cli import KioskCli

DOCTOR_FAULT_EXIT = 16


@pytest.fixture(scope="module")
def kiosk(server, tmp_path_factory) -> KioskCli:
    return provisioned(server, tmp_path_factory.mktemp("kiosk"), "DOC-K1")


def doctor(cli: KioskCli, **env: str) -> tuple[int, dict]:
    runner = KioskCli(cli.home, env=env) if env else cli
    proc = runner.run("doctor", "--json", check=False)
    return proc.returncode, json.loads(proc.stdout)


def doctor_here(cli: KioskCli, **env: str) -> dict:
    """The same use case in this process (what the technician screen calls): faster."""
    from common.settings import load_settings
    from kiosk.ops.doctor import run_doctor

    settings = load_settings(environ={"KIOSK_HOME": str(cli.home), **env})
    return run_doctor(settings, cli.home).to_json()


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_healthy_kiosk_has_every_check_and_exits_zero(kiosk):
    code, report = doctor(kiosk)
    checks = by_name(report)
    expected = {
        "device.printer",
        "device.idcard",
        "device.scanner",
        "device.voice",
        "server",
        "token",
        "version",
        "clock",
        "disk",
        "store",
        "catalog",
        "outbox",
        "config",
        "watchdog",
    }
    assert expected <= set(checks)
    assert all(set(c) == {"name", "status", "message", "hint"} for c in report["checks"])
    assert code == 0 and report["status"] in ("ok", "warning")
    assert all(checks[n]["status"] == "ok" for n in expected - {"watchdog"}), report
    assert "235 items" in checks["catalog"]["message"] or "items" in checks["catalog"]["message"]
    # no kiosk process has reported: said plainly, with what to do
    assert checks["watchdog"]["status"] == "warning" and checks["watchdog"]["hint"]
    human = kiosk.run("doctor", check=False)
    assert human.returncode == 0
    lines = human.stdout.strip().splitlines()
    assert len(lines) == len(report["checks"]) + 1 and lines[-1].startswith("doctor: ")
    assert any(line.startswith("WARNING watchdog") for line in lines)


def test_printer_out_of_paper_is_a_fault_with_what_to_do(kiosk):
    code, report = doctor(kiosk, KIOSK_PRINTER_TARGET="sim?fault=paper_out")
    printer = by_name(report)["device.printer"]
    assert code == DOCTOR_FAULT_EXIT and report["status"] == "fault"
    assert printer["status"] == "fault" and "E-PRN-02" in printer["message"]
    assert "paper" in printer["message"] and "paper roll" in printer["hint"]
    proc = KioskCli(kiosk.home, env={"KIOSK_PRINTER_TARGET": "sim?fault=paper_out"}).run(
        "doctor", check=False
    )
    assert proc.returncode == DOCTOR_FAULT_EXIT
    assert any(
        line.startswith("FAULT   device.printer") and "paper roll" in line
        for line in proc.stdout.splitlines()
    )


def test_paper_low_is_only_a_warning(kiosk):
    report = doctor_here(kiosk, KIOSK_PRINTER_TARGET="sim?fault=paper_low")
    assert report["status"] == "warning"
    assert by_name(report)["device.printer"]["status"] == "warning"


def test_reader_gone_is_a_fault(kiosk):
    report = doctor_here(kiosk, KIOSK_DEVICES_IDCARD="serial:/dev/nonexistent")
    reader = by_name(report)["device.idcard"]
    assert report["status"] == "fault"
    assert reader["status"] == "fault" and "E-IDC-10" in reader["message"]
    assert "/dev/nonexistent" in reader["message"] and reader["hint"]
    assert by_name(report)["device.printer"]["status"] == "ok"  # the others still checked


def test_revoked_token_is_a_fault(server, tmp_path):
    cli = provisioned(server, tmp_path / "revoked", "DOC-REVOKED")
    device_id = json.loads((cli.home / "credentials.json").read_text())["device_id"]
    server.admin("revoke", device_id)
    code, report = doctor(cli)
    token = by_name(report)["token"]
    assert code == DOCTOR_FAULT_EXIT
    assert token["status"] == "fault" and "E-AUTH-01" in token["message"]
    assert "kiosk provision" in token["hint"]


def test_store_newer_than_the_software_is_refused(kiosk, tmp_path):
    import shutil

    home = tmp_path / "newer"
    shutil.copytree(kiosk.home, home)
    with sqlite3.connect(home / "kiosk.db") as db:
        db.execute("PRAGMA user_version = 999")
    cli = KioskCli(home)
    code, report = doctor(cli)
    store = by_name(report)["store"]
    assert code == DOCTOR_FAULT_EXIT and store["status"] == "fault"
    assert "newer than this software" in store["message"]
    sync = cli.run("sync", "--json", check=False)  # the kiosk itself refuses to start on it
    assert sync.returncode == 9 and json.loads(sync.stdout)["error"]["code"] == "E-STO-02"


def test_watchdog_states(kiosk):
    state_file = kiosk.home / "run" / "watchdog.json"
    state_file.parent.mkdir(exist_ok=True)
    now = datetime.now(UTC)

    def write(**state):
        base = {
            "pid": os.getpid(),
            "supervised": True,
            "interval_s": 15.0,
            "last_ping": now.isoformat(),
            "ready_at": now.isoformat(),
            "status": "ready",
        }
        state_file.write_text(json.dumps({**base, **state}))
        return by_name(doctor_here(kiosk))["watchdog"]

    try:
        assert write()["status"] == "ok"
        assert write(supervised=False, interval_s=None)["status"] == "warning"
        hung = write(last_ping=(now - timedelta(minutes=5)).isoformat())
        assert hung["status"] == "fault" and "silent" in hung["message"]
        gone = write(pid=2**22 + 12345)
        assert gone["status"] == "warning" and "not running" in gone["message"]
    finally:
        state_file.unlink()


def test_server_down_is_a_fault_and_local_checks_still_run(server, kiosk):
    server.stop()
    try:
        code, report = doctor(kiosk)
    finally:
        server.restart()
    checks = by_name(report)
    assert code == DOCTOR_FAULT_EXIT
    assert checks["server"]["status"] == "fault" and "E-NET-01" in checks["server"]["message"]
    assert "kiosk serve" in checks["server"]["hint"]
    assert checks["clock"]["status"] == "ok" and "last contact" in checks["clock"]["message"]
    assert checks["store"]["status"] == "ok" and checks["catalog"]["status"] == "ok"
    assert "token" not in checks  # not claimed either way when the server is not reachable


def test_clock_skew_against_the_server(tmp_path):
    """A hall server whose clock runs 10 minutes ahead of the kiosk (injectable server clock)."""
    from hall_server.clock import SettableClock
    from kiosk.core import KioskCore
    from kiosk.ops.doctor import run_doctor
    from kiosk.ops.provisioning import ProvisionRequest, provision
    from tests.support.server import isolated_settings, start_server_thread

    srv = start_server_thread(
        tmp_path / "hall", demo=True, clock=SettableClock(datetime.now(UTC) + timedelta(minutes=10))
    )
    try:
        home = tmp_path / "kiosk"
        settings = isolated_settings(tmp_path / "k", {"printer": {"target": "sim"}})
        provision(
            settings, home, ProvisionRequest(server=srv.url, code=srv.enroll_code(), name="SKEW-K1")
        )
        core = KioskCore(settings, home)
        try:
            report = run_doctor(core)
        finally:
            core.close()
    finally:
        srv.stop()
    clock = {c.name: c for c in report.checks}["clock"]
    assert clock.status == "fault" and report.status == "fault"
    assert "behind" in clock.message or "-600" in clock.message or "-599" in clock.message
    assert "NTP" in clock.hint


def test_calendar_check_warns_for_a_year_without_known_holidays(tmp_path):
    """In December the next year's holidays are due (announced in November): a year neither the
    chinese-calendar package nor the hall's holidays.toml knows is a warning with what to do."""
    from datetime import date

    from kiosk.ops.doctor import check_calendar

    holidays = tmp_path / "holidays.toml"
    assert check_calendar(date(2025, 6, 1), holidays).status == "ok"
    far = check_calendar(date(2098, 12, 1), holidays)
    assert far.status == "warning" and "2098, 2099" in far.message and "holidays.toml" in far.hint
    holidays.write_text("holidays = [2098-01-01]\nworkdays = [2099-01-03]\n")
    assert check_calendar(date(2098, 12, 1), holidays).status == "ok"
