"""Plain data the use cases hand to screens and CLI: no Kivy, no SQL, no HTTP in sight."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ServiceView:
    code: str
    name: str
    name_en: str
    prefix: str
    waiting: int
    open: bool
    category: str = ""


@dataclass(frozen=True)
class TicketView:
    id: str
    number: str
    service: str
    service_name: str
    service_name_en: str
    people_ahead: int
    issued_at: str  # ISO 8601, hall time
    url: str  # the QR payload
    offline: bool = False  # issued while the hall server was unreachable
    priority: str | None = None
    printed: bool = False
    print_error: str | None = None  # an E-PRN code when the slip could not be printed
    estimated_wait_min: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AppointmentView:
    """One of today's appointments of the citizen holding the ID card."""

    code: str
    service: str
    service_name: str
    service_name_en: str
    status: str  # booked | checked_in
    ticket_number: str | None = None  # the number it was checked in with

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ItemSummary:
    code: str
    title: str
    title_en: str
    department: str
    handling_type: str
    promised_days: int
    matched: str = ""  # where the query matched: title | alias | pinyin | materials | conditions
    # … | similar (nothing matched as typed: a near miss, "您是不是要找")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SubmissionView:
    """What the citizen gets after submitting a form (or a rating)."""

    local_id: str  # the outbox key; stable before and after the server answers
    number: str | None  # the application number once the server assigned it
    status: str  # submitted | queued (waiting for the network) | refused
    receipt_url: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ProgressView:
    number: str
    item: str
    item_title: str
    status: str
    status_label: str
    history: list[dict[str, Any]] = field(default_factory=list)
    promised_by: str | None = None
    working_days_left: int | None = None
    deadline_state: str | None = None  # on_time | due_soon | overdue | done
    as_of: str = ""
    age_minutes: int = 0  # how old the record is (cache), shown as 更新于 N 分钟前
    stale: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
