"""Kiosk use by function (issue 12): how many tickets, guide views, form submissions and
progress queries this kiosk served, per hall day, sent with the heartbeat. Counts only, never
who or what.

Kept in the store's meta table so a restart loses nothing:
- `usage_open`: what was counted since the last batch was cut ({day: {function: n}});
- `usage_batch`: the batch in flight ({batch, seq, counts}). Every heartbeat carries it until
  the server's reply acknowledges its id (`usage_batch`); only then is it dropped and the next
  one cut from `usage_open`. The server stores a (kiosk, batch) once, so a heartbeat that
  failed, or whose reply was lost, is simply sent again: nothing lost, nothing doubled.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from common import wire

log = logging.getLogger(__name__)

OPEN_META = "usage_open"
BATCH_META = "usage_batch"
SEQ_META = "usage_seq"
FUNCTIONS = wire.USAGE_FUNCTIONS
MAX_ENTRIES = 400  # (day, function) pairs in one batch: wire.KioskUsage's limit


def _read(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None


class UsageCounter:
    def __init__(self, store: Any, today: Callable[[], date]) -> None:
        self.store = store
        self.today = today  # the hall's date (KioskCore.today)

    def count(self, function: str) -> None:
        """One use; never fails the citizen's action it counts."""
        if function not in FUNCTIONS:
            raise ValueError(f"unknown kiosk function {function!r}")
        try:
            day = self.today().isoformat()
            with self.store.transaction() as conn:
                counts = _read(conn, OPEN_META) or {}
                per_day = counts.setdefault(day, {})
                per_day[function] = per_day.get(function, 0) + 1
                self.store.set_meta(conn, OPEN_META, json.dumps(counts, sort_keys=True))
        except Exception as exc:  # counting is telemetry: the citizen's action already happened
            log.warning("kiosk use not counted (%s): %s", function, exc)

    def pending(self) -> dict[str, dict[str, int]]:
        """Counted but not yet cut into a batch."""
        try:
            return json.loads(self.store.get_meta(OPEN_META) or "{}")
        except ValueError:
            return {}

    def for_heartbeat(self) -> wire.KioskUsage | None:
        """The batch in flight, cutting a new one from the open counts when none is. Never
        fails the heartbeat that carries it."""
        try:
            return self._batch()
        except Exception as exc:
            log.warning("kiosk use not sent with this heartbeat: %s", exc)
            return None

    def _batch(self) -> wire.KioskUsage | None:
        with self.store.transaction() as conn:
            batch = _read(conn, BATCH_META)
            if batch is None:
                counts = _read(conn, OPEN_META) or {}
                if not counts:
                    return None
                seq = int(_read(conn, SEQ_META) or 0) + 1
                cut = [
                    {"day": day, "function": fn, "count": n}
                    for day, per_day in sorted(counts.items())
                    for fn, n in sorted(per_day.items())
                    if n > 0
                ][:MAX_ENTRIES]  # a kiosk long offline sends its oldest days first
                for entry in cut:
                    del counts[entry["day"]][entry["function"]]
                left = {day: per_day for day, per_day in counts.items() if per_day}
                batch = {"batch": str(uuid.uuid4()), "seq": seq, "counts": cut}
                self.store.set_meta(conn, BATCH_META, json.dumps(batch))
                self.store.set_meta(conn, SEQ_META, str(seq))
                self.store.set_meta(conn, OPEN_META, json.dumps(left) if left else "")
        return wire.KioskUsage.model_validate(batch)

    def acknowledge(self, conn: sqlite3.Connection, key: str, body: dict[str, Any]) -> None:
        """The outbox applier of heartbeat replies: the server stored the batch it names."""
        acked = body.get("usage_batch") if isinstance(body, dict) else None
        batch = _read(conn, BATCH_META)
        if acked and batch and batch.get("batch") == acked:
            self.store.set_meta(conn, BATCH_META, "")
