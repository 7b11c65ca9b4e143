"""Kiosk use by function, reported with the heartbeat (issue 12).

Revision ID: 0011_kiosk_usage
Revises: 0007_robust
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_kiosk_usage"
down_revision = "0007_robust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_usage",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("function", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_kiosk_usage")),
        sa.UniqueConstraint(
            "device_id", "batch", "day", "function",
            name=op.f("uq_kiosk_usage_device_id_batch_day_function"),
        ),
    )
    op.create_index("ix_kiosk_usage_day", "kiosk_usage", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_kiosk_usage_day", table_name="kiosk_usage")
    op.drop_table("kiosk_usage")
