"""Offline tickets' QR pages: find a ticket by the kiosk's idempotency key alone
(`/t/pending/{key}`: the printed slip knows the key, not the device).

Revision ID: 0006_citizen
Revises: 0005_staff
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0006_citizen"
down_revision = "0005_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_key", "idempotency", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_idempotency_key", table_name="idempotency")
