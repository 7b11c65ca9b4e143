"""Discovery against the simulated USB bus, real ptys and the simulators; devices.toml and
the udev rules generated from it."""


import pytest
from serial.tools.list_ports_common import ListPortInfo

from common.errors import KioskError
from common.paths import config_dir
from hardware.discovery import (
    by_id_names,
    discover,
    load_known_devices,
    match,
    udev_rules,
)
from hardware.idcard.simulator import IdCardSimulator, PtySimulator, UsbSimulator
from hardware.usb_sim import SimEndpoint, SimUsbBackend, SimUsbDevice

RULES_FILE = config_dir() / "udev" / "99-hall-kiosk.rules"
KEYS = {
    "family",
    "driver",
    "target",
    "description",
    "simulated",
    "status",
    "status_name",
    "message",
    "code",
}


def test_devices_toml_is_valid_and_has_the_readers():
    known = load_known_devices()
    ids = {k.ids: k for k in known}
    assert ids["0400:c35a"].family == "idcard" and ids["0400:c35a"].style == "auto"
    assert ids["2b8b:2721"].style == "hid" and ids["2b8b:2721"].confidence == "unsure"
    assert ids["0316:5020"].family == "idcard"
    assert ids["0416:5011"].family == "printer"
    assert ids["1eab:*"].family == "scanner" and ids["05f9:*"].interface == "serial"


def test_matching_prefers_the_exact_product():
    known = load_known_devices()
    assert match(known, 0x1EAB, 0x0D10, "serial").description.startswith("Newland")
    assert match(known, 0x1EAB, 0x0D10, "usb") is None  # CDC scanners are serial ports
    assert match(known, 0x0400, 0xC35A, "usb").family == "idcard"
    assert match(known, 0x1234, 0x5678, "usb") is None


def test_committed_udev_rules_match_devices_toml():
    assert RULES_FILE.read_text() == udev_rules(load_known_devices())


def test_udev_rules_cover_usb_hidraw_and_tty():
    rules = udev_rules(load_known_devices(), group="plugdev")
    assert (
        'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTRS{idVendor}=="0400", '
        'ATTRS{idProduct}=="c35a", MODE="0660", GROUP="plugdev"'
    ) in rules
    assert 'SUBSYSTEM=="hidraw", ATTRS{idVendor}=="2b8b", ATTRS{idProduct}=="2721"' in rules
    assert 'SUBSYSTEM=="tty", ATTRS{idVendor}=="1eab", MODE="0660"' in rules


@pytest.mark.parametrize(
    "body,problem",
    [
        (
            '[[device]]\nvid = "04"\npid = "c35a"\nfamily = "idcard"\ndriver = "x"\n'
            'interface = "usb"\ndescription = "d"',
            "4-digit hex",
        ),
        (
            '[[device]]\nvid = "0400"\npid = "c35a"\nfamily = "toaster"\ndriver = "x"\n'
            'interface = "usb"\ndescription = "d"',
            "allowed values",
        ),
        ('[[device]]\nvid = "0400"\npid = "c35a"\n', "family"),
    ],
)
def test_bad_devices_file_names_the_entry(tmp_path, body, problem):
    path = tmp_path / "devices.toml"
    path.write_text(body)
    with pytest.raises(KioskError) as err:
        load_known_devices(path)
    assert err.value.code == "E-CFG-01" and "device #1" in err.value.message
    assert problem in err.value.message


