"""Status of this kiosk's configured devices (printer, ID card reader, scanner, voice), as
the doctor, the heartbeat and the technician screen show it.

Each device is opened, asked, and closed. In a running kiosk call this on the device thread
(`KioskCore.device_statuses`), which owns device I/O; the CLI doctor calls it directly.
"""

from __future__ import annotations

import logging
from typing import Any

from common.errors import KioskError
from common.settings import Settings
from hardware.base import DeviceStatus, StatusReport
from hardware.families import FAMILIES as REGISTRY

log = logging.getLogger(__name__)

FAMILIES = tuple(REGISTRY)  # hardware/families.py, the one list
DISABLED_TARGETS = {"", "none", "off", "disabled"}


def configured_targets(settings: Settings) -> dict[str, str]:
    return {name: family.target(settings) for name, family in REGISTRY.items()}


def device_status(family: str, target: str) -> StatusReport:
    """Never raises: a driver that fails to open is a FAULT with its registry code."""
    if target.strip().lower() in DISABLED_TARGETS:
        return StatusReport(DeviceStatus.DISABLED, "disabled in the configuration")
    try:
        opener = REGISTRY[family].load_opener()
    except (ImportError, AttributeError) as exc:
        return StatusReport(DeviceStatus.FAULT, f"{family} driver not importable: {exc}", "E-HW-02")
    try:
        with opener(target) as device:
            return device.status()
    except KioskError as exc:
        return StatusReport(DeviceStatus.FAULT, exc.message, exc.code)
    except Exception as exc:  # a driver bug must not hide the other devices
        log.exception("status of %s %s failed", family, target)
        return StatusReport(DeviceStatus.FAULT, f"{type(exc).__name__}: {exc}", "E-GEN-01")


def check_devices(settings: Settings) -> list[dict[str, Any]]:
    """One entry per family: family, target, status (-1..4), status_name, message, code."""
    return [
        {"family": family, "target": target, **device_status(family, target).to_json()}
        for family, target in configured_targets(settings).items()
    ]
