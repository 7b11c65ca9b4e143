"""WAL checkpoints of the server's SQLite file, in a background thread instead of a write.

SQLite's automatic checkpoint runs inside the COMMIT that fills the WAL past 1,000 pages: that
write copies the pages into the database file and fsyncs it while it holds the write lock, and
every ticket and call queued behind it waits (100–300 ms on a busy disk, issue 11). Here a
thread of the running server checkpoints every `server.sqlite_checkpoint_s` seconds on its
own connection, PASSIVE (it never waits for a writer or a reader, and writers never wait for
it). Durability is unchanged: each COMMIT still fsyncs the WAL (synchronous=FULL); a
checkpoint only moves committed pages into the main file.

Connections then checkpoint by themselves only past `FALLBACK_PAGES` (a stalled or stopped
thread cannot let the WAL grow without bound). CLI commands and tests that open a Database
without a running server keep SQLite's default.
"""

from __future__ import annotations

import logging
import threading

from hall_server.db import Database

log = logging.getLogger(__name__)

FALLBACK_PAGES = 20_000  # ~80 MB of WAL: a write checkpoints if the thread has not


class WalCheckpointer:
    def __init__(self, database: Database, interval_s: float) -> None:
        self.database = database
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # checkpoints done (tests, doctor)

    @property
    def enabled(self) -> bool:
        return self.database.is_file_sqlite and self.interval_s > 0

    def start(self) -> None:
        if not self.enabled or self._thread is not None:
            return
        # New connections get the high threshold; idle pooled ones are replaced.
        self.database.autocheckpoint_pages = FALLBACK_PAGES
        self.database.engine.dispose()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, WAL pages, pages checkpointed), SQLite's reply."""
        with self.database.engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
            conn.rollback()
        self.runs += 1
        return int(row[0]), int(row[1]), int(row[2])

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint()
            except Exception:  # a full disk or a moved file: the writes say so; keep trying
                log.exception("WAL checkpoint failed")
