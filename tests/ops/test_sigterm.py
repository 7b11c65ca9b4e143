"""`kiosk run` leaves within 5 s of SIGTERM (systemd's stop path) with exit code 0, having
closed its store: the real command, offscreen, supervised over a notify socket like systemd."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.conftest import provisioned

REPO = Path(__file__).resolve().parents[2]
STOP_BUDGET_S = 5.0

pytestmark = pytest.mark.ui


def _wait_ready(sock: socket.socket, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if "READY=1" in sock.recv(4096).decode():
                return
        except TimeoutError:
            if proc.poll() is not None:
                raise AssertionError(f"kiosk run exited with {proc.returncode}") from None
    raise AssertionError(f"kiosk run not ready within {timeout} s")


def test_kiosk_run_stops_within_5_s_of_sigterm(server, tmp_path):
    home = tmp_path / "kiosk"
    provisioned(server, home, "TERM-K1")
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.2)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK_", "NOTIFY_", "WATCHDOG_", "DISPLAY", "WAYLAND_"))}
    env.update({"KIOSK_HOME": str(home), "KIOSK_ETC": str(tmp_path / "etc"),
                "NOTIFY_SOCKET": str(sock_path), "SDL_VIDEODRIVER": "offscreen",
                "PYTHONUNBUFFERED": "1"})
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run"], cwd=REPO, env=env,
                            stdout=log, stderr=log)
    try:
        _wait_ready(sock, proc, timeout=60)
        time.sleep(0.5)  # a tick or two of the main loop and the background sync
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(STOP_BUDGET_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            pytest.fail(f"kiosk run still running {STOP_BUDGET_S} s after SIGTERM:\n"
                        + (tmp_path / "run.log").read_text(errors="replace")[-2000:])
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
        sock.close()
    output = (tmp_path / "run.log").read_text(errors="replace")
    assert code == 0, output[-2000:]
    assert "Traceback" not in output
    print(f"kiosk run stopped {took:.2f} s after SIGTERM")
    # the store was closed cleanly: no WAL left to replay, and it opens and reads
    assert not (home / "kiosk.db-wal").exists() or (home / "kiosk.db-wal").stat().st_size == 0
    with sqlite3.connect(home / "kiosk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
