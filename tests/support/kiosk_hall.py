"""An in-process kiosk (KioskCore) enrolled with a hall server on a settable clock, through a
link the test can cut (a ChaosProxy that drops everything)."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime

from tests.support.chaos_proxy import ChaosProxy
from tests.support.server import isolated_settings, start_server_thread


class Hall:
    """A hall server on a settable clock, a link the test can cut, an enrolled KioskCore."""

    def __init__(self, tmp_path, server_start: datetime | None = None,
                 name: str = "CLOCK-K1") -> None:
        from hall_server.clock import SettableClock
        from kiosk.core import KioskCore
        from kiosk.ops.provisioning import ProvisionRequest, provision

        self.server = start_server_thread(
            tmp_path / "hall", demo=True, clock=SettableClock(server_start)
        )
        self.proxy = ChaosProxy(int(self.server.url.rsplit(":", 1)[1]))
        settings = isolated_settings(tmp_path / "k", {"printer": {"target": "sim"}})
        home = tmp_path / "kiosk"
        provision(settings, home, ProvisionRequest(
            server=self.proxy.url, code=self.server.enroll_code(), name=name))
        self.core = KioskCore(settings, home)

    def link(self, up: bool) -> None:
        self.proxy.faults.drop = 0.0 if up else 1.0
        if up:
            self.core.connectivity.success()

    def server_ticket(self, number: str) -> sqlite3.Row:
        conn = sqlite3.connect(self.server.data_dir / "hall.sqlite3")
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute("SELECT * FROM tickets WHERE number = ?", (number,)).fetchone()
        finally:
            conn.close()

    def close(self) -> None:
        self.core.close()
        self.proxy.stop()
        self.server.stop()


def take(core, service: str = "ZHSL", **kwargs):
    return core.take_ticket(service, print_slip=False, **kwargs)


def sync_until_delivered(core, within: float = 5.0):
    """Sync until nothing is pending (the failed fast path left a backoff of up to 1 s)."""
    deadline = time.monotonic() + within
    while True:
        result = core.sync_once(pull_catalog=False)
        if result.pending == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.2)
