"""Hall server throughput (issue 17): a covering index for people_ahead, and the table of
rate-limit events shared by every server process (`kiosk serve --workers N`).

Revision ID: 0014_server_throughput
Revises: 0013_notify_phones
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_server_throughput"
down_revision = "0013_notify_phones"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_waiting",
        "tickets",
        ["service", "business_date", "status", "priority", "queued_at", "pk"],
        unique=False,
    )
    op.create_table(
        "rate_hits",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_rate_hits"),
    )
    op.create_index("ix_rate_hits_scope_key_at", "rate_hits", ["scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_hits_scope_key_at", table_name="rate_hits")
    op.drop_table("rate_hits")
    op.drop_index("ix_tickets_waiting", table_name="tickets")
