"""The one registry of device families a kiosk is configured with.

Discovery (its simulators), the device checks of the doctor, the heartbeat and the technician
screen, the doctor's labels and the device I/O wiring all read this table; adding a family is
its folder under hardware/ plus one entry here (docs/architecture.md, "A device family").

Every family folder has the same parts (`LAYOUT`), each entry naming its modules: the
protocol (pure functions over bytes), the transports, the driver (explicit open/close and
`status() -> StatusReport`), a simulator (a product for technicians, not a test prop), and
`targets.py`, whose opener turns a target string (`hardware/target_string.py`) into a driver.
tests/hardware/test_families.py holds every entry to it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.errors import KioskError
from hardware.base import DeviceStatus, StatusReport

log = logging.getLogger(__name__)

LAYOUT = ("protocol", "transports", "driver", "simulator", "targets")


@dataclass(frozen=True)
class Family:
    name: str  # the settings key, the heartbeat's `family`, `kiosk simulate <name>`
    label: str  # how the doctor and the technician screen name it
    opener: str  # "package.module:function" taking a target string, returning a driver
    sim: str  # what discovery lists for its simulator
    setting: tuple[str, str]  # (section, key) of its target in the settings spec
    parts: dict[str, tuple[str, ...]]  # LAYOUT role → modules of hardware/<name>/
    events: bool = False  # polled by the device I/O thread (card placed, code scanned)

    def load_opener(self) -> Callable[..., Any]:
        """The opener; ImportError / AttributeError when its driver is not installed."""
        module, func = self.opener.split(":")
        return getattr(importlib.import_module(module), func)

    def status(self, target: str, **kwargs: Any) -> StatusReport:
        """Open the device, ask its status, close it; never raises: a missing driver is a
        FAULT E-HW-02, a driver bug E-GEN-01 (it must not hide the other devices)."""
        try:
            opener = self.load_opener()
        except (ImportError, AttributeError) as exc:
            return StatusReport(DeviceStatus.FAULT, f"{self.name} driver not importable: {exc}",
                                "E-HW-02")
        try:
            with opener(target, **kwargs) as device:
                return device.status()
        except KioskError as exc:
            return StatusReport(DeviceStatus.FAULT, exc.message, exc.code)
        except Exception as exc:
            log.exception("status of %s %s failed", self.name, target)
            return StatusReport(DeviceStatus.FAULT, f"{type(exc).__name__}: {exc}", "E-GEN-01")

    def target(self, settings: Any) -> str:
        section, key = self.setting
        return str(getattr(getattr(settings, section), key))


# In the order the doctor, the heartbeat and the technician screen show them.
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("printer", "printer", "hardware.printer.targets:open_printer",
               "simulated receipt printer", ("printer", "target"),
               {"protocol": ("protocol", "status", "readback"), "transports": ("transports",),
                "driver": ("driver",), "simulator": ("simulator",), "targets": ("targets",)}),
        Family("idcard", "ID card reader", "hardware.idcard.targets:open_idcard_reader",
               "simulated ID card reader", ("devices", "idcard"),
               {"protocol": ("protocol", "textblock"), "transports": ("transports", "usb_transport"),
                "driver": ("driver",), "simulator": ("simulator",), "targets": ("targets",)},
               events=True),
        Family("scanner", "QR scanner", "hardware.scanner.targets:open_scanner",
               "simulated QR / barcode scanner", ("devices", "scanner"),
               {"protocol": ("protocol", "decode"), "transports": ("transports", "wedge"),
                "driver": ("driver",), "simulator": ("simulator",), "targets": ("targets",)},
               events=True),
        # speech has no byte protocol: the engine (espeak-ng) is its transport
        Family("voice", "voice", "hardware.voice.targets:open_voice",
               "simulated voice prompts", ("devices", "voice"),
               {"protocol": (), "transports": ("espeak",), "driver": ("driver",),
                "simulator": ("driver",), "targets": ("targets",)}),
    )
}
# What discovery may report besides them: PC/SC readers (read through pyscard by the idcard
# family's smartcard path) and USB-serial bridges whose device is not known yet.
OTHER_DISCOVERED = ("smartcard", "serial-bridge")
