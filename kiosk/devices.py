"""The running kiosk's devices: the one device I/O thread (hardware/io_thread.py) polling the
configured ID card reader and scanner, its events turned into the core's events, and the
executor interface the core's device jobs (print, speak, device tests) use, over that thread.

Events reach the core's listeners on the I/O thread; the UI's bridge hands them to its own
thread (Kivy: `Clock.schedule_once`). Payloads are plain data: a card is `IdCard.to_json()`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from common.errors import KioskError
from common.settings import Settings
from hardware.base import DeviceEvent
from hardware.families import FAMILIES
from hardware.io_thread import DeviceIoThread

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]


class IoExecutor:
    """`submit(fn, *args) -> Future` and `shutdown()` like an executor, over the I/O thread."""

    def __init__(self, io: DeviceIoThread) -> None:
        self.io = io

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        return self.io.submit(functools.partial(fn, *args))

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.io.stop()


def core_event(event: DeviceEvent) -> tuple[str, dict[str, Any]]:
    """A device event as the core emits it: (name, plain-data payload)."""
    payload = dict(event.payload)
    if event.kind == "status_changed":
        return "device_status", {"family": event.family, **payload}
    card = payload.get("card")
    if card is not None and hasattr(card, "to_json"):
        payload["card"] = card.to_json()
    return event.kind, payload


def start_device_io(settings: Settings, emit: Emit, previous: Any) -> tuple[DeviceIoThread, Any]:
    """Open (lazily, on the thread) the configured reader and scanner and start the thread;
    returns it and the executor that replaces `previous` (shut down once idle). A device
    whose target is invalid is left out, with its error logged: the kiosk still runs."""
    idcard = _device("idcard", FAMILIES["idcard"].target(settings))
    scanner = _device("scanner", FAMILIES["scanner"].target(settings))

    def listener(event: DeviceEvent) -> None:
        name, payload = core_event(event)
        emit(name, payload)

    io = DeviceIoThread(listener, idcard=idcard, scanner=scanner)
    io.start()
    previous.shutdown(wait=True)
    log.info("device I/O thread started (ID card %s, scanner %s)",
             settings.devices.idcard or "-", settings.devices.scanner or "-")
    return io, IoExecutor(io)


def _device(family: str, target: str) -> Any:
    if not target:
        return None
    try:
        return FAMILIES[family].load_opener()(target)
    except KioskError as exc:
        log.error("%s %r not used: %s %s", family, target, exc.code, exc.message)
        return None
