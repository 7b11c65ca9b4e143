"""Waiting tickets per service, day and class, kept by triggers (issue 17: people_ahead of a
new ticket no longer counts the whole waiting line).

Revision ID: 0015_waiting_counts
Revises: 0014_server_throughput
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hall_server import waiting_counts

revision = "0015_waiting_counts"
down_revision = "0014_server_throughput"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waiting_counts",
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service", "business_date", "priority", name="pk_waiting_counts"),
    )
    bind = op.get_bind()
    waiting_counts.run_all(bind, waiting_counts.triggers(bind.dialect.name))
    bind.exec_driver_sql(waiting_counts.BACKFILL)


def downgrade() -> None:
    bind = op.get_bind()
    waiting_counts.run_all(bind, waiting_counts.drops(bind.dialect.name))
    op.drop_table("waiting_counts")
