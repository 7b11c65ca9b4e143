"""Kiosk ↔ server through a fault-injecting proxy (latency, drops, resets mid-response, 500s):
every ticket and form is issued at once (online or offline), and after the faults stop one
sync delivers everything exactly once."""

import json
import sqlite3

import pytest

from common.paths import config_dir
from common.settings import load_settings
from kiosk.core import KioskCore
from tests.support.chaos_proxy import ChaosProxy, Faults
from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process


@pytest.mark.timeout(180)
def test_chaos_proxy_then_exactly_once(tmp_path):
    server = start_server_process(tmp_path / "server", demo=True)
    proxy = ChaosProxy(int(server.url.rsplit(":", 1)[1]),
                       Faults(latency_s=0.02, drop=0.2, reset_mid_response=0.2, http_500=0.1),
                       seed=11)
    try:
        home = tmp_path / "kiosk"
        cli = KioskCli(home)
        cli.provision(server.url, server.enroll_code(role="kiosk"), "CHAOS-K1")
        creds = json.loads((home / "credentials.json").read_text())
        creds["server_url"] = proxy.url
        (home / "credentials.json").write_text(json.dumps(creds))
        settings = load_settings(overrides={"printer": {"target": "sim"}},
                                 environ={"KIOSK_HOME": str(home)})
        demo = json.loads((config_dir() / "demo" / "applications.jsonl").read_text().splitlines()[0])
        core = KioskCore(settings, home)
        try:
            tickets, forms = [], []
            for i in range(50):
                core.syncer.probe()  # what the background syncer does every second
                if i % 5 == 4:
                    forms.append(core.submit_application(demo["form"], demo["fields"],
                                                         item=demo["item"]))
                else:
                    tickets.append(core.take_ticket("ZHSL", print_slip=False))
            assert len({t.number for t in tickets}) == 40  # unique even while flapping
            assert all(f.status in {"submitted", "queued"} for f in forms)
            assert min(proxy.fates.values()) > 0, proxy.fates  # every fault happened
            assert ("reset", b"/api/v1/queue/tickets") in proxy.log  # the ambiguous case too
            assert 0 < sum(t.offline for t in tickets) < 40  # both paths were taken
            proxy.faults = Faults()
            for _ in range(10):
                result = core.sync_once(pull_catalog=False)
                core.outbox.store.conn.execute("UPDATE outbox SET next_attempt_at = 0")
                if result.pending == 0:
                    break
            assert result.pending == 0 and result.refused == 0, result.to_json()
        finally:
            core.close()
        device_id = creds["device_id"]
        server.stop()
        hall = sqlite3.connect(server.data_dir / "hall.sqlite3")
        keys = hall.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM idempotency "
                            "WHERE device_id = ?", (device_id,)).fetchone()
        assert keys == (50, 50)
        numbers = {n for (n,) in hall.execute("SELECT number FROM tickets WHERE device_id = ?",
                                              (device_id,))}
        assert numbers == {t.number for t in tickets}  # the printed numbers are the filed ones
    finally:
        proxy.stop()
        server.stop()
