"""The real pyusb transport (split pipes, single pipe, HID reports) against the simulator
served on the simulated USB bus (hardware.usb_sim)."""

import pytest

from common.errors import KioskError
from hardware.idcard import open_idcard_reader
from hardware.idcard import protocol as codec
from hardware.idcard.samples import SAMPLES
from hardware.idcard.simulator import IdCardSimulator, UsbSimulator
from hardware.usb_sim import SimUsbBackend, SimUsbDevice


@pytest.fixture
def usb_sim():
    servers = []

    def make(style: str, vid: int = 0x0400, pid: int = 0xC35A, **kwargs):
        server = UsbSimulator(IdCardSimulator(**kwargs), style=style, vid=vid, pid=pid)
        server.start()
        servers.append(server)
        return server, SimUsbBackend([server.device])

    yield make
    for server in servers:
        server.stop()


def test_split_style_sends_header_and_body_to_their_endpoints(usb_sim):
    server, backend = usb_sim("split", card=SAMPLES["hkmt"])
    with open_idcard_reader("usb:0400:c35a", usb_backend=backend) as reader:
        assert reader.transport.style == "split"  # picked from the endpoints (auto)
        card = reader.read_card(1)
    assert card.to_json() == SAMPLES["hkmt"].to_json()
    written = server.device.written
    headers = [data for ep, data in written if ep == 0x02]
    bodies = [data for ep, data in written if ep == 0x06]
    assert headers and all(len(h) == 7 and h.startswith(codec.PREAMBLE) for h in headers)
    assert bodies[0] == codec.cmd_sam_status()[7:]
    assert {ep for ep, _ in written} == {0x02, 0x06}


def test_single_pipe_style(usb_sim):
    server, backend = usb_sim("single", card=SAMPLES["foreign2017"])
    with open_idcard_reader("usb:0400:c35a?style=single", usb_backend=backend) as reader:
        card = reader.read_card(1)
    assert card.kind == "foreign_permanent_2017"
    assert {ep for ep, _ in server.device.written} == {0x02}
    assert server.device.written[0][1] == codec.cmd_sam_status()


def test_hid_style_uses_64_byte_reports(usb_sim):
    server, backend = usb_sim("hid", vid=0x2B8B, pid=0x2721, card=SAMPLES["foreign2023"])
    with open_idcard_reader("usb:2b8b:2721", usb_backend=backend) as reader:
        assert reader.transport.style == "hid"  # an HID-class interface
        card = reader.read_card(1)
    assert card.name_en == SAMPLES["foreign2023"].name_en
    assert all(len(data) == 64 for _ep, data in server.device.written)


@pytest.mark.parametrize(
    "fault,code",
    [("lifted", "E-IDC-04"), ("checksum", "E-IDC-03"), ("sam_unauthorised", "E-IDC-05")],
)
def test_faults_over_usb(usb_sim, fault, code):
    _server, backend = usb_sim("split", fault=fault)
    with (
        open_idcard_reader("usb:0400:c35a", usb_backend=backend) as reader,
        pytest.raises(KioskError) as err,
    ):
        reader.read_card(0.5)
    assert err.value.code == code


def test_unplugged_reader_is_unavailable(usb_sim):
    server, backend = usb_sim("split")
    with open_idcard_reader("usb:0400:c35a", usb_backend=backend) as reader:
        reader.read_card(1)
        server.device.unplug()
        with pytest.raises(KioskError) as err:
            reader.card_present()
    assert err.value.code == "E-IDC-10"
    assert "disconnected" in err.value.message


def test_missing_usb_device_is_unavailable():
    other = SimUsbDevice(0x0416, 0x5011)  # a printer, not the reader
    with pytest.raises(KioskError) as err:
        open_idcard_reader("usb:0400:c35a", usb_backend=SimUsbBackend([other])).open()
    assert err.value.code == "E-IDC-10"
    assert "0400:c35a" in err.value.message


@pytest.mark.parametrize("transport", ["usb-split", "usb-single", "hid"])
def test_sim_targets_over_usb(transport):
    with open_idcard_reader(f"sim:hkmt?transport={transport}") as reader:
        assert reader.read_card(1).kind == "hkmt_permit"
        assert reader.wait_removed(0.05) is False
        reader.simulator.remove_card()
        assert reader.wait_removed(1) is True


def _without(module: str, code: str) -> dict:
    """Run `code` in a fresh interpreter where `module` cannot be imported; its JSON out."""
    import json
    import subprocess
    import sys

    script = (
        f"import sys, json; sys.modules[{module!r}] = None\n"
        "from common.errors import KioskError\n"
        f"try:\n    {code}\n    print(json.dumps(None))\n"
        "except KioskError as e:\n    print(json.dumps([e.code, e.message]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30
    )
    return json.loads(out.stdout)


def test_missing_pyusb_says_what_to_install():
    code, message = _without(
        "usb",
        "from hardware.idcard import open_idcard_reader; "
        "open_idcard_reader('usb:0400:c35a').open()",
    )
    assert code == "E-HW-02"
    assert "pip install pyusb" in message and "libusb-1.0-0" in message


def test_missing_pyserial_says_what_to_install():
    code, message = _without(
        "serial",
        "from hardware.idcard import open_idcard_reader; "
        "open_idcard_reader('serial:/dev/ttyUSB0').open()",
    )
    assert code == "E-HW-02"
    assert "pip install pyserial" in message
