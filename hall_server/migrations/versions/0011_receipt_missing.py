"""An application filed from a kiosk that died before showing its receipt (issue 15): flagged
for the hall (`receipt_missing_at`), not silently kept.

Revision ID: 0011_receipt_missing
Revises: 0007_robust
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_receipt_missing"
down_revision = "0007_robust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("receipt_missing_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("receipt_missing_at")
