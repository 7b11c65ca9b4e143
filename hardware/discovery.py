"""Device discovery: USB devices (pyusb), serial ports (pyserial), PC/SC readers (pyscard)
and the simulators of every family, matched against devices.toml (the hall's /etc/hall-kiosk/, else the package default).

Every library is optional: a missing one becomes a warning, not a failure. Serial ports are
named by their stable /dev/serial/by-id path when one exists. Unidentified serial ports are
only sent a status command with `probe=True` (bytes sent to an unknown device could print on
a printer), and only the ID card protocol is probed.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import CONFIG_INVALID, CONFIG_UNREADABLE, KioskError
from common.paths import hall_file
from hardware.base import DeviceStatus, StatusReport
from hardware.families import FAMILIES as CONFIGURED
from hardware.families import OTHER_DISCOVERED

log = logging.getLogger(__name__)

BY_ID_DIR = Path("/dev/serial/by-id")
FAMILIES = (*CONFIGURED, *OTHER_DISCOVERED)  # what devices.toml entries may name
CONFIDENCE = ("verified", "public", "unsure")
NOT_CHECKED = StatusReport(DeviceStatus.UNKNOWN, "status not checked")


@dataclass(frozen=True)
class KnownDevice:
    vid: int
    pid: int | None  # None: any product of the vendor
    family: str
    driver: str
    interface: str  # "usb" or "serial"
    description: str
    style: str = ""
    confidence: str = "public"
    note: str = ""

    def matches(self, vid: int | None, pid: int | None) -> bool:
        return vid == self.vid and (self.pid is None or pid == self.pid)

    @property
    def ids(self) -> str:
        return f"{self.vid:04x}:{'*' if self.pid is None else f'{self.pid:04x}'}"


def load_known_devices(path: Path | None = None) -> list[KnownDevice]:
    """Parse devices.toml; E-CFG-01 names the entry and field that is wrong."""
    path = path or hall_file("devices.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from None
    devices = []
    for i, entry in enumerate(data.get("device", [])):
        where = f"{path}: device #{i + 1}"
        try:
            vid = _hex_id(entry["vid"])
            pid = None if entry["pid"] == "*" else _hex_id(entry["pid"])
            device = KnownDevice(
                vid,
                pid,
                entry["family"],
                entry["driver"],
                entry["interface"],
                entry["description"],
                entry.get("style", ""),
                entry.get("confidence", "public"),
                entry.get("note", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise KioskError(CONFIG_INVALID, f"{where}: {exc!r}") from None
        if (
            device.family not in FAMILIES
            or device.interface not in ("usb", "serial")
            or device.confidence not in CONFIDENCE
        ):
            raise KioskError(
                CONFIG_INVALID,
                f"{where}: family, interface or confidence not one of the allowed values",
            )
        devices.append(device)
    return devices


def _hex_id(text: Any) -> int:
    if not isinstance(text, str) or not re.fullmatch(r"[0-9A-Fa-f]{4}", text):
        raise ValueError(f"{text!r} is not a 4-digit hex id")
    return int(text, 16)


def match(
    known: Iterable[KnownDevice], vid: int | None, pid: int | None, interface: str
) -> KnownDevice | None:
    """The most specific entry (exact product before vendor-wide)."""
    hits = [k for k in known if k.interface == interface and k.matches(vid, pid)]
    hits.sort(key=lambda k: k.pid is None)
    return hits[0] if hits else None


@dataclass
class FoundDevice:
    family: str
    driver: str
    target: str
    description: str
    simulated: bool = False
    status: StatusReport = NOT_CHECKED

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "driver": self.driver,
            "target": self.target,
            "description": self.description,
            "simulated": self.simulated,
            **self.status.to_json(),
        }


@dataclass
class DiscoveryResult:
    devices: list[FoundDevice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"devices": [d.to_json() for d in self.devices], "warnings": self.warnings}


def discover(
    *,
    probe: bool = False,
    with_status: bool = True,
    usb_backend: Any = None,
    known: list[KnownDevice] | None = None,
    serial_ports: list[Any] | None = None,
    by_id_dir: Path = BY_ID_DIR,
    include_pcsc: bool = True,
    include_sims: bool = True,
) -> DiscoveryResult:
    """Everything attached plus every family's simulator. `usb_backend` and `serial_ports`
    (pyserial ListPortInfo objects) replace the system's for tests and simulators."""
    known = known if known is not None else load_known_devices()
    result = DiscoveryResult()
    _usb_devices(result, known, usb_backend, with_status)
    _serial_devices(result, known, serial_ports, by_id_dir, probe, with_status)
    if include_pcsc:
        _pcsc_readers(result)
    if include_sims:
        _simulators(result, with_status)
    return result


# --- USB --------------------------------------------------------------------------------------
def _usb_devices(
    result: DiscoveryResult, known: list[KnownDevice], backend: Any, with_status: bool
) -> None:
    try:
        import usb.core
    except ImportError:
        result.warnings.append("pyusb not installed: USB devices not listed (pip install pyusb)")
        return
    try:
        found = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.NoBackendError:
        result.warnings.append(
            "libusb-1.0 missing: USB devices not listed (apt install libusb-1.0-0)"
        )
        return
    except usb.core.USBError as exc:
        result.warnings.append(f"USB enumeration failed: {exc}")
        return
    for dev in found:
        entry = match(known, dev.idVendor, dev.idProduct, "usb")
        if entry is None:
            continue
        target = f"usb:{dev.idVendor:04x}:{dev.idProduct:04x}"
        device = FoundDevice(entry.family, entry.driver, target, _describe(entry), simulated=False)
        if with_status:
            device.status = _status(entry.family, target, usb_backend=backend)
        result.devices.append(device)


