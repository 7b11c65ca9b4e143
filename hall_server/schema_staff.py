"""Tables of staff accounts and their browser sign-ins (hall_server/staff.py).

Defined on the one `schema.metadata` (schema.py imports this module), so the migration drift
test sees them; migration 0005_staff creates them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from hall_server.schema import TS, metadata

staff = Table(
    "staff",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("login", String(64), nullable=False, unique=True),  # stored lower-case
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # clerk, manager, admin
    Column("counters", Text, nullable=False),  # JSON list; ["*"] = every counter
    Column("password_hash", String(255), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("disabled", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# One row per browser sign-in. The cookie holds a random token; only its SHA-256 is stored, so
# a copy of the database signs nobody in. The CSRF token is the page's double-submit secret.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(36), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
)

# Wrong passwords per (login, client address), in the database so that several server
# processes on one PostgreSQL agree on a lock-out.
staff_login_failures = Table(
    "staff_login_failures",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", TS, nullable=False),
    Column("locked_until", TS),
    Index("ix_staff_login_failures_first_at", "first_at"),
)
