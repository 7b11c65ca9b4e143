"""Nightly maintenance: retention purge, telemetry pruning, vacuum, log rotation, full
catalog check — `kiosk maintenance run` and the schedule at `maintenance.hour`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.ops.conftest import provisioned


def test_maintenance_run_does_every_step(server, tmp_path):
    cli = provisioned(server, tmp_path / "k", "MNT-K1")
    cli.json("ticket", "take", "ZHSL")
    cli.json("heartbeat")
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="milliseconds")
    logs = cli.home / "logs"
    logs.mkdir()
    (logs / "kiosk.log").write_text('{"msg": "yesterday"}\n')
    ancient = logs / "kiosk-20200101-000000.log"
    ancient.write_text("{}\n")
    import os

    os.utime(ancient, (0, 0))
    with sqlite3.connect(cli.home / "kiosk.db") as db:
        db.execute("UPDATE outbox SET sent_at = ? WHERE state = 'sent'", (old,))
        item = db.execute("SELECT * FROM catalog_item LIMIT 1").fetchone()
        cols = [c[1] for c in db.execute("PRAGMA table_info(catalog_item)")]
        orphan = dict(zip(cols, item, strict=True))
        lost_code = orphan["code"]
        db.execute("DELETE FROM catalog_item WHERE code = ?", (lost_code,))  # a lost item
        orphan["code"] = "GONE-0001"  # an item the server no longer has
        db.execute(
            f"INSERT INTO catalog_item({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            list(orphan.values()),
        )
    result = cli.json("maintenance", "run")
    steps = result["steps"]
    assert result["ok"] is True, steps
    assert steps["retention"]["blanked"] >= 1  # the delivered ticket's personal data
    assert steps["telemetry"]["deleted"] >= 1  # delivered heartbeats/audit events, 30 days old
    assert steps["vacuum"]["bytes_after"] > 0
    assert steps["logs"] == {"rotated": 1, "removed": 1}
    assert not ancient.exists() and len(list(logs.glob("kiosk-*.log"))) == 1
    catalog = steps["catalog"]
    assert catalog["server"] is True and catalog["removed"] == 1 and catalog["unparsable"] == 0
    with sqlite3.connect(cli.home / "kiosk.db") as db:
        codes = {r[0] for r in db.execute("SELECT code FROM catalog_item")}
        tickets = db.execute("SELECT COUNT(*) FROM ticket").fetchone()[0]
    assert lost_code in codes and "GONE-0001" not in codes
    assert tickets == 1  # the ticket record stays; only its personal data went
    assert "maintenance" in [e["action"] for e in cli.json("audit")["events"]]
    human = cli.run("maintenance", "run")
    assert human.stdout.strip().endswith("maintenance: ok")


def test_schedule_runs_once_a_night_at_the_configured_hour(server, tmp_path):
    from kiosk.core import KioskCore
    from kiosk.ops import maintenance
    from tests.support.server import isolated_settings

    home = tmp_path / "k"
    provisioned(server, home, "MNT-K2")
    zone = ZoneInfo("Asia/Shanghai")
    night = datetime(2026, 3, 14, 3, 20, tzinfo=zone)
    settings = isolated_settings(tmp_path / "s", {"maintenance": {"hour": 3}})
    core = KioskCore(settings, home)
    try:
        assert maintenance.is_due(core, night)
        assert not maintenance.is_due(core, night.replace(hour=4))
        with core.store.transaction() as conn:
            core.store.set_meta(
                conn, maintenance.LAST_RUN_META, night.replace(minute=5).astimezone(UTC).isoformat()
            )
        assert not maintenance.is_due(core, night)  # done tonight already
        assert maintenance.is_due(core, night + timedelta(days=1))
    finally:
        core.close()


def test_maintenance_hour_is_validated(tmp_path):
    from common.errors import KioskError
    from tests.support.server import isolated_settings

    try:
        isolated_settings(tmp_path, {"maintenance": {"hour": 24}})
    except KioskError as exc:
        assert exc.code == "E-CFG-01" and "maintenance.hour" in exc.message
    else:
        raise AssertionError("hour 24 accepted")


def test_units_install_with_the_watchdog_settings(tmp_path):
    from tests.support.kiosk_cli import KioskCli

    cli = KioskCli(tmp_path / "home")
    result = cli.json("install-units", "--target", str(tmp_path / "units"), "--user", "kiosk")
    unit = (tmp_path / "units" / "kiosk.service").read_text()
    assert result["written"] == [str(tmp_path / "units" / "kiosk.service")]
    for line in (
        "Type=notify",
        "NotifyAccess=all",
        "WatchdogSec=30",
        "Restart=always",
        "User=kiosk",
        f"Environment=KIOSK_HOME={(tmp_path / 'home').resolve()}",
        "RestartPreventExitStatus=3 9",
    ):
        assert line in unit.splitlines(), line
    assert "-u WATCHDOG_PID" in unit and " run" in unit and "{" not in unit
    assert "systemctl enable --now kiosk.service" in result["next"]
    server = cli.json(
        "admin",
        "install-units",
        "--target",
        str(tmp_path / "units"),
        "--user",
        "hall",
        "--port",
        "8471",
    )
    text = (tmp_path / "units" / "hall-server.service").read_text()
    assert "--port 8471" in text and "User=hall" in text and "{" not in text
    assert server["written"][0].endswith("hall-server.service")
    denied = cli.run("install-units", "--target", "/proc/no-such-dir", "--json", check=False)
    assert denied.returncode == 17
    assert json.loads(denied.stdout)["error"]["code"] == "E-DEP-01"
