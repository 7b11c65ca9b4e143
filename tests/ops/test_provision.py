"""Provisioning: flags, a JSON file, hardware profiles written into site.toml, interactive
prompts (on a real pty), re-provisioning that asks first, and provision.json applied once."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.kiosk_cli import KioskCli
from tests.support.server import REPO


def test_flags_hardware_profile_site_file_and_doctor(server, tmp_path):
    home = tmp_path / "k1"
    home.mkdir()
    (home / "site.toml").write_text("# set by the technician\n[kiosk]\nidle_timeout = 90 # slow\n")
    cli = KioskCli(home)
    result = cli.json(
        "provision",
        "--server",
        server.url,
        "--code",
        server.enroll_code(),
        "--name",
        "PRV-K1",
        "--location",
        "一楼东侧",
        "--hardware",
        "sim",
        "--noinput",
    )
    assert result["role"] == "kiosk" and result["hardware"] == "sim"
    assert result["catalog_items"] >= 200 and result["sync_state"] == "online"
    assert result["doctor"]["status"] in ("ok", "warning")
    site = (home / "site.toml").read_text()
    assert "# set by the technician" in site and "# slow" in site  # comments kept
    assert 'idcard = "sim"' in site and f'url = "{server.url}"' in site
    assert "示例市政务服务中心" in site and 'timezone = "Asia/Shanghai"' in site
    settings = cli.json("config", "check")
    assert settings["kiosk"]["idle_timeout"] == 90 and settings["printer"]["target"] == "sim"
    assert (home / "credentials.json").stat().st_mode & 0o777 == 0o600
    devices = json.loads(server.admin("devices", "--json").stdout)["devices"]
    mine = next(d for d in devices if d["name"] == "PRV-K1")
    assert mine["location"] == "一楼东侧"
    audit = cli.json("audit")["events"]
    assert [e["action"] for e in audit][-1] == "provision" or "provision" in [
        e["action"] for e in audit
    ]


def test_from_file_and_reprovisioning_needs_replace(server, tmp_path):
    home = tmp_path / "k2"
    cli = KioskCli(home)
    request = tmp_path / "req.json"
    request.write_text(
        json.dumps(
            {
                "server": server.url,
                "code": server.enroll_code(),
                "name": "PRV-FILE",
                "location": "二楼",
            }
        )
    )
    first = cli.json("provision", "--from-file", str(request), "--noinput")
    again = cli.run("provision", "--from-file", str(request), "--noinput", "--json", check=False)
    assert again.returncode == 14
    assert json.loads(again.stdout)["error"]["code"] == "E-PRV-01"
    replaced = cli.json(
        "provision",
        "--server",
        server.url,
        "--code",
        server.enroll_code(),
        "--name",
        "PRV-FILE-2",
        "--noinput",
        "--replace",
    )
    assert replaced["device_id"] != first["device_id"]
    creds = json.loads((home / "credentials.json").read_text())
    assert creds["device_id"] == replaced["device_id"] and creds["name"] == "PRV-FILE-2"


def test_bad_inputs_fail_before_the_code_is_spent(server, tmp_path):
    cli = KioskCli(tmp_path / "k3")
    code = server.enroll_code()
    bad = cli.run(
        "provision",
        "--server",
        server.url,
        "--code",
        code,
        "--name",
        "X",
        "--hardware",
        "no-such-cabinet",
        "--noinput",
        "--json",
        check=False,
    )
    assert bad.returncode == 14
    err = json.loads(bad.stdout)["error"]
    assert err["code"] == "E-PRV-03" and "standard-usb" in err["message"]
    (tmp_path / "bad.json").write_text(json.dumps({"server": server.url, "nme": "typo"}))
    bad = cli.run(
        "provision", "--from-file", str(tmp_path / "bad.json"), "--noinput", "--json", check=False
    )
    err = json.loads(bad.stdout)["error"]
    assert (
        err["code"] == "E-PRV-02"
        and "'nme'" in err["message"]
        and "code is required" in err["message"]
    )
    missing = cli.run("provision", "--server", server.url, "--noinput", "--json", check=False)
    assert missing.returncode == 2 and "--code" in json.loads(missing.stdout)["error"]["message"]
    ok = cli.json("provision", "--server", server.url, "--code", code, "--name", "X", "--noinput")
    assert ok["role"] == "kiosk"  # the same code still works: nothing was spent


def test_list_hardware_profiles(tmp_path):
    profiles = KioskCli(tmp_path / "k").json("provision", "--list-hardware")["profiles"]
    names = {p["name"] for p in profiles}
    assert {"sim", "standard-usb", "serial-reader"} <= names
    assert all(p["description"] for p in profiles)


class Pty:
    """`kiosk …` on a pseudo-terminal, so its prompts and progress bar behave as for a person."""

    def __init__(self, home: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "KIOSK_HOME": str(home)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPO,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.out = ""

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.out:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen; got:\n{self.out}")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.out += os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child closed the pty
                    if self.proc.poll() is not None and text not in self.out:
                        raise AssertionError(f"{text!r} not seen; got:\n{self.out}") from None

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.out += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    break
        code = self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return code


def test_interactive_prompts_progress_and_replace_question(server, tmp_path):
    home = tmp_path / "k4"
    home.mkdir()
    session = Pty(home, "provision")
    session.expect("hall server URL: ")
    session.send(server.url)
    session.expect("enrolment code: ")
    session.send(server.enroll_code())
    session.expect("kiosk name: ")
    session.send("PRV-TTY")
    session.expect("location (optional): ")
    session.send("大厅")
    session.expect("hardware profile (")
    session.send("sim")
    assert session.finish() == 0, session.out
    assert "catalog:" in session.out and "items" in session.out  # the progress bar, on the tty
    assert "enrolled as" in session.out and "doctor:" in session.out
    assert json.loads((home / "credentials.json").read_text())["location"] == "大厅"

    again = Pty(
        home,
        "provision",
        "--server",
        server.url,
        "--code",
        "XXXX-XXXX-XXXX",
        "--name",
        "PRV-TTY2",
        "--location",
        "-",
        "--hardware",
        "sim",
    )
    again.expect("Replace its identity?")
    again.send("no")
    assert again.finish() == 14 and "E-PRV-04" in again.out
    assert json.loads((home / "credentials.json").read_text())["name"] == "PRV-TTY"


def test_provision_file_is_applied_once_then_removed(server, tmp_path):
    from kiosk.ops.credentials import load_credentials
    from kiosk.ops.provisioning import PROVISION_FILE, apply_provision_file
    from tests.support.server import isolated_settings

    home = tmp_path / "k5"
    home.mkdir()
    settings = isolated_settings(tmp_path / "s")
    assert apply_provision_file(settings, home) is None  # no file: nothing happens
    (home / PROVISION_FILE).write_text(
        json.dumps(
            {
                "server": server.url,
                "code": server.enroll_code(),
                "name": "PRV-AUTO",
                "hardware": "sim",
            }
        )
    )
    result = apply_provision_file(settings, home)
    assert result is not None and result["catalog_items"] >= 200
    assert not (home / PROVISION_FILE).exists()
    assert load_credentials(home).name == "PRV-AUTO"
    assert apply_provision_file(settings, home) is None  # applied once

    (home / PROVISION_FILE).write_text(
        json.dumps({"server": server.url, "code": server.enroll_code(), "name": "PRV-AUTO-2"})
    )
    from common.errors import KioskError

    with pytest.raises(KioskError) as exc:  # enrolled, and the file does not say "replace"
        apply_provision_file(settings, home)
    assert exc.value.code == "E-PRV-01"
    assert not (home / PROVISION_FILE).exists()
    assert (home / (PROVISION_FILE + ".rejected")).exists()
    assert "E-PRV-01" in (home / (PROVISION_FILE + ".error")).read_text()
    assert load_credentials(home).name == "PRV-AUTO"


def test_provision_file_waits_for_an_unreachable_server(tmp_path):
    from common.errors import KioskError
    from kiosk.ops.provisioning import PROVISION_FILE, apply_provision_file
    from tests.support.server import isolated_settings

    home = tmp_path / "k6"
    home.mkdir()
    (home / PROVISION_FILE).write_text(
        json.dumps({"server": "http://127.0.0.1:9", "code": "AAAA-BBBB-CCCC", "name": "PRV-LATER"})
    )
    with pytest.raises(KioskError) as exc:
        apply_provision_file(isolated_settings(tmp_path / "s"), home)
    assert exc.value.code == "E-NET-01"
    assert (home / PROVISION_FILE).exists()  # kept for the next start
