"""Fixtures of the citizen-facing tests: the demo hall server in a thread (real HTTP on
loopback) and a real kiosk core enrolled with it, talking through a proxy the test can cut
(offline) and restore (sync)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.chaos_proxy import ChaosProxy, Faults
from tests.support.server import ThreadServer, isolated_settings, start_server_thread


@dataclass
class Rig:
    server: ThreadServer
    proxy: ChaosProxy
    core: Any  # kiosk.core.KioskCore
    printer: Path  # what the kiosk printed (target file:…), ESC/POS bytes appended

    def printed(self) -> bytes:
        return self.printer.read_bytes() if self.printer.exists() else b""

    def offline(self) -> None:
        self.proxy.faults = Faults(drop=1.0)

    def online(self) -> None:
        self.proxy.faults = Faults()
        self.core.syncer.probe()  # what the running kiosk's syncer does every second

    def sync(self) -> None:
        self.online()
        for _ in range(5):
            result = self.core.sync_once(pull_catalog=False)
            self.core.outbox.store.conn.execute("UPDATE outbox SET next_attempt_at = 0")
            if result.pending == 0:
                self.core.syncer.probe()
                return
        raise AssertionError(f"outbox not drained: {result.to_json()}")


@pytest.fixture
def rig(tmp_path: Path, db_url: str | None) -> Iterator[Rig]:
    from common.settings import load_settings
    from kiosk.core import KioskCore
    from kiosk.ops.provisioning import ProvisionRequest, provision

    server = start_server_thread(tmp_path / "hall", demo=True, db_url=db_url)
    proxy = ChaosProxy(int(server.url.rsplit(":", 1)[1]))
    home = tmp_path / "kiosk"
    home.mkdir(mode=0o700)
    try:
        provision(
            isolated_settings(tmp_path / "prov"),
            home,
            ProvisionRequest(server=server.url, code=server.enroll_code(), name="QR-K1"),
        )
        creds = json.loads((home / "credentials.json").read_text())
        creds["server_url"] = proxy.url  # the kiosk's link now runs through the proxy
        (home / "credentials.json").write_text(json.dumps(creds))
        settings = load_settings(
            overrides={
                "printer": {"target": f"file:{tmp_path / 'printer.bin'}"},
                "hall": {"public_url": server.url},
            },
            environ={"KIOSK_HOME": str(home)},
        )
        core = KioskCore(settings, home)
        try:
            core.sync_once()
            yield Rig(server, proxy, core, tmp_path / "printer.bin")
        finally:
            core.close()
    finally:
        proxy.stop()
        server.stop()
