"""Give freed memory back to the system after a screen is dropped.

With the software renderer every label texture is ordinary heap memory; glibc keeps freed
heap pages in the process (its mmap threshold grows after large frees), so without a trim a
kiosk's resident size only ever ratchets up as citizens walk through screens. `malloc_trim`
is glibc-only; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def refreeze() -> None:
    """Collect everything once, then move what is still alive (modules, kv rules, the home
    screen, caches: ~150,000 objects that live as long as the process) out of the cyclic
    collector's sight. Full collections otherwise walked them all: 50–140 ms stalls between
    keystrokes, and after every screen change (release_memory); 6–20 ms once frozen. Objects
    made later are collected as before; what was frozen is unfrozen and collected again
    at the next refreeze, so nothing leaks for good."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def release_memory() -> None:
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
