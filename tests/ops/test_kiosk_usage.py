"""Kiosk use by function (issue 12), through a real KioskCore and a loopback hall server: the
counts travel with the heartbeat, survive a failed heartbeat and a lost reply without being
lost or doubled, and appear in the manager's report (the CSV read back with `csv`)."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
import requests

from common.paths import config_dir
from kiosk.ops import heartbeat
from tests.support.kiosk_hall import Hall, sync_until_delivered, take


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    h = Hall(tmp_path_factory.mktemp("usage"), name="USE-K1")
    yield h
    h.close()


def beat(hall: Hall) -> str:
    return heartbeat.enqueue(hall.core, heartbeat.build(hall.core, [], interval=60))


def use_the_kiosk(core) -> None:
    """2 tickets, 3 guide views, 1 application, 1 progress query."""
    take(core)
    take(core)
    code = core.search("", limit=1)[0].code
    for _ in range(3):
        core.get_item(code)
    demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
    filed = core.submit_application(demo["form"], demo["fields"], item=demo.get("item"))
    core.progress(filed.number)


def sync_until(hall: Hall, done, within: float = 8.0) -> None:
    """Sync until `done()` (a failed attempt leaves a backoff of up to a few seconds)."""
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, "the heartbeat never reached the server"
        hall.core.sync_once(pull_catalog=False)
        time.sleep(0.1)


def server_totals(hall: Hall) -> dict[str, int]:
    from sqlalchemy import func, select

    from hall_server.schema_usage import kiosk_usage

    u = kiosk_usage.c
    with hall.server.database.read() as conn:
        rows = conn.execute(select(u.function, func.sum(u.count)).group_by(u.function)).all()
    return {fn: int(n) for fn, n in rows}


def test_counts_arrive_once_through_failures_and_show_in_the_report(hall):
    core = hall.core
    use_the_kiosk(core)
    expected = {"tickets": 2, "guide_views": 3, "form_submissions": 1, "progress_queries": 1}
    assert core.usage.pending() == {core.today().isoformat(): expected}

    # 1. the link is down: the heartbeat fails; the counts are kept in flight, not lost
    hall.link(False)
    beat(hall)
    core.sync_once(pull_catalog=False)
    assert server_totals(hall) == {}
    take(core)  # counted while the first batch waits: it goes in the next one
    # 2. the server stores the batch but its reply is lost: the kiosk sends it again
    hall.link(True)
    hall.proxy.faults.reset_mid_response, hall.proxy.faults.only_post = 1.0, True
    beat(hall)
    sync_until(hall, lambda: server_totals(hall) != {})
    hall.proxy.faults.reset_mid_response, hall.proxy.faults.only_post = 0.0, False
    assert server_totals(hall) == expected  # stored once …
    assert core.store.get_meta("usage_batch")  # … but not known to be: still in flight
    hall.link(True)
    beat(hall)  # … and the same batch again (a newer heartbeat replaces the pending one)
    sync_until_delivered(core)
    assert server_totals(hall) == expected  # not doubled
    # 3. acknowledged: the next heartbeat carries what was counted since
    beat(hall)
    sync_until_delivered(core)
    assert server_totals(hall) == {**expected, "tickets": 3}
    assert core.store.get_meta("usage_batch") in ("", None) and core.usage.pending() == {}

    # the manager's report: per kiosk and day, read back with the csv module
    admin = hall.server.enroll("admin", "usage-admin")["token"]
    day = core.today().isoformat()
    resp = requests.get(
        f"{hall.server.url}/api/v1/reports.csv",
        params={"from": day, "to": day, "table": "kiosk_use"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    mine = [r for r in rows if r["终端 kiosk"] == "USE-K1"]
    assert len(mine) == 1 and mine[0]["日期 date"] == day
    assert {
        key: int(mine[0][label])
        for key, label in (
            ("tickets", "取号 tickets"),
            ("guide_views", "办事指南 guide views"),
            ("form_submissions", "表单提交 form submissions"),
            ("progress_queries", "进度查询 progress queries"),
        )
    } == {**expected, "tickets": 3}
