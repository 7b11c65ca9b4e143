"""Remote configuration: versioned on the server (validated with the kiosk's own settings
spec), pulled by the kiosk, applied at a safe moment, the last good one kept when a new one
is invalid."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from tests.ops.conftest import api_get, provisioned
from tests.support.kiosk_cli import KioskCli

VALID = """# the hall's kiosk policy
[kiosk]
idle_timeout = 90
elderly_idle_timeout = 180

[printer]
target = "sim?fault=paper_low"
"""


@pytest.fixture(scope="module")
def kiosk(server, tmp_path_factory) -> KioskCli:
    return provisioned(server, tmp_path_factory.mktemp("cfg"), "CFG-K1")


@pytest.fixture(scope="module")
def v1(server, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("cfgfile") / "kiosk.toml"
    path.write_text(VALID)
    stored = json.loads(server.admin("config", "set", str(path), "--json").stdout)
    again = json.loads(server.admin("config", "set", str(path), "--json").stdout)
    assert again["version"] == stored["version"]  # the same file twice is one version
    return stored


def test_admin_stores_a_valid_version(server, v1):
    assert v1["version"] == 1 and v1["etag"].startswith('"cfg-1-')
    shown = json.loads(server.admin("config", "show", "--json").stdout)
    assert shown["config"] == {
        "kiosk": {"idle_timeout": 90, "elderly_idle_timeout": 180},
        "printer": {"target": "sim?fault=paper_low"},
    }


def test_invalid_versions_are_refused_with_every_problem(server, v1, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[kiosk]\nidle_timeout = 1\nlanguage = "fr"\n[server]\nurl = "http://x"\n'
        "[kiosk_typo]\na = 1\n"
    )
    proc = server.admin("config", "set", str(bad), "--json", check=False)
    assert proc.returncode == 16
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "E-DOC-02"
    assert "[server]" in err["message"] and "[kiosk_typo]" in err["message"]
    bad.write_text('[kiosk]\nidle_timeout = 1\nlanguage = "fr"\n')
    err = json.loads(server.admin("config", "set", str(bad), "--json", check=False).stdout)["error"]
    assert "kiosk.idle_timeout" in err["message"] and "kiosk.language" in err["message"]
    bad.write_text("[kiosk\n")
    proc = server.admin("config", "set", str(bad), "--json", check=False)
    assert proc.returncode == 3 and json.loads(proc.stdout)["error"]["code"] == "E-CFG-02"
    assert json.loads(server.admin("config", "show", "--json").stdout)["version"] == 1


def test_config_route_etag_and_roles(server, admin_token, kiosk, v1):
    token = json.loads((kiosk.home / "credentials.json").read_text())["token"]
    first = api_get(server, token, "/config")
    assert first.status_code == 200 and first.headers["ETag"] == v1["etag"]
    assert first.json()["version"] == 1
    again = requests.get(
        f"{server.url}/api/v1/config",
        timeout=10,
        headers={"Authorization": f"Bearer {token}", "If-None-Match": v1["etag"]},
    )
    assert again.status_code == 304
    put = requests.put(
        f"{server.url}/api/v1/config",
        timeout=10,
        json={"config": {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert put.status_code == 403
    bad = requests.put(
        f"{server.url}/api/v1/config",
        timeout=10,
        json={"config": {"ui": {"width": 10}}},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "E-DOC-02"


def test_kiosk_pulls_then_applies_at_a_safe_moment(kiosk, v1):
    before = kiosk.json("config", "check")
    assert before["kiosk"]["idle_timeout"] == 60
    pulled = kiosk.json("config", "pull")
    assert pulled == {"result": "pending", "version": 1}
    assert kiosk.json("config", "pull")["result"] in ("unchanged", "pending")
    status = kiosk.json("config", "status")
    assert status["pending"] == 1 and status["version"] is None
    assert kiosk.json("config", "check")["kiosk"]["idle_timeout"] == 60  # not yet applied
    applied = kiosk.json("config", "apply")
    assert applied["result"] == "applied" and applied["version"] == 1
    assert set(applied["changed"]) == {
        "kiosk.idle_timeout",
        "kiosk.elderly_idle_timeout",
        "printer.target",
    }
    after = kiosk.json("config", "check")
    assert (
        after["kiosk"]["idle_timeout"] == 90 and after["printer"]["target"] == "sim?fault=paper_low"
    )
    # the environment still wins over the hall's layer (a technician's override on site)
    env = KioskCli(kiosk.home, env={"KIOSK_KIOSK_IDLE_TIMEOUT": "77"}).json("config", "check")
    assert env["kiosk"]["idle_timeout"] == 77
    assert kiosk.json("config", "apply") == {"result": "none"}
    assert "config_apply" in [e["action"] for e in kiosk.json("audit")["events"]]


def test_invalid_new_version_keeps_the_last_good_one(server, kiosk, v1):
    """A version the server's spec let through but this kiosk's does not (a newer server, or a
    value that clashes with the kiosk's own site file): rejected, reported, last good kept."""
    from hall_server.db import Database
    from hall_server.schema_fleet import kiosk_configs

    kiosk.json("config", "pull")
    kiosk.json("config", "apply")
    database = Database(f"sqlite:///{server.data_dir / 'hall.sqlite3'}")
    try:
        with database.write() as conn:
            conn.execute(
                kiosk_configs.insert().values(
                    version=2,
                    config=json.dumps({"kiosk": {"idle_timeout": 2, "new_knob": 1}}),
                    source=None,
                    etag='"cfg-2-bad"',
                    created_at=datetime.now(UTC),
                    created_by="test",
                )
            )
    finally:
        database.dispose()
    pulled = kiosk.json("config", "pull")
    assert pulled["result"] == "rejected" and pulled["version"] == 2
    assert "kiosk.idle_timeout" in pulled["reason"] and "new_knob" in pulled["reason"]
    status = kiosk.json("config", "status")
    assert status["version"] == 1 and status["pending"] is None and status["rejected"]
    assert kiosk.json("config", "check")["kiosk"]["idle_timeout"] == 90  # last good kept
    report = kiosk.json("doctor", check=False)
    config = next(c for c in report["checks"] if c["name"] == "config")
    assert config["status"] == "warning" and "v2" in config["message"]
    beat = kiosk.json("heartbeat")["heartbeat"]
    assert beat["config_version"] == 1 and beat["config_rejected"].startswith("v2:")


def test_apply_pending_in_a_running_core_keeps_its_own_overrides(server, admin_token, tmp_path, v1):
    from kiosk.core import KioskCore
    from kiosk.ops import remote_config
    from tests.support.server import isolated_settings

    stored = requests.put(
        f"{server.url}/api/v1/config",
        timeout=10,
        json={"config": {"kiosk": {"idle_timeout": 95}}},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert stored.status_code == 201
    version = stored.json()["version"]
    home = tmp_path / "k"
    provisioned(server, home, "CFG-CORE")
    settings = isolated_settings(tmp_path / "s", {"printer": {"target": "file:/tmp/demo.bin"}})
    core = KioskCore(settings, home)
    events = []
    core.add_listener(lambda event, payload: events.append((event, payload)))
    try:
        assert remote_config.pull(core.config_desk()) == {"result": "pending", "version": version}
        assert core.settings.kiosk.idle_timeout == 60  # nothing changes mid-session
        result = core.apply_pending_config()
        assert result == {
            "result": "applied",
            "version": version,
            "changed": ["kiosk.idle_timeout"],
        }
        assert core.settings.kiosk.idle_timeout == 95
        assert core.settings.printer.target == "file:/tmp/demo.bin"  # the core's own override
        assert ("config_applied", {"version": version, "changed": ["kiosk.idle_timeout"]}) in events
        assert core.apply_pending_config() is None
    finally:
        core.close()
