"""`open_printer(target)`: the printer a target string names (not opened yet).

    file:/path                         raw bytes appended to a file
    sim[?fault=F][&file=/path]         the simulator; F: paper_low paper_out cover_open
                                       offline cutter_error
    usb:VID:PID[?in_ep=..&out_ep=..]   python-escpos Usb (hex ids, e.g. usb:0416:5011)
    serial:/dev/ttyUSB0[?baud=9600&flow=dsrdtr|rtscts|xonxoff|none]
    tcp:HOST[:PORT]                    python-escpos Network (port 9100 by default)

Every target also takes the paper options `width` (dots: 576 = 80 mm, 384 = 58 mm),
`qr=native|raster`, `qr_module=1..16`, `cut=partial|full|none`; device targets take
`status=dle|gsr|none` and `timeout` (seconds).
"""

from __future__ import annotations

from typing import Any

from hardware.printer.document import PrintProfile
from hardware.printer.driver import Printer
from hardware.printer.simulator import FAULTS, SimPrinter
from hardware.printer.transports import FilePrinter, NetworkPrinter, SerialPrinter, UsbPrinter
from hardware.target_string import TargetString, parse_target

PROFILE_OPTIONS = {"width", "qr", "qr_module", "cut"}
DEVICE_OPTIONS = PROFILE_OPTIONS | {"status", "timeout"}


def _profile(t: TargetString) -> PrintProfile:
    return PrintProfile(
        width_dots=t.integer("width", 576, 128, 2048),
        qr=t.choice("qr", ("native", "raster"), "native") or "native",
        qr_module=t.integer("qr_module", 6, 1, 16),
        cut=t.choice("cut", ("partial", "full", "none"), "partial") or "partial",
    )


def _device_kwargs(t: TargetString) -> dict[str, Any]:
    return {
        "status_mode": t.choice("status", ("dle", "gsr", "none"), "dle"),
        "timeout": t.number("timeout", 5.0, 0.1, 120.0),
    }


def _hex_id(t: TargetString, text: str, what: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise t.fail(f"{what} {text!r} is not hexadecimal (expected usb:VID:PID)") from None
    if not 0 <= value <= 0xFFFF:
        raise t.fail(f"{what} {text!r} is not a 16-bit id")
    return value


def open_printer(target: str, *, usb_backend: Any = None) -> Printer:
    """The printer for `target`, not yet opened. Bad strings raise KioskError(E-HW-01).
    `usb_backend` is a pyusb backend (the simulated bus in tests, None for libusb)."""
    t = parse_target(target, family="printer")
    if t.scheme == "sim":
        if t.rest:
            raise t.fail("sim takes no ':' part; options go after '?'")
        t.allow(PROFILE_OPTIONS | {"fault", "file"})
        fault = t.choice("fault", FAULTS, None)
        if "file" in t.options and not t.options["file"]:
            raise t.fail("file= needs a path")
        return SimPrinter(t.raw, _profile(t), fault=fault, file=t.options.get("file"))
    if t.scheme == "file":
        t.allow(PROFILE_OPTIONS)
        if not t.rest:
            raise t.fail("file needs a path, e.g. file:/tmp/out.bin")
        return FilePrinter(t.raw, t.rest, _profile(t))
    if t.scheme == "usb":
        t.allow(DEVICE_OPTIONS | {"in_ep", "out_ep"})
        vid, sep, pid = t.rest.partition(":")
        if not sep or not vid or not pid:
            raise t.fail("expected usb:VID:PID, e.g. usb:0416:5011")
        in_ep = t.integer("in_ep", 0, 0x81, 0x8F) if "in_ep" in t.options else None
        out_ep = t.integer("out_ep", 0, 0x01, 0x0F) if "out_ep" in t.options else None
        return UsbPrinter(
            t.raw,
            _hex_id(t, vid, "vendor id"),
            _hex_id(t, pid, "product id"),
            _profile(t),
            in_ep=in_ep,
            out_ep=out_ep,
            backend=usb_backend,
            **_device_kwargs(t),
        )
    if t.scheme == "serial":
        t.allow(DEVICE_OPTIONS | {"baud", "flow"})
        if not t.rest:
            raise t.fail("serial needs a port, e.g. serial:/dev/ttyUSB0")
        return SerialPrinter(
            t.raw,
            t.rest,
            _profile(t),
            baud=t.integer("baud", 9600, 300, 921600),
            flow=t.choice("flow", ("dsrdtr", "rtscts", "xonxoff", "none"), "dsrdtr") or "dsrdtr",
            **_device_kwargs(t),
        )
    if t.scheme == "tcp":
        t.allow(DEVICE_OPTIONS)
        host, port = _host_port(t)
        return NetworkPrinter(t.raw, host, port, _profile(t), **_device_kwargs(t))
    raise t.fail(f"unknown scheme {t.scheme!r} (known: file, sim, usb, serial, tcp)")


def _host_port(t: TargetString) -> tuple[str, int]:
    rest = t.rest
    if rest.startswith("["):  # [IPv6]:port
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
    else:
        host, port_text = rest, ""
    if not host:
        raise t.fail("expected tcp:HOST:PORT, e.g. tcp:192.168.1.50:9100")
    if not port_text:
        return host, 9100
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise t.fail(f"port {port_text!r} is not 1..65535")
    return host, int(port_text)
