"""The hall's time on a kiosk: the local clock corrected by its offset from the hall server.

The offset (kiosk − server) is measured at every sync. A kiosk whose clock runs 10 hours
behind would otherwise file an offline ticket taken after the hall's midnight on the previous
business day, and the server would file it as expired. The offset is kept with a reference
(wall clock, monotonic clock, boot id): if the wall clock is set between two syncs (NTP, a
technician), the monotonic clock did not move with it, and the difference corrects the offset
until the next sync measures it again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SKEW_META = "clock_skew_s"
SKEW_REF_META = "clock_skew_ref"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def record_offset(store: Any, conn: Any, skew: float, *, wall: float | None = None) -> None:
    """Store the offset just measured, with the clocks' readings at that moment."""
    ref = {"wall": time.time() if wall is None else wall, "mono": time.monotonic(),
           "boot": boot_id()}
    store.set_meta(conn, SKEW_META, f"{skew:.3f}")
    store.set_meta(conn, SKEW_REF_META, json.dumps(ref))


def current_offset(store: Any, *, wall: Callable[[], float] = time.time) -> float | None:
    """Seconds this kiosk's clock is ahead of the hall's now (negative: behind); None when
    never measured."""
    raw = store.get_meta(SKEW_META)
    if not raw:
        return None
    skew = float(raw)
    try:
        ref = json.loads(store.get_meta(SKEW_REF_META) or "null")
    except ValueError:
        ref = None
    if isinstance(ref, dict) and ref.get("boot") and ref.get("boot") == boot_id():
        # the wall clock moved by more than the time that passed: it was set since the sync
        skew += (wall() - float(ref["wall"])) - (time.monotonic() - float(ref["mono"]))
    return skew


def hall_now(store: Any, tz: str, *, wall: Callable[[], float] = time.time) -> datetime:
    """Now in the hall's zone, by the hall server's clock as far as this kiosk knows it."""
    offset = current_offset(store, wall=wall) or 0.0
    local = datetime.fromtimestamp(wall(), UTC)
    return (local - timedelta(seconds=offset)).astimezone(ZoneInfo(tz))
