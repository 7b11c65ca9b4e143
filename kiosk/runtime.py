"""A kiosk running around the clock: what wraps the core between power-on and power-off.

`KioskRuntime.start()` applies a dropped-in `provision.json`, opens the log file, opens the
core, applies a pending remote configuration (no citizen yet: a safe moment), starts the
background syncer (heartbeats and config checks ride on it) and, for the touch UI
(`devices=True`), the device I/O thread whose card and scan events the screens act on.
The UI's main loop then calls `ready()` once the home screen is drawn and `tick()` about
once a second: the tick pings the systemd watchdog (so a hung main loop gets the process
restarted) and starts the nightly maintenance when due. `run_headless()` is the same loop without a screen (`kiosk headless`).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from common.errors import KioskError
from kiosk.ops import logfile, maintenance
from kiosk.ops.watchdog import Watchdog

log = logging.getLogger(__name__)

MAINTENANCE_CHECK_S = 60.0


class KioskRuntime:
    def __init__(
        self, core: Any, watchdog: Watchdog, *, provisioned: dict[str, Any] | None = None
    ) -> None:
        self.core = core
        self.watchdog = watchdog
        self.provisioned = provisioned
        self._last_maintenance_check = float("-inf")
        self._maintenance: Future | None = None

    @classmethod
    def start(
        cls,
        settings: Any = None,
        home: Path | None = None,
        *,
        background: bool = True,
        devices: bool = False,
        file_log: bool = True,
        environ: dict[str, str] | None = None,
    ) -> KioskRuntime:
        from common.config_layer import site_environ
        from common.paths import kiosk_home
        from common.settings import load_settings
        from kiosk.core import KioskCore
        from kiosk.ops.provisioning import apply_provision_file

        home = home or kiosk_home()
        explicit = settings is not None
        settings = settings or load_settings(environ=site_environ(home))
        if file_log:  # first, so the enrolment of a dropped-in provision.json is logged too
            logging.getLogger().setLevel(settings.log.level.upper())  # this process is the kiosk
            logfile.attach(home, settings.log.level)
        watchdog = Watchdog(home, environ=environ)
        watchdog.status("starting")
        provisioned = None
        try:
            provisioned = apply_provision_file(settings, home)
        except KioskError as exc:  # the kiosk still starts: it shows "not enrolled" if so
            log.error("provision.json: %s %s", exc.code, exc.message)
        if provisioned and not explicit:
            settings = load_settings(environ=site_environ(home))
        core = KioskCore(settings, home)
        core.void_not_handed_over()  # saved by the last run but never handed to a citizen
        try:
            core.apply_pending_config(actor="start")
        except KioskError as exc:
            log.warning("pending remote configuration not applied: %s", exc.code)
        if background:
            core.start_background()
        if devices:  # the touch UI: the device I/O thread polls the reader and the scanner
            core.start_devices()
        return cls(core, watchdog, provisioned=provisioned)

    def ready(self, status: str = "home screen ready") -> None:
        """Tell the supervisor we are up (READY=1); call once the home screen is drawn."""
        self.watchdog.ready(status)
        log.info("kiosk ready: %s", status)

    def tick(self) -> None:
        """From the main loop, about once a second: watchdog ping, nightly maintenance."""
        self.watchdog.tick()
        now = time.monotonic()
        if now - self._last_maintenance_check < MAINTENANCE_CHECK_S:
            return
        self._last_maintenance_check = now
        busy = self._maintenance is not None and not self._maintenance.done()
        if not busy and maintenance.is_due(self.core):
            log.info("nightly maintenance starting")
            self._maintenance = self.core.run_async(maintenance.run, self.core)

    def stop(self) -> None:
        self.watchdog.stopping()
        self.core.close()


def run_headless(runtime: KioskRuntime, stop: threading.Event, *, tick_s: float = 1.0) -> None:
    """The main loop without a screen: "home ready" once the local data the home screen
    shows is readable, then ticks until `stop` is set."""
    runtime.core.list_services()
    runtime.core.catalog.count()
    runtime.ready("headless kiosk ready")
    while not stop.wait(tick_s):
        runtime.tick()
