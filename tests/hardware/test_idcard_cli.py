"""`kiosk idcard …` and `kiosk simulate idcard` as a technician runs them (subprocesses)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from common.errors import REGISTRY
from hardware.idcard.samples import SAMPLES

RESIDENT = SAMPLES["resident"]


@pytest.fixture
def simulator_process():
    """Factory: `kiosk simulate idcard ARGS` running; yields (process, pty path)."""
    procs = []

    def start(*args: str) -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "simulate", "idcard", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/pts/"), (path, proc.stderr.read() if proc.poll() else "")
        return proc, path

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


def test_simulator_process_and_real_serial_driver_end_to_end(simulator_process, kiosk_cli):
    proc, path = simulator_process("--card", "hkmt")
    result = kiosk_cli("idcard", "read", "--reader", f"serial:{path}", "--json")
    assert result.code == 0, result.stderr
    assert result.json() == SAMPLES["hkmt"].to_json()
    proc.send_signal(signal.SIGTERM)  # a clean stop: exit 0, the pty released
    assert proc.wait(timeout=5) == 0


def test_simulator_takes_technician_commands(simulator_process, kiosk_cli):
    proc, path = simulator_process()
    proc.stdin.write("remove\n")
    proc.stdin.flush()
    assert "card absent" in proc.stderr.readline() + proc.stderr.readline()
    result = kiosk_cli("idcard", "read", "--reader", f"serial:{path}", "--timeout", "0.3", "--json")
    assert (result.code, result.json()["error"]["code"]) == (40, "E-IDC-01")
    proc.stdin.write("place foreign2023\n")
    proc.stdin.flush()
    proc.stderr.readline()
    result = kiosk_cli("idcard", "read", "--reader", f"serial:{path}", "--json")
    assert result.json()["kind"] == "foreign_permanent_2023"
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    assert proc.wait(timeout=5) == 0


def test_simulator_fault_option(simulator_process, kiosk_cli):
    _proc, path = simulator_process("--fault", "sam_unauthorised")
    result = kiosk_cli("idcard", "read", "--reader", f"serial:{path}", "--json")
    assert (result.code, result.json()["error"]["code"]) == (44, "E-IDC-05")


def test_default_reader_is_the_simulator(kiosk_cli):
    result = kiosk_cli("idcard", "read", "--json")
    assert result.code == 0
    assert result.json() == RESIDENT.to_json()


@pytest.mark.parametrize(
    "fault,code",
    [
        ("lifted", "E-IDC-04"),
        ("checksum", "E-IDC-03"),
        ("sam_unauthorised", "E-IDC-05"),
        ("unknown_type", "E-IDC-06"),
        ("nocard", "E-IDC-01"),
        ("slow&delay=0.7", "E-IDC-02"),
    ],
)
def test_each_fault_exits_with_its_documented_code(fault, code, kiosk_cli):
    result = kiosk_cli(
        "idcard", "read", "--reader", f"sim?fault={fault}", "--timeout", "0.3", "--json"
    )
    assert result.json()["error"]["code"] == code
    assert result.code == REGISTRY[code].exit_code != 0


def test_human_output_masks_name_and_number_and_logs_never_carry_them(kiosk_cli):
    result = kiosk_cli("--log-level", "debug", "idcard", "read", "--reader", "sim:resident_elderly")
    card = SAMPLES["resident_elderly"]
    assert result.code == 0
    assert card.name not in result.stdout and card.id_number not in result.stdout
    assert "李*" in result.stdout and "533102********0033" in result.stdout
    assert card.name not in result.stderr and card.id_number not in result.stderr
    assert "read resident_id card" in result.stderr  # the debug log did run


def test_json_output_is_complete_but_logs_stay_clean(kiosk_cli):
    result = kiosk_cli("--log-level", "debug", "idcard", "read", "--json")
    assert result.json()["id_number"] == RESIDENT.id_number
    assert RESIDENT.id_number not in result.stderr and RESIDENT.name not in result.stderr


def test_idcard_status_command(kiosk_cli):
    ok = kiosk_cli("idcard", "status", "--json")
    assert ok.code == 0 and ok.json()["status_name"] == "ok"
    bad = kiosk_cli("idcard", "status", "--reader", "sim?fault=sam_unauthorised", "--json")
    assert bad.code == 0  # status is a report, not a failure
    assert (bad.json()["status_name"], bad.json()["code"]) == ("fault", "E-IDC-05")


def test_bad_target_and_unknown_sample_are_usage_errors(kiosk_cli):
    result = kiosk_cli("idcard", "read", "--reader", "sim:passport", "--json")
    assert (result.code, result.json()["error"]["code"]) == (30, "E-HW-01")
    result = kiosk_cli("simulate", "idcard", "--card", "passport")
    assert result.code == 30 and "passport" in result.stderr


def _as_if_started_in_the_background() -> None:
    # a shell script's `cmd &` starts cmd with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt: the simulator must still stop on SIGINT (a CI run hung on this)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_simulate_json_announces_path():
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "simulate", "idcard", "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
        preexec_fn=_as_if_started_in_the_background,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert info["path"].startswith("/dev/pts/") and info["card"] == "resident"
        assert proc.poll() is None  # stdin closed: it keeps serving until a signal
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            state = Path(f"/proc/{proc.pid}/status").read_text()
            proc.kill()
            pytest.fail(f"simulator ignored SIGINT for 15 s:\n{state}")
        finally:
            proc.stdout.close()
