"""Kiosk use by function (issue 12), through a real KioskCore and the loopback hall server of
this directory (behind a link the test can cut): the counts travel with the heartbeat, survive
a failed heartbeat and a lost reply without being lost or doubled, and appear in the manager's
report (the CSV read back with `csv`)."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from common.paths import config_dir
from kiosk.ops import heartbeat
from tests.ops.conftest import api_get
from tests.support.chaos_proxy import ChaosProxy
from tests.support.kiosk_hall import sync_until_delivered, take
from tests.support.server import isolated_settings

NAME = "USE-K1"
LABELS = {
    "tickets": "取号 tickets",
    "guide_views": "办事指南 guide views",
    "form_submissions": "表单提交 form submissions",
    "progress_queries": "进度查询 progress queries",
}


@pytest.fixture(scope="module")
def kiosk(server, tmp_path_factory):
    """(core, proxy): a kiosk enrolled through a proxy in front of the session's server."""
    from kiosk.core import KioskCore
    from kiosk.ops.provisioning import ProvisionRequest, provision

    tmp = tmp_path_factory.mktemp("usage")
    proxy = ChaosProxy(int(server.url.rsplit(":", 1)[1]))
    settings = isolated_settings(tmp / "s", {"printer": {"target": "sim"}})
    provision(settings, tmp / "kiosk",
              ProvisionRequest(server=proxy.url, code=server.enroll_code(), name=NAME))
    core = KioskCore(settings, tmp / "kiosk")
    yield core, proxy
    core.close()
    proxy.stop()


def link(core, proxy: ChaosProxy, up: bool) -> None:
    proxy.faults.drop = 0.0 if up else 1.0
    if up:
        core.connectivity.success()


def beat(core) -> str:
    return heartbeat.enqueue(core, heartbeat.build(core, [], interval=60))


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


def server_counts(server, token: str, core, fmt: str = "json") -> dict[str, int]:
    """This kiosk's row of today's report, read back from the server over HTTP."""
    day = core.today().isoformat()
    if fmt == "csv":
        resp = api_get(server, token, "/reports.csv",
                       params={"from": day, "to": day, "table": "kiosk_use"})
        rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
        mine = [r for r in rows if r["终端编号 device"] == core.credentials.device_id]
        assert all(r["日期 date"] == day and r["终端 kiosk"] == NAME for r in mine)
        return {fn: int(r[label]) for r in mine for fn, label in LABELS.items()}
    rows = api_get(server, token, "/reports", params={"from": day, "to": day}).json()["kiosk_use"]
    mine = [r for r in rows if r["device"] == core.credentials.device_id]
    return {fn: r[fn] for r in mine for fn in LABELS}


def sync_until(core, done, within: float = 8.0) -> None:
    """Sync until `done()` (a failed attempt leaves a backoff of up to a few seconds)."""
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, "the heartbeat never reached the server"
        core.sync_once(pull_catalog=False)
        time.sleep(0.1)


def test_counts_arrive_once_through_failures_and_show_in_the_report(server, admin_token, kiosk):
    core, proxy = kiosk
    use_the_kiosk(core)
    expected = {"tickets": 2, "guide_views": 3, "form_submissions": 1, "progress_queries": 1}
    assert core.usage.pending() == {core.today().isoformat(): expected}

    # 1. the link is down: the heartbeat fails; the counts are kept in flight, not lost
    link(core, proxy, False)
    beat(core)
    core.sync_once(pull_catalog=False)
    assert server_counts(server, admin_token, core) == {}
    take(core)  # counted while the first batch waits: it goes in the next one
    # 2. the server stores the batch but its reply is lost: the kiosk sends it again
    link(core, proxy, True)
    proxy.faults.reset_mid_response, proxy.faults.only_post = 1.0, True
    beat(core)
    sync_until(core, lambda: server_counts(server, admin_token, core) != {})
    proxy.faults.reset_mid_response, proxy.faults.only_post = 0.0, False
    assert server_counts(server, admin_token, core) == expected  # stored once …
    assert core.store.get_meta("usage_batch")  # … but not known to be: still in flight
    link(core, proxy, True)
    beat(core)  # … and the same batch again (a newer heartbeat replaces the pending one)
    sync_until_delivered(core)
    assert server_counts(server, admin_token, core) == expected  # not doubled
    # 3. acknowledged: the next heartbeat carries what was counted since
    beat(core)
    sync_until_delivered(core)
    assert core.store.get_meta("usage_batch") in ("", None) and core.usage.pending() == {}
    # the manager's report per kiosk and day, as CSV read back with the csv module
    assert server_counts(server, admin_token, core, "csv") == {**expected, "tickets": 3}
