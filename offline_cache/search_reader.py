"""The running kiosk's own read connection for guide search, with the store file memory-mapped.

A query that starts cold in SQLite's page cache reads each candidate unit's search_rank and
search_term rows, a page each on first touch: through the store's connection that is a
pread() and a copy into its page cache per page (3–5 µs). Mapped, a page is read in place
(a minor fault the first time): the cold single-shot tails of the shapes bench lose
0.2–0.6 ms of CPU, the slowest guesses 2–3 ms (BENCHMARKS.md, "Seventh pass").

Only the running kiosk opens it (KioskCore.start_background): the pages a search touches
count in the process's RSS as clean file pages the kernel may drop, bounded by the store's
size, where the store connection's 64 MiB page cache is anonymous memory. The sync keeps the
store's own connection, never mapped: a first sync touches the whole file, and its peak RSS
has a target of its own. Under WAL this connection reads the last committed snapshot while a
sync page is being written, so a search no longer waits for the store's lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.errors import STORE_FAILED, KioskError

CACHE_KIB = 8192  # page cache for what the mapping cannot serve (pages still in the WAL)


class SearchReader:
    """One read-only-by-use connection, one lock (the core's workers may search at once)."""

    def __init__(self, path: Path, mmap_bytes: int) -> None:
        try:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=10)
            conn.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        except sqlite3.Error as exc:
            raise KioskError(STORE_FAILED, f"{path}: {exc}") from exc
        self.conn = conn
        self._lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot (a deferred read transaction)."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.conn.close()
