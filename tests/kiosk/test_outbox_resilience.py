"""Outbox and sync behaviour that only shows against a real server: a revoked credential
pauses the whole outbox without condemning it; the catalog mirror resumes after a kill
mid-page; connectivity turns offline within 2 s of the server going away."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from common.settings import load_settings
from kiosk.core import KioskCore
from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process


@pytest.fixture
def server(tmp_path):
    srv = start_server_process(tmp_path / "server", demo=True)
    yield srv
    srv.stop()


def test_revoked_credentials_pause_the_outbox_and_the_backlog_survives(server, tmp_path):
    home = tmp_path / "kiosk"
    cli = KioskCli(home)
    cli.provision(server.url, server.enroll_code(role="kiosk"), "PAUSE-K1")
    server.admin("revoke", "PAUSE-K1")
    ticket = cli.json("ticket", "take", "ZHSL")  # the citizen still gets a ticket
    assert ticket["offline"] and ticket["number"].startswith("A-")
    status = cli.json("sync")
    assert status["paused"] == "E-AUTH-01" and status["pending"] >= 1
    listed = cli.json("outbox", "list")
    assert listed["paused"] == "E-AUTH-01"
    assert all(r["state"] != "refused" for r in listed["records"])  # nothing condemned

    cli.json("provision", "--server", server.url, "--code", server.enroll_code(role="kiosk"),
             "--name", "PAUSE-K1b", "--noinput", "--replace")
    cli.json("outbox", "resume")
    status = cli.json("sync")
    assert status["paused"] is None and status["pending"] == 0 and status["refused"] == 0
    server.stop()
    hall = sqlite3.connect(server.data_dir / "hall.sqlite3")
    assert hall.execute("SELECT COUNT(*) FROM tickets WHERE number = ?",
                        (ticket["number"],)).fetchone() == (1,)


@pytest.mark.timeout(180)
def test_catalog_sync_resumes_after_a_kill_mid_page(server, tmp_path):
    big = tmp_path / "big.jsonl"
    with big.open("w") as fh:
        subprocess.run([sys.executable, "-m", "hall_server.synthetic", "--count", "6000",
                        "--seed", "3"], stdout=fh, check=True)
    server.admin("import-catalog", str(big))
    home = tmp_path / "kiosk"
    cli = KioskCli(home)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "provision", "--server", server.url,
                             "--code", server.enroll_code(role="kiosk"), "--name", "RESUME-K1",
                             "--noinput"], env=cli.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db = home / "kiosk.db"
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and count == 0:
        time.sleep(0.02)
        if db.exists():
            try:
                count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM catalog_item").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    conn = sqlite3.connect(db)
    partial = conn.execute("SELECT COUNT(*) FROM catalog_item").fetchone()[0]
    resume = conn.execute("SELECT value FROM meta WHERE key = 'catalog_snapshot'").fetchone()
    conn.close()
    assert 0 < partial < 6000, "the kill did not land mid-sync"
    # a fresh kiosk loads the snapshot: batches and where to resume were committed together
    assert resume is not None and json.loads(resume[0])["after"]

    status = cli.json("sync")
    assert status["pulled"] == 6000 - partial  # the rest (a snapshot holds no tombstones)
    final = sqlite3.connect(db).execute("SELECT COUNT(*) FROM catalog_item").fetchone()[0]
    assert final == 6000
    assert cli.json("search", "zzzzzz")["results"] == []
    assert cli.json("sync")["pulled"] == 0


def test_offline_within_two_seconds_of_the_server_going_away(server, tmp_path):
    home = tmp_path / "kiosk"
    KioskCli(home).provision(server.url, server.enroll_code(role="kiosk"), "CONN-K1")
    core = KioskCore(load_settings(environ={"KIOSK_HOME": str(home)}), home)
    changes: list[tuple[float, str]] = []
    core.add_listener(lambda event, p: changes.append((time.monotonic(), p["state"]))
                      if event == "connectivity" else None)
    try:
        core.start_background(interval=1.0)
        deadline = time.monotonic() + 5
        while core.connectivity.state != "online" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert core.connectivity.state == "online"
        server.kill()
        gone = time.monotonic()
        while core.connectivity.state != "offline" and time.monotonic() < gone + 5:
            time.sleep(0.02)
        assert core.connectivity.state == "offline"
        offline_at = next(t for t, s in changes if s == "offline")
        assert offline_at - gone <= 2.0
        server.restart()
        back = time.monotonic()
        while core.connectivity.state != "online" and time.monotonic() < back + 5:
            time.sleep(0.05)
        assert core.connectivity.state == "online"
    finally:
        core.close()
