"""The running kiosk's own read connection for guide search, with the store file memory-mapped.

A query that starts cold in SQLite's page cache reads each candidate unit's search_rank and
search_term rows, a page each on first touch: through the store's connection that is a
pread() and a copy into its page cache per page (3–5 µs). Mapped, a page is read in place
(a minor fault the first time): the cold single-shot tails of the shapes bench lose
0.2–0.6 ms of CPU, the slowest guesses 2–3 ms (BENCHMARKS.md, "Seventh pass").

Only the running kiosk opens it (KioskCore.start_background). The pages a search touches
count in the process's RSS (clean file pages; 260 MB after 830 searches on the 411 MB tails
store): kiosk.search_mmap_mib bounds them. Beyond it the mapping is dropped and made again when
the kiosk is quiet (no search for QUIET_S), by a thread of the reader's own, so a citizen's
search never pays the re-mapping (in the middle of searches it cost the typo guesses their
gain: BENCHMARKS.md, "Eighth pass"); only a burst that never pauses and reaches
CEILING × the budget re-maps between two searches. The sync keeps the store's own connection, never mapped: a first sync touches the whole file, and its peak RSS
has a target of its own. Under WAL this connection reads the last committed snapshot while a
sync page is being written, so a search no longer waits for the store's lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common.errors import STORE_FAILED, KioskError

CACHE_KIB = 8192  # page cache for what the mapping cannot serve (pages still in the WAL)
MAP_BYTES = 0x7FFF0000  # the whole store (SQLite's own ceiling): pages are mapped as touched
CHECK_EVERY = 8  # searches between two looks at how much of the mapping is resident (~10 µs)
QUIET_S = 2.0  # no search for this long: the kiosk is idle, the mapping may be trimmed
CEILING = 4  # × the budget: a burst with no quiet gap re-maps in line beyond it
_PAGE = os.sysconf("SC_PAGE_SIZE")


def file_resident() -> int:
    """Bytes of file-backed (and shared) pages resident in this process (/proc/self/statm)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[2]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class SearchReader:
    """One read-only-by-use connection, one lock (the core's workers may search at once).
    The store's pages stay mapped as searches touch them. Once they hold more than `budget`
    bytes of the process's RSS, the trimmer thread drops the mapping and makes it again at
    the first quiet moment (the kernel keeps the pages in its cache: mapping them again is a
    minor fault a page), so the kiosk's RSS grows by about `budget` between two quiet moments
    and by `CEILING` × `budget` at most however long it runs."""

    def __init__(self, path: Path, budget: int, *, quiet_s: float = QUIET_S,
                 ceiling: int = CEILING) -> None:
        try:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=10)
            conn.execute(f"PRAGMA mmap_size={MAP_BYTES}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        except sqlite3.Error as exc:
            raise KioskError(STORE_FAILED, f"{path}: {exc}") from exc
        self.conn = conn
        self.budget = budget
        self.quiet_s = quiet_s
        self.ceiling = ceiling * budget
        self.remapped = 0  # times the mapping was dropped when quiet
        self.remapped_busy = 0  # times a burst reached the ceiling and it was dropped in line
        self._lock = threading.Lock()
        self._searches = 0
        self._last = time.monotonic()  # end of the latest search
        self._base = file_resident()
        self._stop = threading.Event()
        self._trimmer = threading.Thread(target=self._trim_when_quiet, daemon=True,
                                         name="search-mmap-trim")
        self._trimmer.start()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot (a deferred read transaction)."""
        with self._lock:
            self._searches += 1
            if self._searches % CHECK_EVERY == 0 and self._over(self.ceiling):
                self._remap()
                self.remapped_busy += 1
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")
                self._last = time.monotonic()

    def _over(self, limit: int) -> bool:
        return file_resident() - self._base > limit

    def _remap(self) -> None:
        """Drop the mapping (under the lock, outside any transaction) and map again."""
        self.conn.execute("PRAGMA mmap_size=0")  # unmaps: its resident pages leave the RSS
        self.conn.execute(f"PRAGMA mmap_size={MAP_BYTES}")
        self._base = file_resident()

    def _trim_when_quiet(self) -> None:
        """Every quiet interval: beyond the budget and no search for that long, re-map; a
        search that starts meanwhile goes first (the lock is only tried)."""
        while not self._stop.wait(self.quiet_s / 2):
            if time.monotonic() - self._last < self.quiet_s or not self._over(self.budget):
                continue
            if not self._lock.acquire(blocking=False):
                continue
            try:
                if not self._stop.is_set():
                    self._remap()
                    self.remapped += 1
            finally:
                self._lock.release()

    def close(self) -> None:
        self._stop.set()
        self._trimmer.join()
        with self._lock:
            self.conn.close()
