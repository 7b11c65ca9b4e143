"""Kiosk use by function, reported with the heartbeat (issue 12): counts per kiosk, day and
function, and the last batch each kiosk delivered.

Revision ID: 0012_kiosk_usage
Revises: 0011_receipt_missing
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_kiosk_usage"
down_revision = "0011_receipt_missing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_usage",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("function", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "day", "function", name=op.f("pk_kiosk_usage")),
    )
    op.create_index("ix_kiosk_usage_day", "kiosk_usage", ["day"], unique=False)
    op.create_table(
        "kiosk_usage_batches",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_kiosk_usage_batches")),
    )


def downgrade() -> None:
    op.drop_table("kiosk_usage_batches")
    op.drop_index("ix_kiosk_usage_day", table_name="kiosk_usage")
    op.drop_table("kiosk_usage")
