"""Anonymise closed applications after `privacy.retention_days` (个人信息保护法: keep personal
data no longer than needed). The submitted fields and the holder hash are cleared; number,
item, dates, status and history stay for reports. Runs at start and hourly in `kiosk serve`
(RetentionLoop; not with --demo, nor in test servers, which call anonymise_closed with their
own clock), and is idempotent, so several server processes may all run it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from hall_server.db import Database
from hall_server.schema import applications

log = logging.getLogger(__name__)

CLOSED = ("approved", "rejected", "not_accepted", "returned", "delivered")
INTERVAL_S = 3600.0


def anonymise_closed(database: Database, *, now: datetime, days: int) -> int:
    """Clear the personal data of applications closed more than `days` ago; returns how many."""
    from hall_server.notify_hooks import forget_closed_applications  # it imports CLOSED

    cutoff = now - timedelta(days=days)
    with database.write() as conn:
        count = conn.execute(
            update(applications)
            .where(
                applications.c.status.in_(CLOSED),
                applications.c.updated_at < cutoff,
                or_(applications.c.fields != "", applications.c.holder.is_not(None)),
            )
            .values(fields="", holder=None)
        ).rowcount
        forget_closed_applications(conn)  # SMS numbers: normally gone at closing already
    if count:
        log.info("retention: personal data of %d closed application(s) cleared", count)
    return count


class RetentionLoop:
    """The purge at start and then every hour, on a daemon thread, until stopped."""

    def __init__(self, ctx, interval: float = INTERVAL_S) -> None:  # ctx: HallContext
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                anonymise_closed(self.ctx.database, now=self.ctx.now(),
                                 days=self.ctx.settings.privacy.retention_days)
            except Exception:  # a database outage must not end the loop
                log.exception("retention purge failed; retrying in %.0f s", self.interval)
            self._stop.wait(self.interval)
