"""SIGKILL at seeded random moments while the kiosk issues tickets and submits forms; then
restart and sync: the server holds every submission exactly once and no number twice."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process

KILLS = 30
SEED = 20261123
SERVICES = ["ZHSL", "SSDJ", "HZ", "SBYB", "BDC", "SW"]  # rotating keeps each below its daily cap


@pytest.mark.timeout(300)
def test_kill_loop_loses_nothing_and_sends_nothing_twice(tmp_path):
    server = start_server_process(tmp_path / "server", demo=True)
    try:
        home = tmp_path / "kiosk"
        cli = KioskCli(home, env={"KIOSK_PRINTER_TARGET": f"file:{tmp_path / 'slips.bin'}"})
        cli.provision(server.url, server.enroll_code(role="kiosk"), "CRASH-K1")
        rng = random.Random(SEED)
        completed = 0
        for _ in range(KILLS):
            proc = subprocess.Popen([sys.executable, "-m", "tests.support.kiosk_worker", *SERVICES],
                                    env=cli.env, stdout=subprocess.PIPE, text=True)
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
            completed += sum(line.startswith("ticket") for line in out.splitlines())
        for _ in range(5):
            status = cli.json("sync")
            if status["pending"] == 0:
                break
        assert status["pending"] == 0 and status["refused"] == 0, status

        device_id = json.loads((home / "credentials.json").read_text())["device_id"]
        local = sqlite3.connect(home / "kiosk.db")
        # heartbeats and audit events are stored in their own server tables (hall_server/fleet.py)
        local_keys = {k for (k,) in local.execute(
            "SELECT key FROM outbox WHERE kind NOT IN ('heartbeat', 'audit')")}
        local_tickets = dict(local.execute("SELECT key, number FROM ticket"))
        assert len(local_keys) >= completed > 0
        server.stop()
        hall = sqlite3.connect(server.data_dir / "hall.sqlite3")
        rows = hall.execute("SELECT key, COUNT(*) FROM idempotency WHERE device_id = ? "
                            "GROUP BY key", (device_id,)).fetchall()
        assert {k for k, _ in rows} == local_keys  # every submission arrived…
        assert all(n == 1 for _, n in rows)  # …exactly once
        numbers = [n for (n,) in hall.execute(
            "SELECT number FROM tickets WHERE device_id = ?", (device_id,))]
        assert len(numbers) == len(set(numbers)) == len(local_tickets)
        printed = [n for n in local_tickets.values() if n]
        assert set(printed) <= set(numbers)  # every number a citizen saw is the server's
    finally:
        server.stop()
