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


def freeze_startup_objects() -> None:
    """Move everything alive once the kiosk is up (modules, kv rules, the home screen: ~0.5
    million objects that live as long as the process) out of the cyclic collector's sight.
    Each full collection otherwise walked them all: 60–95 ms stalls between keystrokes,
    and one after every screen change (release_memory); 15–25 ms after the freeze.
    Objects created later are collected as before."""
    gc.collect()
    gc.freeze()


def release_memory() -> None:
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
