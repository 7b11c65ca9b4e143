"""Tables of SMS notifications (hall_server/notify_hooks.py): the mobile numbers citizens left
at a kiosk, sealed, and the notices already sent.

Defined on the one `schema.metadata` (schema.py imports this module), so the migration drift
test sees them; migration 0013_notify_phones creates them.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, UniqueConstraint

from hall_server.schema import TS, metadata

# One number per ticket or application; `phone` is sealed with the hall's personal-data key
# (hall_server/personal.py), the target as associated data. Deleted when the ticket's business
# day ends (the midnight sweep) or the application closes.
notify_phones = Table(
    "notify_phones",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("target", String(16), nullable=False),  # ticket, application
    Column("target_id", String(40), nullable=False),  # ticket id or application number
    Column("phone", Text, nullable=False),  # sealed; never in clear
    Column("business_date", Date),  # a ticket's day; NULL for an application
    Column("since", Integer, nullable=False, server_default="0"),  # history pk seen at attach
    Column("device_id", String(36)),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("target", "target_id"),
    Index("ix_notify_phones_day", "business_date"),
)

# One row per notice, claimed (INSERT under the unique key) before it is handed to the
# dispatcher: a restart or a second server process never sends it again.
notify_sent = Table(
    "notify_sent",
    metadata,
    Column("key", String(128), primary_key=True),  # near:{ticket}, call:{ticket}:{at}, status:…
    Column("state", String(8), nullable=False),  # queued, sent, failed
    Column("at", TS, nullable=False),
)
