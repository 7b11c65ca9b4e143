"""Kiosk use by function (issue 12): stored from the heartbeat, summed for the report.

`store_usage` is called by the heartbeat's handler (hall_server/fleet.py) in its transaction;
its reply fields (`usage_batch`, `usage_seq`) tell the kiosk the batch is stored, and only
then does the kiosk drop it (kiosk/ops/usage.py). A batch sent again is added once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from common.wire import USAGE_FUNCTIONS, KioskUsage
from hall_server.schema import devices
from hall_server.schema_usage import kiosk_usage, kiosk_usage_batches

if TYPE_CHECKING:
    from hall_server.context import HallContext


def store_usage(ctx: HallContext, conn: Connection, device_id: str, usage: KioskUsage | None) -> dict:
    """Add one batch's counts unless it is this kiosk's last delivered batch; the fields to
    add to the heartbeat's reply (the kiosk drops the batch when they name it)."""
    if usage is None:
        return {}
    b = kiosk_usage_batches
    mark = ctx.database.insert(b).values(
        device_id=device_id, batch=usage.batch, seq=usage.seq, received_at=ctx.now()
    )
    mark = mark.on_conflict_do_update(
        index_elements=["device_id"],
        set_={"batch": mark.excluded.batch, "seq": mark.excluded.seq,
              "received_at": mark.excluded.received_at},
        where=b.c.batch != mark.excluded.batch,  # the same batch again changes no row
    ).returning(b.c.device_id)  # (rowcount is not reliable for an upsert on every driver)
    with conn.begin_nested():
        if conn.execute(mark).first() is not None and usage.counts:
            totals: Counter[tuple[date, str]] = Counter()
            for c in usage.counts:  # one row per key: an upsert may not touch a row twice
                totals[(c.day, c.function)] += c.count
            add = ctx.database.insert(kiosk_usage).values([
                {"device_id": device_id, "day": day, "function": function, "count": n}
                for (day, function), n in totals.items()
            ])
            conn.execute(add.on_conflict_do_update(
                index_elements=["device_id", "day", "function"],
                set_={"count": kiosk_usage.c.count + add.excluded.count},
            ))
    return {"usage_batch": usage.batch, "usage_seq": usage.seq}


def usage_by_kiosk_day(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """One row per kiosk and day with a count per function (0 where none was reported)."""
    u = kiosk_usage.c
    rows = conn.execute(
        select(u.day, u.device_id, u.function, u.count).where(u.day >= start, u.day <= end)
    ).all()
    names = dict(conn.execute(select(devices.c.id, devices.c.name)).all())
    table: dict[tuple[date, str], dict[str, int]] = defaultdict(dict)
    for day, device_id, function, total in rows:
        table[(day, device_id)][function] = int(total)
    return [
        {"date": day.isoformat(), "kiosk": names.get(device_id, device_id), "device": device_id,
         **{fn: counts.get(fn, 0) for fn in USAGE_FUNCTIONS}}
        for (day, device_id), counts in sorted(
            table.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], kv[0][1]), kv[0][1]))
    ]