def test_usb_devices_are_matched_and_asked_their_status():
    reader = UsbSimulator(IdCardSimulator(), style="split")
    reader.start()
    printer = SimUsbDevice(
        0x0416, 0x5011, endpoints=[SimEndpoint(0x01), SimEndpoint(0x82)], interface_class=0x07
    )
    unknown = SimUsbDevice(0x1234, 0x5678, address=3)
    try:
        result = discover(
            usb_backend=SimUsbBackend([reader.device, printer, unknown]),
            serial_ports=[],
            include_pcsc=False,
            include_sims=False,
        )
    finally:
        reader.stop()
    devices = {d.target: d for d in result.devices}
    assert set(devices) == {"usb:0400:c35a", "usb:0416:5011"}  # the unknown one is left out
    idcard = devices["usb:0400:c35a"]
    assert (idcard.family, idcard.driver, idcard.simulated) == ("idcard", "idcard-usb", False)
    assert idcard.to_json()["status_name"] == "ok"
    assert devices["usb:0416:5011"].family == "printer"
    assert set(idcard.to_json()) == KEYS


def _port(device: str, vid: int | None = None, pid: int | None = None) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.description = vid, pid, "test port"
    return info


def test_serial_ports_use_by_id_names_and_probe_finds_an_id_reader(tmp_path):
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    with PtySimulator(IdCardSimulator()) as server:
        link = by_id / "usb-1a86_USB_Serial-if00-port0"
        link.symlink_to(server.path)
        assert by_id_names(by_id) == {server.path: str(link)}
        ports = [_port(server.path, 0x1A86, 0x7523)]
        plain = discover(
            serial_ports=ports,
            by_id_dir=by_id,
            usb_backend=SimUsbBackend([]),
            include_pcsc=False,
            include_sims=False,
        )
        probed = discover(
            serial_ports=ports,
            by_id_dir=by_id,
            probe=True,
            usb_backend=SimUsbBackend([]),
            include_pcsc=False,
            include_sims=False,
        )
    (before,) = plain.devices
    assert (before.family, before.target) == ("serial-bridge", f"serial:{link}")
    assert before.to_json()["status_name"] == "unknown"  # no bytes sent without --probe
    (after,) = probed.devices
    assert (after.family, after.driver) == ("idcard", "idcard-serial")
    assert after.to_json()["status_name"] == "ok"


def test_probe_of_a_silent_port_reports_no_answer(tmp_path):
    sim = IdCardSimulator(baud=1200)  # listens at a speed the driver never tries
    with PtySimulator(sim) as server:
        result = discover(
            serial_ports=[_port(server.path)],
            probe=True,
            by_id_dir=tmp_path,
            usb_backend=SimUsbBackend([]),
            include_pcsc=False,
            include_sims=False,
        )
    (device,) = result.devices
    assert device.family == "serial"
    assert device.to_json()["code"] == "E-IDC-02"


def test_every_family_lists_its_simulator():
    result = discover(usb_backend=SimUsbBackend([]), serial_ports=[], include_pcsc=False)
    sims = {d.family: d for d in result.devices if d.simulated}
    assert set(sims) == {"idcard", "printer", "scanner", "voice"}
    assert all(d.target == "sim" for d in sims.values())
    assert sims["idcard"].to_json()["status_name"] == "ok"


def test_hardware_list_cli_contract(kiosk_cli):
    result = kiosk_cli("hardware", "list", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == {"devices", "warnings"}
    assert data["devices"] and all(set(d) == KEYS for d in data["devices"])
    idcard_sim = next(d for d in data["devices"] if d["family"] == "idcard" and d["simulated"])
    assert (idcard_sim["target"], idcard_sim["status"]) == ("sim", 0)


def test_udev_rules_cli_prints_the_rules(kiosk_cli):
    result = kiosk_cli("hardware", "udev-rules")
    assert result.code == 0
    assert result.stdout.strip() == RULES_FILE.read_text().strip()


def test_devices_file_is_the_package_default_unless_the_hall_has_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_ETC", str(tmp_path))
    assert {d.family for d in load_known_devices()}  # the package's table
    (tmp_path / "devices.toml").write_text("[[device]]\nvid = 'zz'\n")
    with pytest.raises(KioskError) as err:
        load_known_devices()  # the hall's table wins, and its error names the file
    assert str(tmp_path / "devices.toml") in err.value.detail
