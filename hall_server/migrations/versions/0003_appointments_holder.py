"""Check-in by ID card: an index to find a holder's appointments of one business day.

Revision ID: 0003_appointments_holder
Revises: 0002_fleet
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003_appointments_holder"
down_revision = "0002_fleet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_appointments_holder_day", "appointments", ["holder", "business_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_appointments_holder_day", table_name="appointments")