def _describe(entry: KnownDevice) -> str:
    return entry.description + ("" if entry.confidence != "unsure" else " (unverified match)")


# --- serial -----------------------------------------------------------------------------------
def by_id_names(directory: Path = BY_ID_DIR) -> dict[str, str]:
    """real device path → stable /dev/serial/by-id link."""
    names: dict[str, str] = {}
    try:
        for link in sorted(directory.iterdir()):
            names[os.path.realpath(link)] = str(link)
    except OSError:
        pass  # no by-id directory: no USB serial device has ever been plugged in
    return names


def _serial_devices(
    result: DiscoveryResult,
    known: list[KnownDevice],
    ports: list[Any] | None,
    by_id_dir: Path,
    probe: bool,
    with_status: bool,
) -> None:
    if ports is None:
        try:
            from serial.tools import list_ports
        except ImportError:
            result.warnings.append(
                "pyserial not installed: serial ports not listed (pip install pyserial)"
            )
            return
        ports = list(list_ports.comports())
    stable = by_id_names(by_id_dir)
    for port in ports:
        path = stable.get(os.path.realpath(port.device), port.device)
        entry = match(known, port.vid, port.pid, "serial")
        ids = f"{port.vid:04x}:{port.pid:04x} " if port.vid is not None else ""
        if entry is not None and entry.family == "scanner":
            result.devices.append(
                FoundDevice(
                    "scanner",
                    entry.driver,
                    f"serial:{path}",
                    _describe(entry),
                    status=_status("scanner", f"serial:{path}") if with_status else NOT_CHECKED,
                )
            )
            continue
        if entry is not None:
            description = _describe(entry)
        elif port.description and port.description != "n/a":
            description = f"serial port {ids}{port.description}"
        else:
            description = "serial port (no USB ids: a built-in UART)"
        device = FoundDevice(
            entry.family if entry else "serial", "serial", f"serial:{path}", description
        )
        if probe:  # only the technician's explicit --probe sends bytes to unknown devices
            report = _status("idcard", f"serial:{path}?probe=1&reply_timeout=0.2")
            if report.status == DeviceStatus.OK or report.code in _IDC_ANSWERED:
                device.family, device.driver = "idcard", "idcard-serial"
                device.description = f"GA 467 ID card reader ({description})"
            device.status = report
        result.devices.append(device)


# a GA 467 reader answered, though not with "ready" (SAM not authorised, SAM fault)
_IDC_ANSWERED = {"E-IDC-05", "E-IDC-07"}


# --- PC/SC ------------------------------------------------------------------------------------
_VIRTUAL_READER = re.compile(r"virtual|vpcd", re.IGNORECASE)


def _pcsc_readers(result: DiscoveryResult) -> None:
    from hardware.smartcard.pcsc import list_readers

    try:
        readers = list_readers()
    except KioskError as exc:
        result.warnings.append(f"PC/SC readers not listed: {exc.message}")
        return
    for name in readers:
        simulated = bool(_VIRTUAL_READER.search(name))
        result.devices.append(
            FoundDevice(
                "smartcard",
                "pcsc",
                name,
                "vsmartcard virtual reader (vpcd)" if simulated else "PC/SC smartcard reader",
                simulated=simulated,
                status=StatusReport(DeviceStatus.OK, "listed by pcscd"),
            )
        )


# --- simulators and status --------------------------------------------------------------------
def _opener(family: str) -> Callable[..., Any] | None:
    try:
        return CONFIGURED[family].load_opener()
    except (ImportError, AttributeError):
        return None


def _status(family: str, target: str, **kwargs: Any) -> StatusReport:
    """Open the device, ask its status, close it; never raises."""
    if family not in CONFIGURED:
        return StatusReport(DeviceStatus.UNKNOWN, f"no {family} driver installed")
    return CONFIGURED[family].status(target, **kwargs)


def _simulators(result: DiscoveryResult, with_status: bool) -> None:
    for family, entry in CONFIGURED.items():
        description = entry.sim
        if _opener(family) is None:
            result.devices.append(
                FoundDevice(
                    family,
                    "sim",
                    "sim",
                    description,
                    simulated=True,
                    status=StatusReport(DeviceStatus.UNKNOWN, f"{family} package not importable"),
                )
            )
            continue
        status = _status(family, "sim") if with_status else NOT_CHECKED
        result.devices.append(
            FoundDevice(family, "sim", "sim", description, simulated=True, status=status)
        )


# --- udev -------------------------------------------------------------------------------------
def udev_rules(known: Iterable[KnownDevice], *, group: str = "kiosk") -> str:
    """udev rules giving `group` access to every known device (USB nodes, hidraw, tty)."""
    lines = [
        "# Generated from devices.toml by `kiosk hardware udev-rules`; do not edit.",
        f"# Gives the '{group}' group access to the kiosk's ID card readers, printers and",
        "# scanners. Install: see docs/hardware-idcard.md.",
        "",
    ]
    for k in known:
        product = "" if k.pid is None else f', ATTRS{{idProduct}}=="{k.pid:04x}"'
        match_ids = f'ATTRS{{idVendor}}=="{k.vid:04x}"{product}'
        lines.append(f"# {k.family} {k.ids} {k.description} [{k.confidence}]")
        if k.interface == "usb":
            lines.append(
                f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", {match_ids}, '
                f'MODE="0660", GROUP="{group}"'
            )
            if k.style == "hid":
                lines.append(f'SUBSYSTEM=="hidraw", {match_ids}, MODE="0660", GROUP="{group}"')
        else:
            lines.append(f'SUBSYSTEM=="tty", {match_ids}, MODE="0660", GROUP="{group}"')
    return "\n".join(lines) + "\n"
