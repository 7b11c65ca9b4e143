"""`kiosk serve` / `kiosk admin …` from the shell, and the demo hall loader."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from common.holder import holder_hash
from tests.support.server import REPO, start_server_process, start_server_thread

from .conftest import DATA

ENV_BASE = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}


def kiosk(tmp_path: Path, *args: str, db_url: str | None = None) -> subprocess.CompletedProcess:
    where = ["--db", db_url] if db_url else ["--data-dir", str(tmp_path / "d")]
    env = {**ENV_BASE, "KIOSK_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args, *where],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_serve_prints_its_url_and_serves(tmp_path, db_url):
    server = start_server_process(tmp_path, demo=False, db_url=db_url)
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.port > 0
        health = requests.get(f"{server.url}/api/v1/health", timeout=5).json()
        assert health["status"] == "ok"
        enrolled = server.enroll("admin", "desk")
        devices = requests.get(
            f"{server.url}/api/v1/devices",
            timeout=5,
            headers={"Authorization": f"Bearer {enrolled['token']}"},
        )
        assert [d["name"] for d in devices.json()["devices"]] == ["desk"]
        port = server.port
        server.restart()
        assert server.port == port
        assert (
            requests.get(
                f"{server.url}/api/v1/devices",
                timeout=5,
                headers={"Authorization": f"Bearer {enrolled['token']}"},
            ).status_code
            == 200
        )
    finally:
        assert server.stop() is not None


def test_serve_on_a_busy_port_is_a_clear_error(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = kiosk(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 2
    assert "E-CLI-01" in result.stderr and f"127.0.0.1:{port}" in result.stderr


def test_data_dir_and_db_are_exclusive(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "admin", "devices", "--data-dir", "x", "--db", "sqlite://"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**ENV_BASE, "KIOSK_HOME": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 2 and "E-CLI-01" in result.stderr


def test_admin_commands(tmp_path, db_url):
    code = kiosk(
        tmp_path,
        "admin",
        "enroll-code",
        "--role",
        "counter",
        "--expires",
        "2h",
        "--json",
        db_url=db_url,
    )
    assert code.returncode == 0, code.stderr
    body = json.loads(code.stdout)
    assert set(body) == {"code", "role", "expires_at"} and body["role"] == "counter"
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", body["code"])

    imported = kiosk(
        tmp_path,
        "admin",
        "import-catalog",
        str(DATA / "catalog_small.jsonl"),
        "--json",
        db_url=db_url,
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["added"] == 6
    again = kiosk(
        tmp_path, "admin", "import-catalog", str(DATA / "catalog_small.jsonl"), db_url=db_url
    )
    assert "6 unchanged" in again.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"code": "A", "title": "t", "department": "d"}\n{oops\n')
    failed = kiosk(tmp_path, "admin", "import-catalog", str(bad), "--json", db_url=db_url)
    assert failed.returncode == 8
    error = json.loads(failed.stdout)["error"]
    assert error["code"] == "E-IMP-01" and "line 2" in error["message"]

    services = kiosk(
        tmp_path, "admin", "import-services", str(DATA / "services.toml"), "--json", db_url=db_url
    )
    assert json.loads(services.stdout)["services"] == 4

    assert "no devices enrolled" in kiosk(tmp_path, "admin", "devices", db_url=db_url).stdout
    revoke = kiosk(tmp_path, "admin", "revoke", "nobody", "--json", db_url=db_url)
    assert revoke.returncode == 6
    assert json.loads(revoke.stdout)["error"]["code"] == "E-API-01"


def test_revoke_by_name_from_the_shell(tmp_path):
    server = start_server_process(tmp_path, demo=False)
    try:
        enrolled = server.enroll("kiosk", "K-lost")
        headers = {"Authorization": f"Bearer {enrolled['token']}"}
        listed = json.loads(server.admin("devices", "--json").stdout)["devices"]
        assert [d["name"] for d in listed] == ["K-lost"] and listed[0]["tag"] == "K1"
        out = json.loads(server.admin("revoke", "K-lost", "--json").stdout)
        assert out["revoked"][0]["id"] == enrolled["device_id"]
        resp = requests.post(
            f"{server.url}/api/v1/sync/push", json={"records": []}, headers=headers, timeout=5
        )
        assert resp.status_code == 401
    finally:
        server.stop()


def test_catalog_schema_command_matches_the_docs_file(tmp_path):
    out = tmp_path / "schema.json"
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "admin", "catalog-schema", "--output", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**ENV_BASE, "KIOSK_HOME": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == (REPO / "docs" / "catalog.schema.json").read_text()


# --- demo ------------------------------------------------------------------------------------
DEMO_ID = "11010519491231002X"


def demo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir()
    shutil.copy(DATA / "catalog_small.jsonl", folder / "catalog.jsonl")
    shutil.copy(DATA / "services.toml", folder / "queue_services.toml")
    apps = [
        {
            "number": "SQ20250301DEMO000001",
            "item": "SCJG-GTGSH-001",
            "form": "F-TEST-01",
            "status": "approved",
            "fields": {"name": "示例"},
            "holder_id_number": DEMO_ID,
            "submitted_at": "2025-03-01T02:00:00+00:00",
            "promised_by": "2025-03-06",
            "history": [
                {"status": "submitted", "at": "2025-03-01T02:00:00+00:00", "note": ""},
                {"status": "approved", "at": "2025-03-04T03:00:00+00:00", "note": "准予"},
            ],
        },
        {
            "number": "SQ20250302DEMO000002",
            "item": "RS-SBK-001",
            "form": "F-TEST-01",
            "status": "correction_requested",
            "holder_id_number": DEMO_ID,
            "submitted_at": "2025-03-02T02:00:00+00:00",
        },
        {"number": "SQ-BAD", "status": "flying"},
    ]
    lines = [json.dumps(a, ensure_ascii=False) for a in apps]
    (folder / "applications.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return folder


def test_demo_load_is_idempotent_and_usable(tmp_path, db_url):
    folder = demo_dir(tmp_path)
    with start_server_thread(tmp_path / "s", db_url=db_url, demo=True, demo_dir=folder) as hall:
        summary = hall.running.demo
        assert summary["catalog"]["added"] == 6 and summary["services"]["services"] == 4
        assert summary["applications"]["added"] == 2
        assert summary["applications"]["skipped"][0].startswith("line 3")
        assert len(summary["appointments"]) == 5
        api = hall.api("kiosk", "K-demo")
        holder = holder_hash(api.enrolled["hall_key"], DEMO_ID)
        listed = api.get("/applications", params={"holder": holder}).json()["applications"]
        assert {a["number"]: a["status"] for a in listed} == {
            "SQ20250301DEMO000001": "approved",
            "SQ20250302DEMO000002": "correction_requested",
        }
        approved = next(a for a in listed if a["status"] == "approved")
        assert [h["note"] for h in approved["history"]] == ["", "准予"]
        assert approved["item_title"] == "个体工商户设立登记"
        code = summary["appointments"][0]
        ticket = api.ticket("ZH", appointment=code, holder=holder)
        assert ticket.status_code == 201 and ticket.json()["priority"] == "appointment"

        from hall_server.demo import load_demo

        again = load_demo(hall.database, hall.settings, hall_key=hall.ctx.hall_key, demo_dir=folder)
        assert again["catalog"]["unchanged"] == 6 and again["catalog"]["added"] == 0
        assert again["applications"]["added"] == 0 and again["applications"]["kept"] == 2
        assert again["appointments"] == summary["appointments"]


def test_demo_with_missing_files_still_serves(tmp_path):
    empty = tmp_path / "empty-demo"
    empty.mkdir()
    with start_server_thread(tmp_path / "s", demo=True, demo_dir=empty) as hall:
        assert hall.running.demo["appointments"] == []
        assert requests.get(f"{hall.url}/api/v1/queue/services", timeout=5).json() == {
            "services": []
        }


def test_demo_appointments_file_is_booked_for_the_load_day(tmp_path):
    from datetime import datetime, timedelta

    from hall_server.clock import SettableClock
    from hall_server.demo import load_demo

    from .conftest import HALL_TZ

    folder = demo_dir(tmp_path)
    (folder / "appointments.toml").write_text(
        '[[appointment]]\ncode = "402817"\nservice = "ZH"\n'
        f'holder_id_number = "{DEMO_ID}"\nslot = "09:00-10:00"\n\n'
        '[[appointment]]\ncode = "999999"\nservice = "NOPE"\n',
        encoding="utf-8",
    )
    clock = SettableClock(datetime(2025, 3, 14, 9, 0, tzinfo=HALL_TZ))
    with start_server_thread(tmp_path / "s", demo=True, demo_dir=folder, clock=clock) as hall:
        assert hall.running.demo["appointments"] == ["402817"]
        api = hall.api()
        holder = holder_hash(api.enrolled["hall_key"], DEMO_ID)
        assert api.ticket("ZH", appointment="402817", holder=holder).status_code == 201
        assert api.ticket("ZH", appointment="402817", holder=holder).status_code == 404
        clock.set(clock.now() + timedelta(days=1))  # the next day the demo is loaded again
        load_demo(
            hall.database, hall.settings, hall_key=hall.ctx.hall_key, clock=clock, demo_dir=folder
        )
        assert api.ticket("ZH", appointment="402817", holder=holder).status_code == 201
        # loading again the same day keeps the check-in
        load_demo(
            hall.database, hall.settings, hall_key=hall.ctx.hall_key, clock=clock, demo_dir=folder
        )
        assert api.ticket("ZH", appointment="402817", holder=holder).status_code == 404


def test_packaged_demo_hall(tmp_path):
    """`kiosk serve --demo` with the shipped sample data (common/defaults/demo)."""
    from common.wire import APPLICATION_STATUSES

    shipped = REPO / "common" / "defaults" / "demo"
    needed = ("catalog.jsonl", "queue_services.toml", "applications.jsonl")
    missing = [name for name in needed if not (shipped / name).exists()]
    if missing:
        pytest.skip(f"common/defaults/demo lacks {', '.join(missing)} (demo data not written yet)")
    server = start_server_process(tmp_path, demo=True)
    try:
        url = f"{server.url}/api/v1"
        services = requests.get(f"{url}/queue/services", timeout=5).json()["services"]
        assert len(services) >= 3
        enrolled = server.enroll("kiosk", "K-demo")
        headers = {"Authorization": f"Bearer {enrolled['token']}"}
        code = next(s["code"] for s in services if s["open"])
        ticket = requests.post(
            f"{url}/queue/tickets",
            json={"service": code},
            timeout=5,
            headers={**headers, "Idempotency-Key": "demo-1"},
        )
        assert ticket.status_code == 201
        feed = requests.get(f"{url}/catalog/changes", params={"limit": 2000}, timeout=10).json()
        assert len(feed["items"]) >= 200 and not feed["more"]
        assert all(i["search"]["title_pinyin"] for i in feed["items"])
        assert len({i["department"] for i in feed["items"]}) >= 12
        # demo applications in every status, found by the fictional holder's hash
        seen: set[str] = set()
        for line in (shipped / "applications.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            app = requests.get(f"{url}/applications/{entry['number']}", headers=headers, timeout=5)
            if app.status_code == 429:  # the lookup limit works; enough checked
                break
            assert app.status_code == 200, app.text
            assert app.json()["status"] == entry["status"]
            seen.add(entry["status"])
        if len(seen) < len(APPLICATION_STATUSES):  # the rate limit stopped the walk early
            statuses = {
                json.loads(x)["status"]
                for x in (shipped / "applications.jsonl").read_text(encoding="utf-8").splitlines()
                if x.strip()
            }
            assert statuses == set(APPLICATION_STATUSES)
    finally:
        server.stop()
