"""Kiosk use by function (issue 12), from the counts kiosks send with their heartbeat.

One row per kiosk, day and function, added to as batches arrive, so the table stays small
(kiosks × days × 4) however often kiosks beat; and the last batch each kiosk delivered, so
a batch sent again (its reply was lost) is not added twice: a kiosk resends only its latest
batch until it is acknowledged, in order. On the one `schema.metadata` (schema.py imports this
module); migration 0012_kiosk_usage creates both.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table

from hall_server.schema import TS, metadata

kiosk_usage = Table(
    "kiosk_usage",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("day", Date, primary_key=True),  # the hall's date on the kiosk
    Column("function", String(32), primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_kiosk_usage_day", "day"),
)

kiosk_usage_batches = Table(
    "kiosk_usage_batches",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("batch", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("received_at", TS, nullable=False),
)
