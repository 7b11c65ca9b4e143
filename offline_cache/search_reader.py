"""The running kiosk's own read connection for guide search, with the store file memory-mapped.

A query that starts cold in SQLite's page cache reads each candidate unit's search_rank and
search_term rows, a page each on first touch: through the store's connection that is a
pread() and a copy into its page cache per page (3–5 µs). Mapped, a page is read in place
(a minor fault the first time): the cold single-shot tails of the shapes bench lose
0.2–0.6 ms of CPU, the slowest guesses 2–3 ms (BENCHMARKS.md, "Seventh pass").

Only the running kiosk opens it (KioskCore.start_background). The pages a search touches
count in the process's RSS (clean file pages; 260 MB after 830 searches on the 411 MB tails
store): kiosk.search_mmap_mib bounds them, the mapping is dropped and made again beyond it. The sync keeps the
store's own connection, never mapped: a first sync touches the whole file, and its peak RSS
has a target of its own. Under WAL this connection reads the last committed snapshot while a
sync page is being written, so a search no longer waits for the store's lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.errors import STORE_FAILED, KioskError

CACHE_KIB = 8192  # page cache for what the mapping cannot serve (pages still in the WAL)
MAP_BYTES = 0x7FFF0000  # the whole store (SQLite's own ceiling): pages are mapped as touched
CHECK_EVERY = 8  # searches between two looks at how much of the mapping is resident (~10 µs)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def file_resident() -> int:
    """Bytes of file-backed (and shared) pages resident in this process (/proc/self/statm)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[2]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class SearchReader:
    """One read-only-by-use connection, one lock (the core's workers may search at once).
    The store's pages stay mapped as searches touch them until they hold more than `budget`
    bytes of the process's RSS; then the mapping is dropped and made again (the kernel keeps
    the pages in its cache: mapping them again is a minor fault a page), so the kiosk's RSS
    grows by at most about `budget` however long it runs."""

    def __init__(self, path: Path, budget: int) -> None:
        try:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=10)
            conn.execute(f"PRAGMA mmap_size={MAP_BYTES}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        except sqlite3.Error as exc:
            raise KioskError(STORE_FAILED, f"{path}: {exc}") from exc
        self.conn = conn
        self.budget = budget
        self.remapped = 0  # times the mapping was dropped for the budget
        self._lock = threading.Lock()
        self._searches = 0
        self._base = file_resident()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot (a deferred read transaction)."""
        with self._lock:
            self._searches += 1
            if self._searches % CHECK_EVERY == 0:
                self._keep_to_budget()
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def _keep_to_budget(self) -> None:
        """Drop the mapping (outside any transaction) once its pages exceed the budget."""
        if file_resident() - self._base <= self.budget:
            return
        self.conn.execute("PRAGMA mmap_size=0")  # unmaps: its resident pages leave the RSS
        self.conn.execute(f"PRAGMA mmap_size={MAP_BYTES}")
        self._base = file_resident()
        self.remapped += 1

    def close(self) -> None:
        with self._lock:
            self.conn.close()
