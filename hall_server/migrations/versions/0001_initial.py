"""Initial hall server schema: devices, catalog, queue, applications, evaluations.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("item_title", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promised_by", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_applications")),
    )
    op.create_index(op.f("ix_applications_holder"), "applications", ["holder"], unique=False)
    op.create_table(
        "appointments",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_appointments")),
    )
    op.create_table(
        "catalog_items",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("seq", name=op.f("uq_catalog_items_seq")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=16), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("tag", name=op.f("uq_devices_tag")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    op.create_index(op.f("ix_devices_name"), "devices", ["name"], unique=False)
    op.create_table(
        "enroll_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_enroll_codes")),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index(op.f("ix_evaluations_subject"), "evaluations", ["subject"], unique=False)
    op.create_table(
        "hall_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_hall_settings")),
    )
    op.create_table(
        "holder_days",
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("holder", "business_date", name=op.f("pk_holder_days")),
    )
    op.create_table(
        "idempotency",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_idempotency")),
        sa.UniqueConstraint("device_id", "key", name=op.f("uq_idempotency_device_id_key")),
    )
    op.create_table(
        "queue_services",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("counters", sa.Text(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_queue_services")),
        sa.UniqueConstraint("prefix", name=op.f("uq_queue_services_prefix")),
    )
    op.create_table(
        "service_days",
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("offline", sa.Integer(), nullable=False),
        sa.Column("priority_run", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service", "business_date", name=op.f("pk_service_days")),
    )
    op.create_table(
        "application_history",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"],
            ["applications.number"],
            name=op.f("fk_application_history_number_applications"),
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_application_history")),
    )
    op.create_index(
        op.f("ix_application_history_number"), "application_history", ["number"], unique=False
    )
    op.create_table(
        "tickets",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("appointment", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counter", sa.String(length=32), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service"], ["queue_services.code"], name=op.f("fk_tickets_service_queue_services")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tickets")),
        sa.UniqueConstraint(
            "business_date", "number", name=op.f("uq_tickets_business_date_number")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_tickets_id")),
    )
    op.create_index(
        "ix_tickets_queue",
        "tickets",
        ["service", "business_date", "status", "issued_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_queue", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index(op.f("ix_application_history_number"), table_name="application_history")
    op.drop_table("application_history")
    op.drop_table("service_days")
    op.drop_table("queue_services")
    op.drop_table("idempotency")
    op.drop_table("holder_days")
    op.drop_table("hall_settings")
    op.drop_index(op.f("ix_evaluations_subject"), table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_table("enroll_codes")
    op.drop_index(op.f("ix_devices_name"), table_name="devices")
    op.drop_table("devices")
    op.drop_table("counters")
    op.drop_table("catalog_items")
    op.drop_table("appointments")
    op.drop_index(op.f("ix_applications_holder"), table_name="applications")
    op.drop_table("applications")
