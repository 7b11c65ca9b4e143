"""`open_scanner(target)`: the scanner a target string names (not opened yet).

    serial:/dev/serial/by-id/usb-…[?baud=9600&suffix=cr|lf|crlf|tab|none&gap=0.2]
    evdev:/dev/input/by-id/usb-…-event-kbd[?suffix=enter|tab&gap=0.2]   (needs pip install evdev)
    sim[?fault=partial|double|gb18030][&code=TEXT][&suffix=…][&gap=…]

`gap` is the inter-character timeout in seconds: bytes followed by a longer pause without
the suffix are a cut-off code (E-SCN-03), or a complete one with suffix=none.
"""

from __future__ import annotations

from hardware.scanner.driver import Scanner
from hardware.scanner.protocol import SUFFIXES
from hardware.scanner.simulator import FAULTS, SimScanner
from hardware.scanner.transports import SerialScanner
from hardware.scanner.wedge import KEY_ENTER, KEY_KPENTER, KEY_TAB, EvdevScanner
from hardware.target_string import parse_target


def open_scanner(target: str) -> Scanner:
    """The scanner for `target`, not yet opened. Bad strings raise KioskError(E-HW-01)."""
    t = parse_target(target, family="scanner")
    gap = t.number("gap", 0.2, 0.01, 10.0)
    if t.scheme == "sim":
        if t.rest:
            raise t.fail("sim takes no ':' part; options go after '?'")
        t.allow({"fault", "code", "suffix", "gap"})
        suffix = SUFFIXES[t.choice("suffix", SUFFIXES, "cr") or "cr"]
        return SimScanner(
            t.raw,
            fault=t.choice("fault", FAULTS, None),
            code=t.options.get("code"),
            suffix=suffix,
            gap=gap,
        )
    if t.scheme == "serial":
        t.allow({"baud", "suffix", "gap"})
        if not t.rest:
            raise t.fail("serial needs a port, e.g. serial:/dev/ttyACM0")
        suffix = SUFFIXES[t.choice("suffix", SUFFIXES, "cr") or "cr"]
        return SerialScanner(
            t.raw, t.rest, baud=t.integer("baud", 9600, 300, 921600), suffix=suffix, gap=gap
        )
    if t.scheme == "evdev":
        t.allow({"suffix", "gap"})
        if not t.rest:
            raise t.fail("evdev needs an event device, e.g. evdev:/dev/input/by-id/…-event-kbd")
        keys = {"enter": (KEY_ENTER, KEY_KPENTER), "tab": (KEY_TAB,)}
        terminators = keys[t.choice("suffix", keys, "enter") or "enter"]
        return EvdevScanner(t.raw, t.rest, terminators=terminators, gap=gap)
    raise t.fail(f"unknown scheme {t.scheme!r} (known: serial, evdev, sim)")
