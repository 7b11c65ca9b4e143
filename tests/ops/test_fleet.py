"""Fleet health: heartbeats through the outbox (coalesced), the latest per device on the
server, `GET /api/v1/devices` and `/api/v1/fleet` (admin), the `/admin/devices` page (HTTP
Basic with an admin token), call-staff requests, `kiosk admin devices`, and the audit log."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.ops.conftest import api_get, provisioned
from tests.support.kiosk_cli import KioskCli

PAPER_OUT = {"KIOSK_PRINTER_TARGET": "sim?fault=paper_out"}


@pytest.fixture(scope="module")
def kiosk(server, tmp_path_factory) -> KioskCli:
    cli = provisioned(
        server, tmp_path_factory.mktemp("fleet"), "FLEET-K1", "--location", "一楼", env=PAPER_OUT
    )
    cli.json("doctor", check=False)  # an audited technician action
    return cli


@pytest.fixture(scope="module")
def device_id(kiosk) -> str:
    return json.loads((kiosk.home / "credentials.json").read_text())["device_id"]


@pytest.fixture(scope="module")
def beat(kiosk) -> dict:
    sent = kiosk.json("heartbeat")
    assert sent["state"] == "sent", sent
    return sent["heartbeat"]


def test_heartbeat_carries_what_the_hall_needs(beat):
    from common import __version__

    assert beat["version"] == __version__ and beat["status"] == "fault"
    printer = next(d for d in beat["devices"] if d["family"] == "printer")
    assert printer["code"] == "E-PRN-02" and printer["status"] == 2
    assert {d["family"] for d in beat["devices"]} == {"printer", "idcard", "scanner", "voice"}
    assert beat["disk_free_mb"] > 0 and beat["outbox"]["pending"] == 0
    assert beat["catalog_synced_at"] and "clock_skew_s" in beat


def test_devices_route_and_fleet_view(server, admin_token, device_id, beat):
    devices = api_get(server, admin_token, "/devices").json()["devices"]
    mine = next(d for d in devices if d["id"] == device_id)
    assert mine["heartbeat_at"] and mine["heartbeat"]["status"] == "fault"
    fleet = api_get(server, admin_token, "/fleet").json()
    row = next(d for d in fleet["devices"] if d["id"] == device_id)
    assert row["paper_out"] is True and row["stale"] is False and row["location"] == "一楼"
    assert any("printer" in f and "E-PRN-02" in f for f in row["faults"])
    admin_row = next(d for d in fleet["devices"] if d["role"] == "admin")
    assert admin_row["heartbeat"] is None and admin_row["stale"] is False  # not a kiosk
    assert api_get(server, "not-a-token", "/fleet").status_code == 401


def test_kiosk_token_may_not_see_the_fleet(server, kiosk):
    token = json.loads((kiosk.home / "credentials.json").read_text())["token"]
    assert api_get(server, token, "/fleet").status_code == 403
    assert api_get(server, token, "/devices").status_code == 403
    assert api_get(server, token, "/devices/me").json()["name"] == "FLEET-K1"


def test_admin_devices_page_needs_an_admin_token(server, admin_token, kiosk, beat):
    page = f"{server.url}/admin/devices"
    anonymous = requests.get(page, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    token = json.loads((kiosk.home / "credentials.json").read_text())["token"]
    assert requests.get(page, auth=("x", token), timeout=10).status_code == 401  # kiosk role
    html = requests.get(page, auth=("manager", admin_token), timeout=10)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "FLEET-K1" in html.text and "缺纸 paper out" in html.text and "E-PRN-02" in html.text
    bearer = requests.get(page, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert bearer.status_code == 200


def test_issue_token_gives_a_working_admin_login(server):
    issued = json.loads(server.admin("issue-token", "--name", "hall-manager", "--json").stdout)
    assert issued["role"] == "admin" and len(issued["token"]) > 20
    page = requests.get(
        f"{server.url}/admin/devices", auth=("manager", issued["token"]), timeout=10
    )
    assert page.status_code == 200


def test_call_staff_request_reaches_the_page(server, admin_token, kiosk, device_id):
    from common.settings import load_settings
    from kiosk.core import KioskCore

    core = KioskCore(load_settings(environ={"KIOSK_HOME": str(kiosk.home)}), kiosk.home)
    try:
        core.call_staff("老人需要帮助")
    finally:
        core.close()
    kiosk.json("heartbeat")
    row = next(
        d for d in api_get(server, admin_token, "/fleet").json()["devices"] if d["id"] == device_id
    )
    assert [c["reason"] for c in row["call_staff"]] == ["老人需要帮助"]
    html = requests.get(f"{server.url}/admin/devices", auth=("m", admin_token), timeout=10).text
    assert "老人需要帮助" in html and "呼叫工作人员 call staff" in html


def test_admin_devices_cli_shows_the_last_heartbeat(server, device_id, beat):
    rows = json.loads(server.admin("devices", "--json").stdout)["devices"]
    mine = next(d for d in rows if d["id"] == device_id)
    assert mine["heartbeat_at"] and mine["paper_out"] is True
    text = server.admin("devices").stdout
    line = next(ln for ln in text.splitlines() if ln.startswith(device_id))
    assert "paper out" in line and "LAST HEARTBEAT" in text.splitlines()[0]


def test_audit_events_reach_the_server(server, device_id, beat):
    events = json.loads(server.admin("audit", "--device", device_id, "--json").stdout)["events"]
    actions = {e["action"] for e in events}
    assert {"provision", "doctor"} <= actions
    doctor = next(e for e in events if e["action"] == "doctor")
    assert doctor["outcome"] == "fault" and any(
        "device.printer" in x for x in doctor["detail"]["not_ok"]
    )


def test_an_older_heartbeat_never_hides_a_newer_one(server, admin_token, kiosk, device_id):
    token = json.loads((kiosk.home / "credentials.json").read_text())["token"]
    now = datetime.now(UTC)

    def push(sent_at: datetime, status: str) -> dict:
        record = {
            "key": str(uuid.uuid4()),
            "kind": "heartbeat",
            "body": {
                "sent_at": sent_at.isoformat(),
                "version": "0.1.0",
                "status": status,
                "future_field": 1,
            },
        }
        resp = requests.post(
            f"{server.url}/api/v1/sync/push",
            json={"records": [record]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        return resp.json()["results"][0]

    assert push(now + timedelta(hours=1), "ok")["status"] == 201
    late = push(now + timedelta(minutes=30), "fault")
    assert late["status"] == 200 and late["body"]["stored"] is False
    row = next(
        d for d in api_get(server, admin_token, "/fleet").json()["devices"] if d["id"] == device_id
    )
    assert row["heartbeat"]["status"] == "ok"
    bad = push(now, "sleepy")
    assert bad["status"] == 422 and bad["body"]["error"]["code"] == "E-API-02"


def test_pending_heartbeats_are_coalesced(server, tmp_path):
    from kiosk.core import KioskCore
    from kiosk.ops import heartbeat
    from tests.support.server import isolated_settings

    home = tmp_path / "k"
    provisioned(server, home, "FLEET-COALESCE")
    core = KioskCore(isolated_settings(tmp_path / "s"), home)
    try:
        keys = [heartbeat.enqueue(core, heartbeat.build(core, [], interval=60)) for _ in range(3)]
        pending = core.store.query(
            "SELECT key FROM outbox WHERE kind = 'heartbeat' AND state = 'pending'"
        )
        assert [r["key"] for r in pending] == keys[-1:]
        server.stop()  # offline: the ticket stays pending beside the heartbeats
        try:
            core.take_ticket("ZHSL", print_slip=False)
            heartbeat.enqueue(core, heartbeat.build(core, [], interval=60))
        finally:
            server.restart()
        kinds = core.store.query(
            "SELECT kind, COUNT(*) AS n FROM outbox WHERE state IN "
            "('pending', 'sending') AND kind != 'audit' GROUP BY kind "
            "ORDER BY kind"
        )
        assert kinds == [{"kind": "heartbeat", "n": 1}, {"kind": "ticket", "n": 1}]
    finally:
        core.close()


def test_running_kiosk_sends_heartbeats_by_itself(server, admin_token, tmp_path):
    from kiosk.core import KioskCore
    from tests.support.server import isolated_settings

    home = tmp_path / "k"
    provisioned(server, home, "FLEET-BG")
    device_id = json.loads((home / "credentials.json").read_text())["device_id"]
    settings = isolated_settings(tmp_path / "s", {"maintenance": {"heartbeat_interval": 5}})
    core = KioskCore(settings, home)
    try:
        core.start_background(interval=0.2)
        deadline = time.monotonic() + 15
        row = None
        while time.monotonic() < deadline:
            row = next(
                d
                for d in api_get(server, admin_token, "/fleet").json()["devices"]
                if d["id"] == device_id
            )
            if row["heartbeat_at"]:
                break
            time.sleep(0.2)
    finally:
        core.close()
    assert row is not None and row["heartbeat_at"], "no heartbeat from the background syncer"
    assert row["heartbeat"]["interval_s"] == 5 and row["heartbeat"]["last_sync"]


def test_stale_is_judged_from_the_last_heartbeat(server):
    """A kiosk not heard from for three intervals (at least 3 minutes) is stale."""
    from hall_server import fleet
    from hall_server.db import Database

    database = Database(f"sqlite:///{server.data_dir / 'hall.sqlite3'}")
    try:
        with database.read() as conn:
            now = datetime.now(UTC)
            fresh = {r["name"]: r for r in fleet.fleet_rows(conn, now)}
            later = {r["name"]: r for r in fleet.fleet_rows(conn, now + timedelta(minutes=10))}
    finally:
        database.dispose()
    assert fresh["FLEET-K1"]["stale"] is False and later["FLEET-K1"]["stale"] is True
    never = [
        r
        for r in fresh.values()
        if r["role"] == "kiosk" and not r["heartbeat_at"] and not r["revoked_at"]
    ]
    assert never and all(r["stale"] for r in never)


def test_fleet_page_escapes_what_kiosks_send(server, admin_token):
    server.enroll("kiosk", "<script>alert(1)</script>")
    html = requests.get(f"{server.url}/admin/devices", auth=("m", admin_token), timeout=10).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_heartbeat_gaps_spread_so_kiosks_started_together_drift_apart():
    import random

    from kiosk.ops.hook import SPREAD, next_gap

    gaps = [next_gap(60.0, random.Random(seed)) for seed in range(200)]
    assert all(60 * (1 - SPREAD) <= gap <= 60 * (1 + SPREAD) for gap in gaps)
    # 200 kiosks' second heartbeats spread over ~12 s, not one second
    assert max(gaps) - min(gaps) > 10
