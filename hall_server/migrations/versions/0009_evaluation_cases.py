"""好差评 per visit: the rated ticket's counter and staff, follow-up cases for bad ratings, and
an index for the one-waiting-ticket-per-person rule.

Revision ID: 0009_evaluation_cases
Revises: 0006_citizen
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_evaluation_cases"
down_revision = "0006_citizen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("counter", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("staff", sa.String(length=64), nullable=True))
    op.create_table(
        "evaluation_cases",
        sa.Column("evaluation_id", sa.String(length=36), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name="fk_evaluation_cases_evaluation_id_evaluations",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", name="pk_evaluation_cases"),
    )
    op.create_index(
        "ix_evaluation_cases_state_due", "evaluation_cases", ["state", "due_on"], unique=False
    )
    op.create_index("ix_tickets_holder_day", "tickets", ["holder", "business_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_holder_day", table_name="tickets")
    op.drop_index("ix_evaluation_cases_state_due", table_name="evaluation_cases")
    op.drop_table("evaluation_cases")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("staff")
        batch.drop_column("counter")
