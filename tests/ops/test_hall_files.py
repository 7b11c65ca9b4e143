"""The hall's own files: defaults in the package < /etc/hall-kiosk|/etc/hall-server (KIOSK_ETC)
< $KIOSK_HOME/site.toml < remote < environment < flags; hall-editable files (opening hours,
forms, holidays, hardware profiles, devices) read from the hall's folder when present;
`kiosk config init`; and the clear errors of a hall file with a typo, a missing /etc folder,
an unwritable state folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common import paths
from common.errors import KioskError
from common.forms import load_forms
from common.paths import config_dir, etc_dir, hall_file, set_role
from common.schedule import Schedule
from kiosk.ops.hardware_profiles import list_profiles, load_profile
from tests.support.kiosk_cli import KioskCli


@pytest.fixture
def hall_etc(tmp_path, monkeypatch) -> Path:
    etc = tmp_path / "etc"
    monkeypatch.setenv("KIOSK_ETC", str(etc))
    return etc


def _cli(tmp_path: Path, etc: Path, **env: str) -> KioskCli:
    return KioskCli(tmp_path / "home", env={"KIOSK_ETC": str(etc), **env})


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr and "E-GEN-01" not in proc.stdout + proc.stderr


# --- kiosk config init ------------------------------------------------------------------------
def test_config_init_writes_a_commented_set_and_keeps_the_halls_edits(tmp_path, hall_etc):
    cli = _cli(tmp_path, hall_etc)
    first = cli.json("config", "init")
    names = sorted(Path(p).name for p in first["written"])
    assert names == ["README", "config.toml", "holidays.toml", "schedule.toml"]
    assert (hall_etc / "forms").is_dir() and (hall_etc / "hardware_profiles").is_dir()
    # commented out: the starting set changes nothing
    config = (hall_etc / "config.toml").read_text(encoding="utf-8")
    assert "# [kiosk]" in config and "# idle_timeout = 60" in config
    assert cli.json("config", "check")["kiosk"]["idle_timeout"] == 60
    # the hall edits its opening hours; an upgrade runs init again: the edit stays
    edited = '[functions.queue]\nalways = true\n'
    (hall_etc / "schedule.toml").write_text(edited, encoding="utf-8")
    again = cli.json("config", "init", "--copy", "devices.toml")
    assert (hall_etc / "schedule.toml").read_text(encoding="utf-8") == edited
    assert str(hall_etc / "schedule.toml") in again["kept"]
    assert again["written"] == [str(hall_etc / "devices.toml")]
    assert (hall_etc / "devices.toml").read_bytes() == (config_dir() / "devices.toml").read_bytes()


def test_config_init_into_a_folder_it_cannot_write_names_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    cli = _cli(tmp_path, tmp_path / "etc")
    proc = cli.run("config", "init", "--target", str(blocker / "etc"), check=False)
    assert proc.returncode == 3
    assert "E-CFG-04" in proc.stderr and str(blocker) in proc.stderr
    _no_traceback(proc)


# --- the settings layer -----------------------------------------------------------------------
def test_hall_settings_sit_between_the_defaults_and_the_site_file(tmp_path, hall_etc):
    hall_etc.mkdir()
    (hall_etc / "config.toml").write_text("[kiosk]\nidle_timeout = 77\nelderly_idle_timeout = 150\n")
    cli = _cli(tmp_path, hall_etc)
    kiosk = cli.json("config", "check")["kiosk"]
    assert (kiosk["idle_timeout"], kiosk["elderly_idle_timeout"]) == (77, 150)
    (cli.home / "site.toml").write_text("[kiosk]\nidle_timeout = 99\n")
    kiosk = cli.json("config", "check")["kiosk"]
    assert (kiosk["idle_timeout"], kiosk["elderly_idle_timeout"]) == (99, 150)  # site wins
    env_cli = _cli(tmp_path, hall_etc, KIOSK_KIOSK_IDLE_TIMEOUT="88")
    assert env_cli.json("config", "check")["kiosk"]["idle_timeout"] == 88  # environment wins


def test_missing_hall_folder_means_the_packaged_defaults(tmp_path):
    cli = _cli(tmp_path, tmp_path / "nowhere")
    assert cli.json("config", "check")["kiosk"]["idle_timeout"] == 60


@pytest.mark.parametrize(
    ("content", "code", "named"),
    [
        ("[kiosk]\nidle_timeot = 5\n", "E-CFG-01", "kiosk.idle_timeot"),
        ("[kiosk\nidle_timeout = 5\n", "E-CFG-02", "line 1"),
        ("[kiosk]\nidle_timeout = \"soon\"\n", "E-CFG-01", "kiosk.idle_timeout"),
    ],
)
def test_a_typo_in_the_halls_settings_names_the_file_and_key(tmp_path, hall_etc, content, code,
                                                             named):
    hall_etc.mkdir()
    (hall_etc / "config.toml").write_text(content)
    proc = _cli(tmp_path, hall_etc).run("config", "check", "--json", check=False)
    assert proc.returncode == 3
    message = json.loads(proc.stdout)["error"]["message"]
    assert json.loads(proc.stdout)["error"]["code"] == code
    assert str(hall_etc / "config.toml") in message and named in message
    _no_traceback(proc)


def test_unwritable_state_folder_is_named_not_a_traceback(tmp_path):
    blocker = tmp_path / "var-lib"
    blocker.write_text("")  # /var/lib/hall-kiosk that cannot be a folder for this user
    proc = KioskCli(tmp_path / "unused", env={"KIOSK_HOME": str(blocker / "hall-kiosk"),
                                              "KIOSK_ETC": str(tmp_path / "etc")}
                    ).run("sync", "--json", check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "E-CFG-05" and str(blocker / "hall-kiosk") in err["message"]
    _no_traceback(proc)


# --- hall-editable files ----------------------------------------------------------------------
def test_hall_forms_replace_and_add_to_the_packaged_ones(hall_etc):
    packaged = load_forms()
    (hall_etc / "forms").mkdir(parents=True)
    own = (config_dir() / "forms" / "F-SBK-01.toml").read_text(encoding="utf-8")
    title = packaged["F-SBK-01"].title
    (hall_etc / "forms" / "F-SBK-01.toml").write_text(
        own.replace(f'title = "{title}"', f'title = "本厅的{title}"', 1), encoding="utf-8")
    new = own.replace('"F-SBK-01"', '"F-HALL-01"', 1)
    (hall_etc / "forms" / "F-HALL-01.toml").write_text(new, encoding="utf-8")
    forms = load_forms()
    assert forms["F-SBK-01"].title == "本厅的" + title
    assert set(forms) == set(packaged) | {"F-HALL-01"}


def test_a_typo_in_a_hall_form_names_the_file(hall_etc):
    (hall_etc / "forms").mkdir(parents=True)
    (hall_etc / "forms" / "F-SBK-01.toml").write_text("code = \n", encoding="utf-8")
    with pytest.raises(KioskError) as err:
        load_forms()
    assert str(hall_etc / "forms" / "F-SBK-01.toml") in err.value.message


def test_hall_schedule_holidays_and_profiles_win(hall_etc):
    hall_etc.mkdir()
    assert hall_file("schedule.toml") == config_dir() / "schedule.toml"
    (hall_etc / "schedule.toml").write_text('[functions.queue]\nalways = true\n')
    (hall_etc / "holidays.toml").write_text("holidays = [2026-11-23]\n")
    schedule = Schedule.load(hall_file("schedule.toml"), hall_file("holidays.toml"))
    assert schedule.rules["queue"].always
    assert schedule.calendar.holidays == frozenset({__import__("datetime").date(2026, 11, 23)})
    (hall_etc / "hardware_profiles").mkdir()
    (hall_etc / "hardware_profiles" / "cabinet-x.toml").write_text(
        'description = "本厅机柜"\n[printer]\ntarget = "file:/tmp/x.bin"\n')
    assert {"cabinet-x", "sim"} <= {p["name"] for p in list_profiles()}
    assert load_profile("cabinet-x") == {"printer": {"target": "file:/tmp/x.bin"}}


def test_the_server_reads_etc_hall_server(monkeypatch):
    monkeypatch.delenv("KIOSK_ETC")
    try:
        set_role("server")
        assert etc_dir() == Path("/etc/hall-server")
        set_role("kiosk")
        assert etc_dir() == Path("/etc/hall-kiosk")
    finally:
        set_role("kiosk")
    assert paths.role() == "kiosk"
