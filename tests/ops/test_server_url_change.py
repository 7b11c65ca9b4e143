"""`server.url` changed after enrolment: not applied silently. The kiosk keeps talking to the
server it is enrolled with (its token belongs there), the log and `kiosk doctor` say so and
how to re-enrol; `kiosk provision --replace` against the new URL moves it."""

from __future__ import annotations

import json

from tests.ops.conftest import provisioned
from tests.support.kiosk_cli import KioskCli


def test_changed_server_url_is_refused_with_how_to_re_enrol(server, tmp_path):
    home = tmp_path / "kiosk"
    provisioned(server, home, "URL-K1")
    moved = KioskCli(home, env={"KIOSK_SERVER_URL": "http://127.0.0.1:9/"})
    synced = moved.run("sync", "--json")
    assert json.loads(synced.stdout)["state"] == "online"  # still the enrolled server
    assert "server.url is http://127.0.0.1:9 but this kiosk is enrolled with" in synced.stderr
    doctor = moved.run("doctor", "--json", check=False)
    report = json.loads(doctor.stdout)
    check = next(c for c in report["checks"] if c["name"] == "server_url")
    assert check["status"] == "fault"
    assert "kiosk provision --server http://127.0.0.1:9 --code CODE --replace" in check["message"]
    assert doctor.returncode == 16  # E-DOC-01: the doctor found a fault


def test_unchanged_server_url_says_nothing(server, tmp_path):
    cli = provisioned(server, tmp_path / "kiosk", "URL-K2")
    report = cli.json("doctor", check=False)
    assert "server_url" not in {c["name"] for c in report["checks"]}
    assert "enrolled with" not in cli.run("sync", "--json").stderr
