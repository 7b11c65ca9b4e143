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
    # tickets left today under the service's daily_cap, as of the last sync (None: no cap)
    left_today: int | None = None


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
    # the server's live status when looked up (a ticket QR scanned at home): waiting |
    # called | served | expired | no_show …; None for a ticket just taken
    status: str | None = None
    counter: str | None = None  # the counter it was called to
    requeues: int = 0  # how often a no-show was put back in the queue (once at most)
    appointment: bool = False  # taken with an appointment (预约签到)
    real_name: bool = False  # taken with the ID card (实名取号)

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
    item: str | None = None  # the service item (事项) it files under
    item_title: str = ""
    item_title_en: str = ""

    @property
    def local_number(self) -> str:
        """The local registration number (登记号) shown while the application waits for the
        network; the progress query finds it (kiosk/progress.py), then the server's number."""
        return local_number(self.local_id)


def local_number(key: str) -> str:
    return key.replace("-", "")[:8].upper()


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
