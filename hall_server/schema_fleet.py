"""Tables of fleet operations: the last heartbeat per device, the technicians' audit log and
the versioned remote kiosk configuration (hall_server/fleet.py, hall_server/remote_config.py).

Defined on the one `schema.metadata` (schema.py imports this module), so the migration drift
test sees them; migration 0002_fleet creates them.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from hall_server.schema import TS, metadata

# One row per device, overwritten by a newer heartbeat (sent_at decides, so a late replay of
# an older one never hides a newer state).
device_heartbeats = Table(
    "device_heartbeats",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("sent_at", TS, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("data", Text, nullable=False),  # the Heartbeat JSON (no personal data)
)

# Append-only; the (device, key) constraint makes a replayed outbox record harmless.
audit_log = Table(
    "audit_log",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(36), nullable=False),
    Column("key", String(128), nullable=False),
    Column("at", TS, nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("device_id", "key"),
    Index("ix_audit_log_at", "at"),
)

kiosk_configs = Table(
    "kiosk_configs",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("config", Text, nullable=False),  # the validated layer as JSON
    Column("source", Text),  # the TOML it came from, when given
    Column("etag", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("created_by", String(64), nullable=False),
)
