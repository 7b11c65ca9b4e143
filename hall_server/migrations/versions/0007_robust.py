"""Cloned terminals: each device token is bound to one installation (X-Install-Id); a second
installation using it is refused and recorded for the fleet page.

Revision ID: 0007_robust
Revises: 0010_bookings
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_robust"
down_revision = "0010_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("install_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("clone_install_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("clone_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("clone_seen_at")
        batch.drop_column("clone_install_id")
        batch.drop_column("install_id")
