"""The walking skeleton from the shell: serve --demo, enroll-code, provision, sync, search,
ticket take --print, progress — then the same with the server stopped, and delivery after."""

import json
import sqlite3

import pytest

from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server_process(tmp_path_factory.mktemp("server"), demo=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def kiosk(server, tmp_path_factory):
    home = tmp_path_factory.mktemp("kiosk")
    cli = KioskCli(home, env={"KIOSK_PRINTER_TARGET": f"file:{home / 'slip.bin'}"})
    result = cli.provision(server.url, server.enroll_code(role="kiosk"), "E2E-K1")
    assert result["role"] == "kiosk" and result["catalog_items"] >= 200
    return cli


def test_credentials_are_private(kiosk):
    mode = (kiosk.home / "credentials.json").stat().st_mode & 0o777
    assert mode == 0o600


def test_search_finds_business_licence_items_by_chinese_and_pinyin(kiosk):
    for query in ("营业执照", "yyzz", "yingyezhizhao"):
        data = kiosk.json("search", query)
        assert data["query"] == query
        assert data["results"], query
        assert any("营业执照" in r["title"] or "设立登记" in r["title"] for r in data["results"])
    out = kiosk.run("search", "--stdin", "--json", input="营业执照\n社保\n").stdout.splitlines()
    assert [json.loads(line)["query"] for line in out] == ["营业执照", "社保"]
    assert any("社会保障卡" in r["title"] for r in json.loads(out[1])["results"])


def test_ticket_from_the_server_printed_with_chinese_mode_and_qr(kiosk, server):
    before = (kiosk.home / "slip.bin").stat().st_size if (kiosk.home / "slip.bin").exists() else 0
    ticket = kiosk.json("ticket", "take", "ZHSL", "--print")
    assert ticket["number"].startswith("A") and not ticket["offline"]
    assert ticket["printed"] is True
    assert ticket["url"].startswith(server.url) and ticket["id"] in ticket["url"]
    slip = (kiosk.home / "slip.bin").read_bytes()[before:]
    assert slip.startswith(b"\x1b@")  # ESC @
    assert b"\x1c&" in slip and b"\x1c." in slip  # FS & … FS .
    assert "综合受理".encode("gbk") in slip
    assert ticket["url"].encode() in slip  # native QR store command carries the URL


def test_progress_of_a_demo_application(kiosk):
    from common.paths import config_dir

    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    view = kiosk.json("progress", demo["number"])
    assert view["number"] == demo["number"]
    assert view["status"] == demo["status"]
    assert view["history"]


def test_unknown_service_is_a_clear_error_with_a_stable_exit_code(kiosk):
    proc = kiosk.run("ticket", "take", "NOPE", "--json", check=False)
    assert proc.returncode == 6
    assert json.loads(proc.stdout)["error"]["code"] == "E-QUE-01"
    proc = kiosk.run("ticket", "take", "NOPE", check=False)
    assert proc.returncode == 6 and "E-QUE-01" in proc.stderr and proc.stdout == ""


def test_outage_then_exactly_once_delivery(kiosk, server):
    server.stop()
    offline = [kiosk.json("ticket", "take", "ZHSL", "--print") for _ in range(3)]
    assert all(t["offline"] for t in offline)
    numbers = [t["number"] for t in offline]
    assert len(set(numbers)) == 3 and all(n.startswith("A-") for n in numbers)
    assert kiosk.json("search", "营业执照")["results"]  # the guide still works offline
    status = kiosk.json("sync")
    assert status["pending"] >= 3 and status["state"] == "offline"
    listed = kiosk.json("outbox", "list")
    assert sum(r["kind"] == "ticket" for r in listed["records"]) >= 3

    server.restart()
    status = kiosk.json("sync")
    assert status["pending"] == 0 and status["refused"] == 0 and status["state"] == "online"
    again = kiosk.json("sync")
    assert again["pushed"] == 0  # nothing is sent twice

    db = sqlite3.connect(server.data_dir / "hall.sqlite3")
    rows = db.execute("SELECT number, offline FROM tickets WHERE number IN (?,?,?)", numbers).fetchall()
    assert sorted(r[0] for r in rows) == sorted(numbers) and all(r[1] for r in rows)
    keys = db.execute("SELECT key, COUNT(*) FROM idempotency GROUP BY device_id, key "
                      "HAVING COUNT(*) > 1").fetchall()
    assert keys == []
