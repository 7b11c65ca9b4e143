"""Tables of the hall server (SQLAlchemy Core: the request path stays lean).

The Alembic migrations in `hall_server/migrations/versions/` create exactly these tables; a test
compares a migrated database with this metadata so the two cannot drift apart.
Timestamps are written as aware UTC; business dates are the hall's local calendar dates.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

TS = DateTime(timezone=True)

hall_settings = Table(
    "hall_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Named monotonic sequences (the catalog's change cursor). Bumped with a row lock, so
# transactions that take numbers commit in number order and a feed reader never skips one.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("tag", String(16), unique=True),  # K1, K2 …: kiosks put it in offline numbers
    Column("location", String(200)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("last_seen", TS),
    Column("revoked_at", TS),
    # The installation the token belongs to (a kiosk's X-Install-Id, bound on first sight) and
    # the last time another installation used the token (a cloned terminal: an alarm).
    Column("install_id", String(64)),
    Column("clone_install_id", String(64)),
    Column("clone_seen_at", TS),
)

enroll_codes = Table(
    "enroll_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
    Column("device_id", String(36)),
)

catalog_items = Table(
    "catalog_items",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("deleted", Boolean, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("data", Text, nullable=False),  # CatalogItem JSON incl. search helpers
    Column("updated_at", TS, nullable=False),
)

queue_services = Table(
    "queue_services",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("prefix", String(8), nullable=False, unique=True),
    Column("category", String(100), nullable=False),
    Column("daily_cap", Integer),  # NULL: no cap
    Column("open", Boolean, nullable=False),
    Column("counters", Text, nullable=False),  # JSON list of counters (窗口) that call it
    Column("sort", Integer, nullable=False),
    Column("updated_at", TS, nullable=False),
    # places behind the head a requeued no-show (过号) goes back to
    Column("requeue_behind", Integer, nullable=False, server_default="3"),
    Column("slot_minutes", Integer, nullable=False, server_default="30"),  # bookings (预约)
    Column("slot_capacity", Integer, nullable=False, server_default="0"),  # 0: not bookable
    # wait estimates before the hall has history (0: none, "暂无估计")
    Column("default_service_min", Integer, nullable=False, server_default="0"),
)

# Counters (窗口): who serves what stays the services' `counters` lists; this row adds the
# optional [[counter]] table of the services file (display name, area, service order) and the
# counter's state. `configured` is false once a re-import no longer names the counter (old
# events still resolve its name).
hall_counters = Table(
    "hall_counters",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("area", String(64), nullable=False),
    Column("services", Text, nullable=False),  # JSON: this counter's services in its order
    Column("configured", Boolean, nullable=False),
    Column("state", String(16), nullable=False),  # open, paused, closed
    Column("sort", Integer, nullable=False),
    Column("updated_at", TS, nullable=False),
)

# One row per service and business date: the number counter (reset by the date in the key),
# offline tickets accepted, and the current run of priority calls (the anti-starvation rule).
service_days = Table(
    "service_days",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("offline", Integer, nullable=False),
    Column("priority_run", Integer, nullable=False),
)

# Tickets waiting per service, day and class, kept by triggers on `tickets`
# (hall_server.waiting_counts): people_ahead of a new ticket without counting the line.
waiting_counts = Table(
    "waiting_counts",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("priority", Boolean, primary_key=True),
    Column("n", Integer, nullable=False),
)

# Real-name tickets per holder hash per business date (the anti-scalper limit), as an atomic
# counter so two kiosks cannot both pass the check.
holder_days = Table(
    "holder_days",
    metadata,
    Column("holder", String(128), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("n", Integer, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("number", String(32), nullable=False),
    Column("service", String(32), ForeignKey("queue_services.code"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("seq", Integer),  # the daily counter value; NULL for offline-issued numbers
    Column("priority", String(16)),
    Column("holder", String(128)),
    Column("appointment", String(64)),
    Column("device_id", String(36)),
    Column("issued_at", TS, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("counter", String(32)),
    Column("called_at", TS),
    # the queue position: issued_at, except for a requeued no-show (issued_at never changes)
    Column("queued_at", TS),
    Column("started_at", TS),
    Column("finished_at", TS),
    Column("staff", String(36)),  # the clerk who called / served it (staff accounts)
    Column("reason", String(64)),  # of the last transition: result code, next_called, …
    Column("requeues", Integer, nullable=False, server_default="0"),
    UniqueConstraint("business_date", "number"),
    Index("ix_tickets_queue", "service", "business_date", "status", "queued_at"),
    Index("ix_tickets_counter_status", "counter", "status"),
    Index("ix_tickets_holder_day", "holder", "business_date"),  # one waiting per person
    # people_ahead counts from this index alone (no table row per waiting ticket)
    Index(
        "ix_tickets_waiting", "service", "business_date", "status", "priority", "queued_at", "pk"
    ),
)

# Append-only: one row per ticket transition, written in the transition's transaction. The pk
# is taken from the `counters` sequence row at commit (hall_server.eventlog), so ids are
# gapless and in commit order: a reader resuming after id N never skips a late commit.
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("pk", BigInteger, primary_key=True, autoincrement=False),
    Column("ticket_id", String(36), nullable=False, index=True),
    Column("from_state", String(16)),  # NULL: the ticket was issued
    Column("to_state", String(16), nullable=False),
    Column("at", TS, nullable=False),
    Column("counter", String(32)),
    Column("actor_kind", String(8), nullable=False),  # device, staff, system
    Column("actor_id", String(64)),
    Column("service", String(32), nullable=False),
    Column("target_service", String(32)),  # transfers
    Column("reason", String(64)),
)

appointments = Table(
    "appointments",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("service", String(32), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("holder", String(128)),
    Column("status", String(16), nullable=False),  # booked, checked_in, cancelled
    Column("ticket_id", String(36)),
    Column("created_at", TS, nullable=False),
    Column("slot_start", TS),  # NULL: an appointment loaded without a slot (any time that day)
    Column("name_masked", String(64)),
    Column("device_id", String(36)),
    # check-in by ID card: a holder's appointments of one business day
    Index("ix_appointments_holder_day", "holder", "business_date"),
    Index("ix_appointments_slots", "service", "business_date", "slot_start"),
)

applications = Table(
    "applications",
    metadata,
    Column("number", String(40), primary_key=True),
    Column("form", String(64), nullable=False),
    Column("item", String(64), nullable=False),
    Column("item_title", String(200), nullable=False),
    Column("holder", String(128), index=True),
    Column("fields", Text, nullable=False),  # personal data: never logged
    Column("status", String(32), nullable=False),
    Column("device_id", String(36)),
    Column("submitted_at", TS, nullable=False),
    Column("promised_by", Date),
    Column("updated_at", TS, nullable=False),
    # the kiosk died before showing the receipt: the citizen may not know it was filed
    Column("receipt_missing_at", TS),
)

application_history = Table(
    "application_history",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), ForeignKey("applications.number"), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("at", TS, nullable=False),
    Column("note", Text, nullable=False),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject", String(64), nullable=False, index=True),
    Column("subject_kind", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("comment", Text),
    Column("device_id", String(36)),
    Column("created_at", TS, nullable=False),
    Column("counter", String(32)),  # who served the rated ticket (reports by counter and staff)
    Column("staff", String(64)),
)

# 差评 (levels 1–2) are followed up: a call back (回访) due one working day later.
evaluation_cases = Table(
    "evaluation_cases",
    metadata,
    Column("evaluation_id", String(36), ForeignKey("evaluations.id"), primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("state", String(16), nullable=False),  # open, contacted, resolved
    Column("note", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_evaluation_cases_state_due", "state", "due_on"),
)

# Keys are unique per device forever: the UNIQUE constraint is the guarantee, not a lookup.
idempotency = Table(
    "idempotency",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(36), nullable=False),
    Column("key", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("device_id", "key"),
    Index("ix_idempotency_key", "key"),  # an offline ticket's page knows only the key
)

# Sliding-window rate limits shared by every server process (hall_server.ratelimit.DbWindow):
# one row per counted event, older rows deleted as the window moves.
rate_hits = Table(
    "rate_hits",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("at", Float, nullable=False),  # seconds since the epoch
    Index("ix_rate_hits_scope_key_at", "scope", "key", "at"),
)

# Fleet operations' and staff tables live in their own modules, on this same metadata.
from hall_server import schema_fleet, schema_notify, schema_staff, schema_usage  # noqa: E402,F401
from hall_server.waiting_counts import install_on_create  # noqa: E402

install_on_create(tickets)
