"""Kiosk use by function (issue 12): the counts kiosks send with their heartbeat, one row per
(kiosk, batch, day, function). The (device, batch, day, function) constraint makes a resent
batch harmless. On the one `schema.metadata` (schema.py imports this module); migration
0011_kiosk_usage creates it.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, UniqueConstraint

from hall_server.schema import TS, metadata

kiosk_usage = Table(
    "kiosk_usage",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(36), nullable=False),
    Column("batch", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("day", Date, nullable=False),  # the hall's date on the kiosk
    Column("function", String(32), nullable=False),
    Column("count", Integer, nullable=False),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("device_id", "batch", "day", "function"),
    Index("ix_kiosk_usage_day", "day"),
)
