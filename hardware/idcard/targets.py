"""`open_idcard_reader(target)`: the target strings that pick the reader's transport.

    serial:/dev/ttyUSB0?baud=115200      serial (any pyserial URL after "serial:")
    usb:0400:c35a[?style=split|single|hid|auto]
    sim[:resident|resident_elderly|hkmt|foreign2017|foreign2023][?fault=…&transport=…]

Options: serial `baud`, `probe=0|1` (try the fallback speeds, default 1); usb `style`,
`ep_out`, `ep_body`, `ep_in`; sim `fault` (lifted, checksum, sam_unauthorised, unknown_type,
slow, nocard, no_appended_cmd), `transport` (pty, usb-split, usb-single, hid), `delay` (slow fault seconds),
`pace=1` (wire-speed replies), `auto_remove` / `auto_place` (seconds; a simulated citizen);
all: `reply_timeout` (seconds added to each command's wire time).
"""

from __future__ import annotations

from typing import Any

from hardware.idcard import protocol as codec
from hardware.idcard.driver import DEFAULT_BAUDS, IdCardReader
from hardware.idcard.transports import SerialTransport, Transport
from hardware.target_string import TargetString, parse_target


def open_idcard_reader(spec: str, *, usb_backend: Any = None) -> IdCardReader:
    """Build (not open) a reader for a target string; E-HW-01 names what is wrong.
    `usb_backend` is a pyusb backend for usb: targets (tests and simulators use
    hardware.usb_sim)."""
    target = parse_target(spec, family="idcard")
    if target.scheme == "serial":
        return _serial_reader(target)
    if target.scheme == "usb":
        return _usb_reader(target, usb_backend)
    if target.scheme == "sim":
        return _sim_reader(target)
    raise target.fail("scheme must be serial, usb or sim")


def _common(target: TargetString) -> dict[str, Any]:
    timeout = target.options.get("reply_timeout")
    return {
        "reply_timeout": None
        if timeout is None
        else target.number("reply_timeout", 0.5, 0.05, 60.0)
    }


def _serial_reader(target: TargetString) -> IdCardReader:
    target.allow({"baud", "probe", "reply_timeout"})
    if not target.rest:
        raise target.fail("give a port, e.g. serial:/dev/ttyUSB0")
    baud = target.integer("baud", 115200, 1200, 921600)
    if "baud" in target.options and baud not in codec.BAUD_INDEX:
        raise target.fail(f"baud must be one of {sorted(codec.BAUD_INDEX)}")
    probe = target.choice("probe", ("0", "1"), "1") == "1"
    bauds = (baud, *(b for b in DEFAULT_BAUDS if b != baud)) if probe else (baud,)
    return IdCardReader(
        SerialTransport(target.rest, baud), target=target.raw, bauds=bauds, **_common(target)
    )


def _usb_ids(target: TargetString) -> tuple[int, int]:
    parts = target.rest.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        vid, pid = (int(p, 16) for p in parts)
        if not (0 <= vid <= 0xFFFF and 0 <= pid <= 0xFFFF):
            raise ValueError
    except ValueError:
        raise target.fail("give vendor:product in hex, e.g. usb:0400:c35a") from None
    return vid, pid


def _usb_reader(target: TargetString, backend: Any) -> IdCardReader:
    from hardware.idcard.usb_transport import STYLES, UsbTransport

    target.allow({"style", "ep_out", "ep_body", "ep_in", "reply_timeout"})
    vid, pid = _usb_ids(target)
    style = target.choice("style", STYLES, "auto") or "auto"
    ep_in: tuple[int, ...] = ()
    if "ep_in" in target.options:
        try:
            ep_in = tuple(int(p, 0) for p in target.options["ep_in"].split(","))
        except ValueError:
            raise target.fail("ep_in must be endpoint numbers, e.g. 0x81,0x85") from None
    transport = UsbTransport(
        vid,
        pid,
        style=style,
        ep_out=_endpoint(target, "ep_out"),
        ep_body=_endpoint(target, "ep_body"),
        ep_in=ep_in,
        backend=backend,
    )
    return IdCardReader(transport, target=target.raw, **_common(target))


def _endpoint(target: TargetString, name: str) -> int | None:
    return target.integer(name, 0, 0x01, 0x0F) if name in target.options else None


SIM_TRANSPORTS = ("pty", "usb-split", "usb-single", "hid")


def _sim_reader(target: TargetString) -> IdCardReader:
    from hardware.idcard.simulator import FAULTS, IdCardSimulator, card_for

    target.allow(
        {"fault", "transport", "delay", "pace", "auto_remove", "auto_place", "reply_timeout"}
    )
    try:
        card = card_for(target.rest or None)
    except ValueError as exc:
        raise target.fail(str(exc)) from None
    fault = target.choice("fault", FAULTS, None)
    sim = IdCardSimulator(
        card,
        fault=fault,
        slow_delay=target.number("delay", 3.0, 0.0, 60.0),
        auto_remove=target.number("auto_remove", -1, 0.0, 3600.0)
        if "auto_remove" in target.options
        else None,
        auto_place=target.number("auto_place", -1, 0.0, 3600.0)
        if "auto_place" in target.options
        else None,
    )
    transport_name = target.choice("transport", SIM_TRANSPORTS, "pty")
    pace = target.choice("pace", ("0", "1"), "0") == "1"
    if transport_name == "pty":
        transport: Transport = _SimPtyTransport(sim, pace=pace)
        bauds: tuple[int, ...] = (115200,)
    else:
        transport = _SimUsbTransport(sim, style=transport_name.removeprefix("usb-"))
        bauds = ()
    return IdCardReader(transport, target=target.raw, bauds=bauds, simulator=sim, **_common(target))


class _SimPtyTransport(SerialTransport):
    """The real serial transport on the pty of an in-process simulator it starts and stops."""

    def __init__(self, sim: Any, *, pace: bool) -> None:
        super().__init__("(simulator pty)", 115200)
        from hardware.idcard.simulator import PtySimulator

        self._server = PtySimulator(sim, pace=pace)

    def open(self) -> None:
        self.port = self._server.start()
        self.description = f"simulator on {self.port}"
        try:
            super().open()
        except BaseException:
            self._server.stop()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._server.stop()


class _SimUsbTransport:
    """The real USB transport over hardware.usb_sim serving an in-process simulator."""

    has_baud = False

    def __init__(self, sim: Any, *, style: str) -> None:
        from hardware.idcard.usb_transport import UsbTransport, import_usb

        import_usb()  # E-HW-02 naming what to install, before usb_sim needs pyusb
        from hardware.idcard.simulator import UsbSimulator
        from hardware.usb_sim import SimUsbBackend

        vid, pid = (0x2B8B, 0x2721) if style == "hid" else (0x0400, 0xC35A)
        self._server = UsbSimulator(sim, style=style, vid=vid, pid=pid)
        self._usb = UsbTransport(
            vid, pid, style="auto", backend=SimUsbBackend([self._server.device])
        )
        self.description = f"simulator on {self._usb.description}"

    def open(self) -> None:
        self._server.start()
        try:
            self._usb.open()
        except BaseException:
            self._server.stop()
            raise
        self.description = f"simulator on {self._usb.description}"

    def close(self) -> None:
        try:
            self._usb.close()
        finally:
            self._server.stop()

    def write(self, data: bytes) -> None:
        self._usb.write(data)

    def read_some(self, timeout: float) -> bytes:
        return self._usb.read_some(timeout)

    def flush_input(self) -> None:
        self._usb.flush_input()

    def set_baud(self, baud: int) -> None:
        self._usb.set_baud(baud)
