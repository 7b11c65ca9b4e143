"""Reports for the hall manager (issue 12): a scripted day through every transition, the CSV
read back with Python's csv module and its totals equal to the events table's counts; the
report as JSON, SQLite and a page in a real browser; who may see it; bad periods and names."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import pytest
import requests

from tests.support.server import REPO

from .test_api_basics import assert_error

DAY = "2025-03-14"  # the fixture hall's clock: Friday 2025-03-14 10:00
PASSWORD = "report-pass-123"


def step(counter, action, body=None, code="01"):
    resp = counter.post(f"/queue/counters/{code}/{action}", body or {})
    assert resp.status_code == 200, resp.text
    return resp.json()


def scripted_day(hall, kiosk, counter) -> None:
    """7 tickets: 3 served, 1 no-show, 1 transferred (then served), 1 cancelled, 1 waiting;
    one served ticket rated 2 (a 差评 case)."""
    tickets = [kiosk.ticket("ZH").json() for _ in range(7)]
    for minutes in (3, 5, 7):
        step(counter, "call-next", {"services": ["ZH"]})
        step(counter, "start")
        hall.clock.set(hall.clock.now() + timedelta(minutes=minutes))
        step(counter, "finish")
    step(counter, "call-next", {"services": ["ZH"]})
    step(counter, "no-show")
    step(counter, "call-next", {"services": ["ZH"]})
    step(counter, "transfer", {"service": "SB"})
    moved = step(counter, "call-next", {"services": ["SB"]})
    step(counter, "start")
    step(counter, "finish")
    cancel = kiosk.post(f"/queue/tickets/{tickets[5]['id']}/cancel", {})
    assert cancel.status_code == 200, cancel.text
    rated = kiosk.post("/evaluations", {"subject": moved["id"], "level": 2, "reasons": ["R2-01"]})
    assert rated.status_code == 201, rated.text


def test_csv_totals_equal_the_events_table(hall, kiosk, counter, admin):
    from hall_server import reports

    scripted_day(hall, kiosk, counter)
    resp = admin.get("/reports.csv", params={"from": DAY, "to": DAY, "table": "by_day"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith("\ufeff".encode())  # Excel and WPS read it as UTF-8
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    header, day = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[0] == "日期 date" and day["日期 date"] == DAY and len(rows) == 2
    with hall.database.read() as conn:
        truth = reports.event_counts(conn, reports.Period(date(2025, 3, 14), date(2025, 3, 14)),
                                     hall.ctx.zone)
    assert truth == {"served": 4, "no_show": 1, "cancelled": 1, "expired": 0, "transferred": 1}
    for key, label in (("served", "办结 served"), ("no_show", "过号 no-show"),
                       ("transferred", "转移 transferred"), ("cancelled", "作废 cancelled"),
                       ("expired", "过期 expired")):
        assert int(day[label]) == truth[key], key
    assert int(day["取号 taken"]) == 7
    full = admin.get("/reports", params={"from": DAY, "to": DAY}).json()
    assert full["totals"]["service_p50_s"] == 240  # 3, 5, 7 min and one instant: median 4 min
    counter_row = next(r for r in full["by_counter"] if r["counter"] == "01")
    assert counter_row["served"] == 4
    hall_ratings = next(r for r in full["ratings"] if r["by"] == "hall")
    assert (hall_ratings["ratings"], hall_ratings["bad"], hall_ratings["reasons"]) == (
        1, 1, {"R2-01": 1})
    busy_hour = next(r for r in full["by_hour"] if r["hour"] == 10)
    assert busy_hour["taken"] == 7


def test_bad_periods_and_names_are_clear_errors(hall, admin, kiosk):
    assert_error(admin.get("/reports", params={"from": DAY, "to": "2025-03-13"}), 422, "E-API-02")
    assert_error(admin.get("/reports", params={"from": "2024-01-01", "to": DAY}), 422, "E-API-02")
    assert_error(admin.get("/reports", params={"service": "NOPE"}), 404, "E-QUE-01")
    assert_error(admin.get("/reports", params={"counter": "99"}), 404, "E-QUE-11")
    assert_error(kiosk.get("/reports"), 403, "E-AUTH-02")


def push_usage(kiosk, key: str, batch: str, *counts: tuple[str, int]):
    usage = {"batch": batch, "seq": 1, "counts": [
        {"day": DAY, "function": fn, "count": n} for fn, n in counts]}
    beat = {"sent_at": f"{DAY}T02:00:00Z", "version": "0.1.0", "usage": usage}
    resp = kiosk.post("/sync/push", {"records": [{"key": key, "kind": "heartbeat", "body": beat}]})
    result = resp.json()["results"][0]
    assert resp.status_code == 200 and result["status"] in (200, 201), resp.text
    return result


def test_kiosk_use_is_stored_once_per_batch(hall, kiosk, admin):
    """A batch sent again (a lost reply) is acknowledged and not counted twice."""
    first = push_usage(kiosk, "hb-a", "batch-0001", ("tickets", 3), ("progress_queries", 1))
    again = push_usage(kiosk, "hb-b", "batch-0001", ("tickets", 3), ("progress_queries", 1))
    assert first["body"]["usage_batch"] == again["body"]["usage_batch"] == "batch-0001"
    push_usage(kiosk, "hb-c", "batch-0002", ("tickets", 2), ("form_submissions", 1))
    push_usage(kiosk, "hb-d", "batch-0003", ("guide_views", 1), ("guide_views", 1))  # adds up
    rows = admin.get("/reports", params={"from": DAY, "to": DAY}).json()["kiosk_use"]
    assert rows == [{"date": DAY, "kiosk": "K-test", "device": kiosk.enrolled["device_id"],
                     "tickets": 5, "guide_views": 2, "form_submissions": 1, "progress_queries": 1}]


def test_cli_writes_every_table_into_one_sqlite_file(hall, kiosk, counter, tmp_path):
    scripted_day(hall, kiosk, counter)
    out = tmp_path / "report.sqlite3"
    env = {"KIOSK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    where = ["--db", hall.db_url] if hall.db_url else ["--data-dir", str(hall.data_dir)]
    cmd = [sys.executable, "-m", "kiosk", "admin", "report", "--from", DAY, "--to", DAY,
           "--format", "sqlite", "--output", str(out), *where]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(out) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        served = db.execute("SELECT served FROM by_day").fetchone()[0]
    assert {"report", "by_day", "by_hour", "by_counter", "ratings"} <= tables and served == 4
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    table = subprocess.run([*cmd[:9], "--table", "by_counter", *where], capture_output=True,
                           text=True, cwd=REPO, env=env, timeout=120)
    assert table.returncode == 0 and "counter" in table.stdout and "01" in table.stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_report_page_for_a_manager_in_a_browser(hall, kiosk, counter):
    """A manager signs in at /admin/reports and sees the tables, the SVG charts and the 差评
    to follow up; a clerk is refused. Screenshot: tests/artifacts/reports-1366x768.png."""
    from hall_server import staff
    from tests.support.browser import chromium, new_page, screenshot

    with hall.database.write() as conn:
        for login, role in (("boss", "manager"), ("han", "clerk")):
            staff.add_staff(conn, login=login, name="王经理" if role == "manager" else "韩梅梅",
                            role=role, counters=["01"], password=PASSWORD, now=hall.clock.now())
    scripted_day(hall, kiosk, counter)
    push_usage(kiosk, "hb-1", "report-page-1", ("tickets", 7), ("guide_views", 12))
    clerk = requests.Session()
    clerk.post(f"{hall.url}/staff/login", json={"login": "han", "password": PASSWORD}, timeout=30)
    assert clerk.get(f"{hall.url}/admin/reports", timeout=30).status_code == 403
    with chromium() as browser:
        page = new_page(browser)
        page.goto(f"{hall.url}/admin/reports?from={DAY}&to={DAY}")
        page.fill("#login", "boss")
        page.fill("#password", PASSWORD)
        page.click("#signin-submit")
        page.wait_for_selector("section.totals")
        text = page.inner_text("body")
        assert "运行报表" in text and "按窗口 By counter" in text and "差评回访" in text
        assert "终端使用 Kiosk use by function" in text and "办事指南 guide views" in text
        assert page.locator("svg rect").count() >= 1
        screenshot(page, "reports-1366x768")
        page.get_by_text("终端使用 Kiosk use by function").scroll_into_view_if_needed()
        screenshot(page, "reports-kiosk-use-1366x768")
