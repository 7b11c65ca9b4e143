"""`install-units` for a system service: the unit's KIOSK_HOME is the service's own state
folder (/var/lib/hall-kiosk, /var/lib/hall-server, created by systemd's StateDirectory=), never
the installing user's; cage runs without console switching; systemd-analyze accepts the units."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _kiosk(*args: str, env: dict[str, str] | None = None) -> dict:
    base = {k: v for k, v in os.environ.items() if k != "KIOSK_HOME"}  # as under `sudo`
    proc = subprocess.run([sys.executable, "-m", "kiosk", *args, "--json"], capture_output=True,
                          text=True, env={**base, **(env or {})}, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_units_for_another_user_keep_state_in_var_lib(tmp_path):
    units = tmp_path / "units"
    _kiosk("install-units", "--target", str(units), "--user", "kiosk")
    _kiosk("admin", "install-units", "--target", str(units), "--user", "hall")
    kiosk = _lines(units / "kiosk.service")
    assert "Environment=KIOSK_HOME=/var/lib/hall-kiosk" in kiosk
    assert "StateDirectory=hall-kiosk" in kiosk and "StateDirectoryMode=0700" in kiosk
    exec_start = next(line for line in kiosk if line.startswith("ExecStart="))
    assert " -s " not in exec_start and " -d -- " in exec_start  # no console switching
    server = _lines(units / "hall-server.service")
    assert "Environment=KIOSK_HOME=/var/lib/hall-server" in server
    assert "StateDirectory=hall-server" in server
    assert any("--data-dir /var/lib/hall-server/server" in line for line in server)


def test_home_flag_and_kiosk_home_win(tmp_path):
    units = tmp_path / "units"
    _kiosk("install-units", "--target", str(units), "--user", "kiosk", "--home", "/srv/kiosk")
    lines = _lines(units / "kiosk.service")
    assert "Environment=KIOSK_HOME=/srv/kiosk" in lines
    assert not any(line.startswith("StateDirectory=") for line in lines)
    chosen = tmp_path / "chosen"
    _kiosk("install-units", "--target", str(units), "--user", "kiosk",
           env={"KIOSK_HOME": str(chosen)})
    assert f"Environment=KIOSK_HOME={chosen.resolve()}" in _lines(units / "kiosk.service")


def test_systemd_analyze_accepts_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    units = tmp_path / "units"
    home = str(tmp_path / "home")
    _kiosk("install-units", "--target", str(units), "--user", "root", "--home", home)
    _kiosk("admin", "install-units", "--target", str(units), "--user", "root", "--home", home)
    proc = subprocess.run(["systemd-analyze", "verify", *map(str, sorted(units.glob("*.service")))],
                          capture_output=True, text=True, timeout=60)
    # verify also checks that executables exist: cage is not installed on a test machine
    problems = [line for line in proc.stderr.splitlines() if line.strip() and "/cage" not in line]
    assert problems == [], proc.stderr
