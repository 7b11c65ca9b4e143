"""Fixtures for the UI tests: the real hall server on loopback (demo catalog), an enrolled
kiosk home, and `run_ui` which runs a scenario of tests/ui/scenarios.py in a fresh Kivy
process (offscreen) and returns what it observed."""

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
    url: str
    data_dir: Path
    settings: Any
    server: Any

    def enroll_code(self, role: str = "kiosk") -> str:
        from hall_server.admin import create_enroll_code

        return create_enroll_code(self.settings, role=role, data_dir=self.data_dir)

    def counter_token(self) -> str:
        import requests

        reply = requests.post(f"{self.url}/api/v1/devices/enroll",
                              json={"code": self.enroll_code("counter"), "name": "UI-C1"},
                              timeout=10)
        reply.raise_for_status()
        return reply.json()["token"]

    def call_next(self, token: str, counter: str = "1", services: list[str] | None = None
                  ) -> dict:
        import requests

        reply = requests.post(f"{self.url}/api/v1/queue/counters/{counter}/call-next",
                              json={"services": services} if services else {},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        reply.raise_for_status()
        return reply.json()


def _base_settings(tmp: Path) -> Any:
    from kiosk.settings import load_settings

    site = tmp / "site.toml"
    site.write_text("")
    return load_settings(site_file=site, environ={})


@pytest.fixture(scope="session")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Hall:
    from hall_server.runner import start_in_thread

    tmp = tmp_path_factory.mktemp("hall")
    settings = _base_settings(tmp)
    server = start_in_thread(settings, data_dir=tmp / "server", demo=True, port=0)
    yield Hall(server.url, tmp / "server", settings, server)
    server.stop()


@dataclass
class KioskHome:
    home: Path
    printer: Path
    env: dict[str, str]


def make_kiosk_home(hall: Hall, root: Path, name: str = "UI-K1",
                    extra_env: dict[str, str] | None = None) -> KioskHome:
    """An enrolled kiosk (catalog synced), printing to a file, ID card reader simulated."""
    from kiosk.provisioning import ProvisionRequest, provision

    home = root / "kiosk"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    printer = root / "printer.bin"
    provision(hall.settings, home, ProvisionRequest(server=hall.url, code=hall.enroll_code(),
                                                    name=name, replace=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update({
        "KIOSK_HOME": str(home),
        "KIOSK_SERVER_URL": hall.url,
        "KIOSK_PRINTER_TARGET": f"file:{printer}",
        "KIOSK_DEVICES_IDCARD": "sim:resident",
        "SDL_VIDEODRIVER": "offscreen",
    })
    env.update(extra_env or {})
    return KioskHome(home, printer, env)


@pytest.fixture
def kiosk(hall: Hall, tmp_path: Path) -> KioskHome:
    return make_kiosk_home(hall, tmp_path)


def run_ui(kiosk: KioskHome, scenario: str, *, timeout: float = 90.0,
           params: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a scenario in a fresh Kivy process; fail the test with its error if it failed."""
    out_dir = ARTIFACTS
    out_dir.mkdir(parents=True, exist_ok=True)
    result = kiosk.home.parent / f"{scenario}.result.json"
    cmd = [sys.executable, str(RUNNER), scenario, "--home", str(kiosk.home), "--artifacts",
           str(out_dir), "--result", str(result), "--timeout", str(timeout)]
    for key, value in (params or {}).items():
        cmd += ["--param", f"{key}={value}"]
    try:
        proc = subprocess.run(cmd, env=kiosk.env, capture_output=True, text=True,
                              timeout=timeout + 30, cwd=REPO)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"UI scenario {scenario} hung: {exc.stderr[-3000:] if exc.stderr else ''}")
    if not result.exists():
        pytest.fail(f"UI scenario {scenario} crashed (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}")
    outcome = json.loads(result.read_text())
    if not outcome["ok"]:
        pytest.fail(f"UI scenario {scenario} failed: {outcome['error']}\n"
                    f"--- stderr ---\n{proc.stderr[-3000:]}")
    return outcome["results"]


def printer_bytes(kiosk: KioskHome) -> bytes:
    return kiosk.printer.read_bytes() if kiosk.printer.exists() else b""
