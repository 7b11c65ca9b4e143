"""Status of this kiosk's configured devices (printer, ID card reader, scanner, voice), as
the doctor, the heartbeat and the technician screen show it.

Each device is opened, asked, and closed. In a running kiosk call this on the device thread
(`KioskCore.device_statuses`), which owns device I/O; the CLI doctor calls it directly.
"""

from __future__ import annotations

from typing import Any

from common.settings import Settings
from hardware.base import DeviceStatus, StatusReport
from hardware.families import FAMILIES as REGISTRY

FAMILIES = tuple(REGISTRY)  # hardware/families.py, the one list
DISABLED_TARGETS = {"", "none", "off", "disabled"}


def configured_targets(settings: Settings) -> dict[str, str]:
    return {name: family.target(settings) for name, family in REGISTRY.items()}


def device_status(family: str, target: str) -> StatusReport:
    """Never raises: a driver that fails to open is a FAULT with its registry code."""
    if target.strip().lower() in DISABLED_TARGETS:
        return StatusReport(DeviceStatus.DISABLED, "disabled in the configuration")
    return REGISTRY[family].status(target)


def check_devices(settings: Settings) -> list[dict[str, Any]]:
    """One entry per family: family, target, status (-1..4), status_name, message, code."""
    return [
        {"family": family, "target": target, **device_status(family, target).to_json()}
        for family, target in configured_targets(settings).items()
    ]
