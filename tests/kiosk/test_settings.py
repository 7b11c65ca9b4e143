import pytest

from common.errors import KioskError
from common.paths import config_dir
from common.settings import SECTIONS, load_settings


def test_defaults_load_and_cover_every_key(tmp_path):
    import tomllib

    settings = load_settings(environ={"KIOSK_HOME": str(tmp_path)})
    assert settings.hall.timezone == "Asia/Shanghai"
    defaults = tomllib.loads((config_dir() / "default.toml").read_text())
    for section, model in SECTIONS.items():
        assert set(defaults[section]) == set(model.model_fields), section


def test_layers_site_file_then_environment_then_overrides(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[printer]\ntarget = "file:/tmp/site.bin"\n[hall]\nname = "东城区政务服务中心"\n')
    env = {"KIOSK_HOME": str(tmp_path), "KIOSK_PRINTER_TARGET": "file:/tmp/env.bin"}
    s = load_settings(environ=env)
    assert s.hall.name == "东城区政务服务中心"
    assert s.printer.target == "file:/tmp/env.bin"
    s = load_settings(environ=env, overrides={"printer": {"target": "sim"}})
    assert s.printer.target == "sim"


def test_every_bad_value_is_reported_with_its_source(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[hall]\ntimezone = "Mars/Olympus"\n[bogus]\nx = 1\n')
    env = {"KIOSK_HOME": str(tmp_path), "KIOSK_SERVER_PORT": "eighty", "KIOSK_NOPE_X": "1"}
    with pytest.raises(KioskError) as info:
        load_settings(environ=env)
    message = info.value.message
    assert info.value.code == "E-CFG-01" and info.value.exit_code == 3
    assert "Mars/Olympus" in message and str(site) in message
    assert "KIOSK_SERVER_PORT" in message and "(from environment)" in message
    assert "KIOSK_NOPE_X" in message
    assert "[bogus]" in message


def test_a_broken_site_file_is_a_clear_error(tmp_path):
    (tmp_path / "site.toml").write_text("[hall\nname = 1")
    with pytest.raises(KioskError) as info:
        load_settings(environ={"KIOSK_HOME": str(tmp_path)})
    assert info.value.code == "E-CFG-02"
    assert "site.toml" in info.value.message


@pytest.mark.parametrize(
    ("encoding", "named"),
    [("gbk", "GBK"), ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16")],
)
def test_a_site_file_not_in_utf8_names_the_file_and_its_encoding(tmp_path, encoding, named):
    (tmp_path / "site.toml").write_bytes('[hall]\nname = "东城区政务服务中心"\n'.encode(encoding))
    with pytest.raises(KioskError) as info:
        load_settings(environ={"KIOSK_HOME": str(tmp_path)})
    assert info.value.code == "E-CFG-02"
    assert str(tmp_path / "site.toml") in info.value.message
    assert named in info.value.message and "UTF-8" in info.value.message


def test_a_site_file_with_a_utf8_bom_loads(tmp_path):
    (tmp_path / "site.toml").write_bytes('[hall]\nname = "东城区政务服务中心"\n'.encode("utf-8-sig"))
    assert load_settings(environ={"KIOSK_HOME": str(tmp_path)}).hall.name == "东城区政务服务中心"


def test_doctor_reports_a_gbk_site_file_as_e_cfg_02(tmp_path):
    import json

    from tests.support.kiosk_cli import KioskCli

    cli = KioskCli(tmp_path)
    (tmp_path / "site.toml").write_bytes('[hall]\nname = "东城区政务服务中心"\n'.encode("gbk"))
    proc = cli.run("doctor", "--json", check=False)
    assert proc.returncode == 3, proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "E-CFG-02"
    assert "site.toml" in error["message"] and "GBK" in error["message"]
