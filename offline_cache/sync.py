"""One sync pass (CLI `kiosk sync`) and the background syncer thread the running kiosk uses.

Order: health (connectivity + clock skew) → push the outbox → pull queue services → pull the
catalog changes feed. Every step is safe to interrupt and resume.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from common.errors import KioskError
from offline_cache.catalog import Catalog
from offline_cache.client import HallClient
from offline_cache.connectivity import Connectivity
from offline_cache.hall_time import SKEW_META, record_offset
from offline_cache.outbox import Outbox
from offline_cache.services import ServiceCache

log = logging.getLogger(__name__)
SERVER_TIME_META = "last_server_time"
__all__ = ["SERVER_TIME_META", "SKEW_META", "SyncResult", "Syncer"]


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    pending: int = 0
    refused: int = 0
    state: str = "offline"
    error: str | None = None
    paused: str | None = None
    per_stream: dict[str, Any] = field(default_factory=dict)
    clock_skew_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"pushed": self.pushed, "pulled": self.pulled, "pending": self.pending,
                "refused": self.refused, "state": self.state, "error": self.error,
                "paused": self.paused, "streams": self.per_stream,
                "clock_skew_s": self.clock_skew_s}


class Syncer:
    def __init__(self, client: HallClient, outbox: Outbox, catalog: Catalog,
                 services: ServiceCache, connectivity: Connectivity,
                 maintenance: Callable[[], object] | None = None) -> None:
        self.client = client
        self.outbox = outbox
        self.catalog = catalog
        self.services = services
        self.connectivity = connectivity
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.catalog_interval = 60.0
        self._last_catalog = 0.0
        self.maintenance = maintenance  # e.g. the retention purge, run every few minutes
        self.maintenance_interval = 300.0
        self._last_maintenance = 0.0
        # Run after each background pass, e.g. heartbeat and remote configuration (kiosk/ops/hook.py);
        # each throttles itself. Not run by a one-off `kiosk sync`.
        self.hooks: list[Callable[[SyncResult], object]] = []

    def probe(self) -> float | None:
        """Health check; returns the clock skew (kiosk − server, seconds) when reachable."""
        try:
            health = self.client.health(timeout=(0.5, 1.0))
        except KioskError as exc:
            self.connectivity.failure(exc.code)
            return None
        self.connectivity.success()
        server_time = health.time if health.time.tzinfo else health.time.replace(tzinfo=UTC)
        wall = self.outbox.clock()
        skew = (datetime.fromtimestamp(wall, UTC) - server_time).total_seconds()
        with self.outbox.store.transaction() as conn:
            self.outbox.store.set_meta(conn, SERVER_TIME_META, server_time.isoformat())
            record_offset(self.outbox.store, conn, skew, wall=wall)
        return skew

    def sync_once(self, *, pull_catalog: bool = True,
                  on_progress: Callable[[int, int | None], None] | None = None) -> SyncResult:
        """`on_progress(done, total)` after each catalog page (total None: the feed's length is
        not known ahead); the CLI draws it, the background thread passes none."""
        result = SyncResult()
        result.clock_skew_s = self.probe()
        if result.clock_skew_s is not None:
            try:
                report = self.outbox.drain(self.client, wait_lock=True)
                result.pushed, result.paused = report.pushed, report.paused
                result.error = report.error
                self.services.pull(self.client)
                if pull_catalog:
                    pages = (lambda n: on_progress(n, None)) if on_progress else None
                    result.pulled = self.catalog.pull(self.client, progress=pages)
                    self._last_catalog = time.monotonic()
            except KioskError as exc:
                result.error = exc.code
                self.connectivity.failure(exc.code)
        counts = self.outbox.counts()
        result.pending = counts["pending"] + counts["sending"]
        result.refused = counts["refused"]
        result.paused = result.paused or self.outbox.paused()
        result.per_stream = self.outbox.per_stream()
        result.state = self.connectivity.state
        return result

    # --- background thread ---------------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(interval,), name="syncer",
                                        daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                due = time.monotonic() - self._last_catalog > self.catalog_interval
                result = self.sync_once(pull_catalog=due)
                for hook in list(self.hooks):
                    try:
                        hook(result)
                    except Exception as exc:  # one failing hook must not stop syncing
                        if self._stop.is_set():  # shutting down: devices may be gone already
                            log.info("sync hook %r cut short by shutdown: %r", hook, exc)
                        else:
                            log.exception("sync hook %r failed", hook)
                if self.maintenance and (time.monotonic() - self._last_maintenance
                                         > self.maintenance_interval):
                    self._last_maintenance = time.monotonic()
                    self.maintenance()
            except Exception:  # the syncer must outlive any one bad pass
                log.exception("sync pass failed")
            self._wake.wait(interval)
            self._wake.clear()
