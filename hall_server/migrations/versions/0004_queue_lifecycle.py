"""Ticket lifecycle: ticket times, staff and reason, the queue position, counters with their
state, the append-only ticket_events table, requeue_behind per service.

Revision ID: 0004_queue_lifecycle
Revises: 0003_appointments_holder
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004_queue_lifecycle"
down_revision = "0003_appointments_holder"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "queue_services",
        sa.Column("requeue_behind", sa.Integer(), server_default="3", nullable=False),
    )
    for column in (
        sa.Column("queued_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("staff", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("requeues", sa.Integer(), server_default="0", nullable=False),
    ):
        op.add_column("tickets", column)
    op.execute("UPDATE tickets SET queued_at = issued_at")
    op.drop_index("ix_tickets_queue", table_name="tickets")
    op.create_index(
        "ix_tickets_queue",
        "tickets",
        ["service", "business_date", "status", "queued_at"],
        unique=False,
    )
    op.create_index("ix_tickets_counter_status", "tickets", ["counter", "status"], unique=False)
    counters = op.create_table(
        "hall_counters",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_hall_counters")),
    )
    op.create_table(
        "ticket_events",
        sa.Column("pk", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("counter", sa.String(length=32), nullable=True),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("target_service", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_ticket_events")),
    )
    op.create_index(
        op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"], unique=False
    )
    _counters_from_services(counters)


def _counters_from_services(counters: sa.Table) -> None:
    """Existing halls: every counter the services' lists name becomes a known counter."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT code, counters FROM queue_services ORDER BY sort, code"))
    served: dict[str, list[str]] = {}
    for code, listed in rows:
        for counter in json.loads(listed or "[]"):
            served.setdefault(counter, []).append(code)
    now = datetime.now(UTC)
    if served:
        op.bulk_insert(
            counters,
            [
                {
                    "code": code,
                    "name": f"{code}号窗口",
                    "name_en": f"Counter {code}",
                    "area": "",
                    "services": json.dumps(services),
                    "configured": True,
                    "state": "closed",
                    "sort": sort,
                    "updated_at": now,
                }
                for sort, (code, services) in enumerate(sorted(served.items()))
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_events_ticket_id"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_table("hall_counters")
    op.drop_index("ix_tickets_counter_status", table_name="tickets")
    op.drop_index("ix_tickets_queue", table_name="tickets")
    op.create_index(
        "ix_tickets_queue",
        "tickets",
        ["service", "business_date", "status", "issued_at"],
        unique=False,
    )
    for name in ("requeues", "reason", "staff", "finished_at", "started_at", "queued_at"):
        op.drop_column("tickets", name)
    op.drop_column("queue_services", "requeue_behind")
