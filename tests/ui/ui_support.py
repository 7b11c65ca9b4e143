"""Helpers of the UI tests: the hall server (a real `kiosk serve` process on loopback, demo
data), enrolled kiosk homes, and `run_ui`, which runs a scenario of tests/ui/scenarios.py in
a fresh Kivy process (offscreen) and returns what it observed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
RUNNER = Path(__file__).resolve().parent / "kivy_runner.py"


@dataclass
class Hall:
    """The hall server under test: tests.support.server.ServerProcess plus what UI tests need."""

    server: Any  # tests.support.server.ServerProcess
    settings: Any

    @property
    def url(self) -> str:
        return self.server.url

    def enroll_code(self, role: str = "kiosk") -> str:
        return self.server.enroll_code(role=role)

    def counter_token(self) -> str:
        return self.server.enroll(role="counter", name="UI-C1")["token"]

    def call_next(self, token: str, counter: str = "01", services: list[str] | None = None) -> dict:
        import requests

        reply = requests.post(
            f"{self.url}/api/v1/queue/counters/{counter}/call-next",
            json={"services": services} if services else {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        reply.raise_for_status()
        return reply.json()

    def call_until(self, token: str, ticket_id: str, service: str, counter: str = "01",
                   limit: int = 50) -> dict:
        """Call `service` at `counter` until `ticket_id` comes up: the UI test files share one
        hall server per process, so tickets others left waiting (taken earlier, or
        appointments, which go first) may be called before it."""
        for _ in range(limit):
            called = self.call_next(token, counter=counter, services=[service])
            if called["id"] == ticket_id:
                return called
        raise AssertionError(f"{ticket_id} not called within {limit} calls of {service}")


def book_appointment(
    hall: Hall, kiosk_home: Path, *, code: str, service: str, id_number: str
) -> None:
    """An appointment booked elsewhere (web, phone) for today, held by `id_number`: a row in
    the hall server's database (there is no booking API), holder hashed with the hall's key."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from common.holder import holder_hash
    from hall_server.db import Database
    from hall_server.schema import appointments
    from kiosk.ops.credentials import load_credentials

    key = load_credentials(kiosk_home).hall_key
    now = datetime.now(ZoneInfo(hall.settings.hall.timezone))
    database = Database(f"sqlite:///{hall.server.data_dir / 'hall.sqlite3'}")
    try:
        with database.write() as conn:
            conn.execute(
                appointments.insert().values(
                    code=code,
                    service=service,
                    business_date=now.date(),
                    holder=holder_hash(key, id_number),
                    status="booked",
                    created_at=now,
                )
            )
    finally:
        database.dispose()


def start_hall(tmp: Path) -> Hall:
    from tests.support.server import isolated_settings, start_server_process

    return Hall(start_server_process(tmp / "server", demo=True), isolated_settings(tmp))


@dataclass
class KioskHome:
    home: Path
    printer: Path
    env: dict[str, str]


def make_kiosk_home(
    hall: Hall,
    root: Path,
    name: str = "UI-K1",
    extra_env: dict[str, str] | None = None,
    server_url: str | None = None,
) -> KioskHome:
    """An enrolled kiosk (catalog synced), printing to a file, ID card reader simulated."""
    from kiosk.ops.provisioning import ProvisionRequest, provision

    home = root / "kiosk"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    printer = root / "printer.bin"
    provision(
        hall.settings,
        home,
        ProvisionRequest(
            server=server_url or hall.url, code=hall.enroll_code(), name=name, replace=True
        ),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(
        {
            "KIOSK_HOME": str(home),
            "KIOSK_SERVER_URL": hall.url,
            "KIOSK_PRINTER_TARGET": f"file:{printer}",
            "KIOSK_DEVICES_IDCARD": "sim:resident",
            "SDL_VIDEODRIVER": "offscreen",
        }
    )
    env.update(extra_env or {})
    return KioskHome(home, printer, env)


def run_ui(
    kiosk: KioskHome,
    scenario: str,
    *,
    timeout: float = 90.0,
    params: dict[str, str] | None = None,
    devices: bool = False,
) -> dict[str, Any]:
    """Run a scenario in a fresh Kivy process; fail the test with its error if it failed.
    With `devices`, the process serves an ID card reader and a scanner simulator on ptys and
    starts the kiosk with its device I/O thread, as `kiosk run` does."""
    out_dir = ARTIFACTS
    out_dir.mkdir(parents=True, exist_ok=True)
    result = kiosk.home.parent / f"{scenario}.result.json"
    cmd = [
        sys.executable,
        str(RUNNER),
        scenario,
        "--home",
        str(kiosk.home),
        "--artifacts",
        str(out_dir),
        "--result",
        str(result),
        "--timeout",
        str(timeout),
    ]
    for key, value in (params or {}).items():
        cmd += ["--param", f"{key}={value}"]
    if devices:
        cmd.append("--devices")
    try:
        proc = subprocess.run(
            cmd, env=kiosk.env, capture_output=True, text=True, timeout=timeout + 30, cwd=REPO
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"UI scenario {scenario} hung: {exc.stderr[-3000:] if exc.stderr else ''}")
    if not result.exists():
        pytest.fail(
            f"UI scenario {scenario} crashed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    outcome = json.loads(result.read_text())
    if not outcome["ok"]:
        pytest.fail(
            f"UI scenario {scenario} failed: {outcome['error']}\n"
            f"--- stderr ---\n{proc.stderr[-3000:]}"
        )
    return outcome["results"]


def printer_bytes(kiosk: KioskHome) -> bytes:
    return kiosk.printer.read_bytes() if kiosk.printer.exists() else b""
