"""One malloc arena for a kiosk process (glibc), set before any thread starts.

glibc gives each thread that allocates its own arena (up to 8 per core), and memory freed in
one arena is not reused by another thread's allocations. A first catalog sync writes in a
second thread (offline_cache/bulk_writer.py): SQLite's page cache and FTS5's 16 MiB build
hash then grew a second arena while the main one held what the stream had freed, +17–25 MiB
of peak RSS (157–164 MiB against 139; the target is 150). With one arena the threads share
the freed memory; Python's GIL already serialises most of their allocations.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h


def limit(arenas: int = 1) -> bool:
    """Cap the process's malloc arenas; False where the C library has no such knob (not
    glibc). Only arenas made after the call are capped: call it before threads start."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    done = bool(mallopt(M_ARENA_MAX, arenas))
    if not done:
        log.debug("mallopt(M_ARENA_MAX) not supported")
    return done
