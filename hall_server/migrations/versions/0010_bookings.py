"""Bookings (预约): slot length and capacity per service, and its default service time for wait
estimates; a booking's slot, masked name and
booking device; an index to count a slot's bookings.

Revision ID: 0010_bookings
Revises: 0009_evaluation_cases
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_bookings"
down_revision = "0009_evaluation_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_services") as batch:
        batch.add_column(sa.Column("slot_minutes", sa.Integer(), server_default="30", nullable=False))
        batch.add_column(sa.Column("slot_capacity", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("default_service_min", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("name_masked", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("device_id", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_appointments_slots",
        "appointments",
        ["service", "business_date", "slot_start"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_appointments_slots", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("device_id")
        batch.drop_column("name_masked")
        batch.drop_column("slot_start")
    with op.batch_alter_table("queue_services") as batch:
        batch.drop_column("default_service_min")
        batch.drop_column("slot_capacity")
        batch.drop_column("slot_minutes")
