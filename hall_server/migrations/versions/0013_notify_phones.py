"""SMS notifications: the sealed mobile numbers left at kiosks and the notices sent.

Revision ID: 0013_notify_phones
Revises: 0012_kiosk_usage
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_notify_phones"
down_revision = "0012_kiosk_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_phones",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("since", sa.Integer(), server_default="0", nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_notify_phones")),
        sa.UniqueConstraint("target", "target_id", name=op.f("uq_notify_phones_target_target_id")),
    )
    op.create_index("ix_notify_phones_day", "notify_phones", ["business_date"], unique=False)
    op.create_table(
        "notify_sent",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notify_sent")),
    )


def downgrade() -> None:
    op.drop_table("notify_sent")
    op.drop_index("ix_notify_phones_day", table_name="notify_phones")
    op.drop_table("notify_phones")
