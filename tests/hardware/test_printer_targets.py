"""Target strings: each scheme builds the right printer; bad strings say what is wrong."""

import pytest

from common.errors import KioskError
from hardware.printer import SimPrinter, open_printer
from hardware.printer.transports import FilePrinter, NetworkPrinter, SerialPrinter, UsbPrinter


def test_good_targets_build_the_right_printer_without_opening_anything(tmp_path):
    p = open_printer(f"file:{tmp_path}/never-created.bin")
    assert isinstance(p, FilePrinter) and not p.is_open
    assert not (tmp_path / "never-created.bin").exists()

    p = open_printer("sim?fault=cover_open&width=384&qr=raster&cut=full")
    assert isinstance(p, SimPrinter) and p.device.fault == "cover_open"
    assert (p.profile.width_dots, p.profile.qr, p.profile.cut) == (384, "raster", "full")

    p = open_printer("usb:0416:5011?out_ep=0x03&in_ep=0x81&status=gsr&timeout=2")
    assert isinstance(p, UsbPrinter)
    assert (p.vid, p.pid, p.out_ep, p.in_ep, p.status_mode, p.timeout) == (
        0x0416,
        0x5011,
        0x03,
        0x81,
        "gsr",
        2.0,
    )

    p = open_printer("serial:/dev/ttyUSB0?baud=115200&flow=none")
    assert isinstance(p, SerialPrinter) and (p.port, p.baud, p.flow) == (
        "/dev/ttyUSB0",
        115200,
        "none",
    )

    p = open_printer("tcp:192.168.1.50:9100")
    assert isinstance(p, NetworkPrinter) and (p.host, p.port) == ("192.168.1.50", 9100)
    assert (open_printer("tcp:printer.local").port, open_printer("tcp:[::1]:9101").host) == (
        9100,
        "::1",
    )


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("lpt:1", "unknown scheme 'lpt'"),
        (":nothing", "scheme"),
        ("file:", "needs a path"),
        ("sim:x", "no ':' part"),
        ("sim?fault=on_fire", "fault='on_fire' is not one of"),
        ("sim?colour=red", "unknown option(s) colour"),
        ("sim?fault=paper_out&fault=offline", "given twice"),
        ("sim?fault", "key=value"),
        ("usb:0416", "usb:VID:PID"),
        ("usb:zz:5011", "vendor id 'zz' is not hexadecimal"),
        ("usb:0416:123456", "not a 16-bit id"),
        ("usb:0416:5011?out_ep=0x90", "out_ep=144 outside"),
        ("serial:", "needs a port"),
        ("serial:/dev/ttyUSB0?baud=fast", "baud='fast' is not an integer"),
        ("serial:/dev/ttyUSB0?flow=magic", "flow='magic'"),
        ("tcp:", "tcp:HOST:PORT"),
        ("tcp:host:99999", "port '99999'"),
        ("tcp:host:9100?timeout=0", "timeout=0.0 outside"),
        ("file:/tmp/x?width=10", "width=10 outside"),
        ("sim?qr=svg", "qr='svg'"),
    ],
)
def test_bad_target_strings_raise_e_hw_01_naming_the_problem(target, says):
    with pytest.raises(KioskError) as caught:
        open_printer(target)
    assert caught.value.code == "E-HW-01"
    assert caught.value.exit_code == 30
    assert says in caught.value.message
