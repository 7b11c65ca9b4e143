"""API v1 wire models, shared by the hall server and the kiosk's HTTP client.

Needs nothing beyond pydantic, so a terminal never pulls the server stack and the server never
pulls the UI stack. Replies are parsed with `extra="ignore"` so an older kiosk keeps working
against a newer server that added fields; requests forbid unknown fields so a typo is a 422.
The catalog item model is also the JSON Schema of `kiosk admin import-catalog`
(docs/catalog.schema.json is generated from it; a test keeps them equal).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX = "/api/v1"

Role = Literal["kiosk", "counter", "admin"]

APPLICATION_STATUSES: dict[str, str] = {
    "submitted": "已提交",
    "pending_acceptance": "待受理",
    "accepted": "已受理",
    "correction_requested": "补齐补正",
    "under_review": "审核中",
    "suspended": "特殊程序/挂起",
    "approved": "办结(准予)",
    "rejected": "办结(不予许可)",
    "not_accepted": "不予受理",
    "returned": "退件",
    "ready_for_pickup": "待领取",
    "delivered": "已送达",
}
ApplicationStatus = Literal[
    "submitted", "pending_acceptance", "accepted", "correction_requested", "under_review",
    "suspended", "approved", "rejected", "not_accepted", "returned", "ready_for_pickup",
    "delivered",
]

EVALUATION_LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


class Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ----------------------------------------------------------------------------------
class ErrorDetail(Reply):
    code: str
    message: str
    hint: str | None = None


class ErrorBody(Reply):
    error: ErrorDetail


# --- health and devices ----------------------------------------------------------------------
class Health(Reply):
    status: Literal["ok"]
    version: str
    hall: str
    time: datetime  # server time (aware, UTC) so kiosks can detect clock skew
    timezone: str | None = None


class EnrollRequest(Request):
    code: str = Field(min_length=4, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    location: str | None = Field(default=None, max_length=200)
    # A re-enrolling kiosk (`provision --replace`) proves it is the device it replaces, so it
    # keeps its tag and the offline numbers it printed under it are still its own.
    previous_token: str | None = Field(default=None, max_length=128)


class EnrollResponse(Reply):
    device_id: str
    token: str
    role: Role
    hall: str | None = None
    hall_key: str | None = None  # hex key for holder hashes; delivered to kiosk-role devices
    tag: str | None = None  # short unique kiosk tag for offline ticket numbers (A-K3-017)


# --- catalog ---------------------------------------------------------------------------------
class Material(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    form: Literal["原件", "复印件", "电子", "原件和复印件"] = "原件"
    copies: int = Field(default=1, ge=0)
    required: bool = True
    note: str = ""


class Fee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    charged: bool = False
    amount: str = ""  # e.g. "80元/件"
    basis: str = ""


class Situation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    materials: list[str] = Field(default_factory=list)  # extra material names for this branch


class Faq(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str
    a: str


class CatalogItemIn(BaseModel):
    """One service item (事项) as imported from JSON Lines; every guide element (办事指南要素)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    title: str = Field(min_length=1, max_length=200)
    title_en: str = ""
    department: str = Field(min_length=1)
    department_en: str = ""
    item_type: Literal[
        "行政许可", "行政给付", "行政确认", "行政裁决", "行政奖励", "行政征收", "其他行政权力", "公共服务"
    ] = "公共服务"
    handling_type: Literal["即办件", "承诺件"] = "承诺件"
    audience: list[Literal["个人", "法人"]] = Field(default_factory=lambda: ["个人"])
    life_events: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    legal_basis: str = ""
    conditions: list[str] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    situations: list[Situation] = Field(default_factory=list)
    legal_days: int = Field(default=0, ge=0)
    promised_days: int = Field(default=0, ge=0)
    fee: Fee = Field(default_factory=Fee)
    location: str = ""
    hours: str = ""
    phone: str = ""
    complaint_phone: str = ""
    visits: int = Field(default=1, ge=0, le=5)
    online_url: str = ""
    faq: list[Faq] = Field(default_factory=list)
    forms: list[str] = Field(default_factory=list)
    queue_service: str | None = None  # queue service code to take a ticket for this item
    popularity: int = Field(default=0, ge=0)


class SearchHelpers(Reply):
    """Precomputed on the server (pypinyin) so the kiosk needs no pinyin library."""

    title_pinyin: str = ""  # "ying ye zhi zhao"
    title_initials: str = ""  # "yyzz"
    alias_pinyin: list[str] = Field(default_factory=list)
    alias_initials: list[str] = Field(default_factory=list)


class CatalogItem(CatalogItemIn):
    model_config = ConfigDict(extra="ignore")
    search: SearchHelpers = Field(default_factory=SearchHelpers)
    updated_at: datetime | None = None


class CatalogChanges(Reply):
    items: list[CatalogItem]
    deleted: list[str]
    cursor: str
    more: bool


# --- queue -----------------------------------------------------------------------------------
class QueueService(Reply):
    code: str
    name: str
    name_en: str = ""
    prefix: str
    waiting: int
    open: bool
    category: str = ""
    daily_cap: int | None = None
    issued_today: int = 0


class QueueServices(Reply):
    services: list[QueueService]


PriorityReason = Literal["elderly", "disabled", "pregnant", "military", "other"]


class TicketRequest(Request):
    service: str
    holder: str | None = Field(default=None, max_length=128)  # hall-keyed hash of the ID number
    priority: PriorityReason | None = None
    appointment: str | None = Field(default=None, max_length=64)
    issued_at: datetime | None = None  # offline tickets: when the kiosk issued it
    offline_number: str | None = Field(default=None, max_length=32)  # number printed offline


class BookingRequest(Request):
    """预约: a time slot of one service on one day, for the holder of an ID card."""

    service: str = Field(min_length=1, max_length=32)
    date: date
    slot: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")  # its start, "09:30"
    holder: str = Field(min_length=16, max_length=128)  # hall-keyed hash of the ID number
    name: str = Field(default="", max_length=64)  # stored masked (张*) only


class Booking(Reply):
    code: str
    service: str
    date: date
    slot: str
    slot_end: str
    status: str
    name_masked: str


class BookingCancelled(Reply):
    code: str
    service: str
    date: date
    status: str


class Slot(Reply):
    start: str
    end: str
    capacity: int
    booked: int
    available: bool


class SlotList(Reply):
    service: str
    date: date
    slots: list[Slot]


class Ticket(Reply):
    id: str
    number: str
    service: str
    people_ahead: int
    # from the hall's history (hall_server/estimate.py); None: no basis ("暂无估计")
    estimated_wait_min: int | None = None
    issued_at: datetime
    url: str
    service_name: str = ""
    service_name_en: str = ""
    priority: str | None = None
    status: str = "waiting"  # waiting, called, serving, served, no_show, held, cancelled, expired
    counter: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None  # of the last transition (result code, next_called, …)
    requeues: int = 0


class CallNextRequest(Request):
    # None: the services whose `counters` list names this counter (in its [[counter]] order)
    services: list[str] | None = None


def _code() -> Any:
    return Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


class FinishRequest(Request):
    result: str | None = _code()  # optional result code (办结结果), kept as the event's reason


class TransferRequest(Request):
    service: str = Field(min_length=1, max_length=32)  # the target service


class TicketRef(Request):
    ticket_id: str = Field(min_length=1, max_length=36)


class CancelRequest(Request):
    reason: str | None = _code()


class ServiceWaiting(Reply):
    service: str
    name: str = ""
    name_en: str = ""
    waiting: int
    open: bool = True
    longest_wait_s: int | None = None  # the longest-waiting ticket's wait, seconds
    # a ticket taken now: minutes until called (hall_server/estimate.py); None: no basis
    estimated_wait_min: int | None = None
    estimate_basis: str = "none"  # today, recent, default, none


CounterState = Literal["open", "paused", "closed"]


class Counter(Reply):
    """A counter (窗口): its state, current ticket, parked tickets, its services' queues."""

    code: str
    name: str
    name_en: str = ""
    area: str = ""
    state: CounterState
    services: list[str]
    current: Ticket | None = None
    held: list[Ticket] = []
    waiting: list[ServiceWaiting] = []


class CounterSummary(Reply):
    code: str
    name: str
    area: str = ""
    state: CounterState
    current_number: str | None = None
    current_status: str | None = None


class QueueOverview(Reply):
    business_date: date
    services: list[ServiceWaiting]
    counters: list[CounterSummary]
    counters_open: int
    waiting: int
    longest_wait_s: int | None = None


class TicketEvent(Reply):
    """One ticket transition as the event stream sends it (numbers only, no personal data)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: int
    ticket_id: str
    number: str
    service: str
    target_service: str | None = None
    from_: str | None = Field(default=None, alias="from")  # None: the ticket was issued
    to: str
    counter: str | None = None
    counter_name: str | None = None
    area: str | None = None
    at: datetime
    reason: str | None = None
    priority: str | None = None


AppointmentStatus = Literal["booked", "checked_in"]


class Appointment(Reply):
    """One of a holder's appointments for the hall's business day (check-in by ID card)."""

    code: str
    service: str
    service_name: str = ""
    service_name_en: str = ""
    status: AppointmentStatus
    ticket_number: str | None = None  # once checked in


class AppointmentList(Reply):
    business_date: date
    appointments: list[Appointment]


# --- applications ----------------------------------------------------------------------------
class ApplicationRequest(Request):
    form: str
    fields: dict[str, object]
    item: str | None = None
    holder: str | None = Field(default=None, max_length=128)


class ApplicationCreated(Reply):
    number: str
    status: ApplicationStatus
    token: str | None = None  # for the citizen's page /a/{number}?t={token} (common/urls.py)
    url: str | None = None  # that page, under the hall's public URL
    appointment: str | None = None  # a form that books (预约): the booking's code


class HistoryEntry(Reply):
    status: ApplicationStatus
    at: datetime
    note: str = ""


class Application(Reply):
    number: str
    item: str
    status: ApplicationStatus
    history: list[HistoryEntry]
    promised_by: date | None = None
    as_of: datetime
    item_title: str = ""
    receipt_missing: bool = False  # filed, but the kiosk never showed the citizen a receipt


class ReceiptMissingRequest(Request):
    """Outbox kind `receipt_missing`: this kiosk's application (by its Idempotency-Key) was
    filed but its receipt never shown; the hall follows it up."""

    application_key: str = Field(min_length=1, max_length=128)


class ApplicationList(Reply):
    applications: list[Application]
    as_of: datetime | None = None


class ApplicationStatusChange(Request):
    """PATCH /applications/{number}/status (counter or admin role)."""

    status: ApplicationStatus
    note: str = Field(default="", max_length=500)


# --- evaluations -----------------------------------------------------------------------------
class EvaluationRequest(Request):
    subject: str = Field(min_length=1, max_length=64)  # ticket id or application number
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list)
    comment: str | None = Field(default=None, max_length=500)


class EvaluationCreated(Reply):
    id: str
    subject: str
    level: int


class EvaluationCase(Reply):
    """A 差评 followed up (回访): due one working day after the rating."""

    id: str  # the evaluation's id
    subject: str
    subject_kind: str
    level: int
    reasons: list[str]
    comment: str | None
    counter: str | None
    staff: str | None
    rated_at: str | None
    due_on: date
    state: Literal["open", "contacted", "resolved"]
    note: str
    overdue: bool


class EvaluationCases(Reply):
    cases: list[EvaluationCase]


class CaseUpdate(Request):
    state: Literal["open", "contacted", "resolved"]
    note: str | None = Field(default=None, max_length=1000)


# --- offline sync (batch push) ---------------------------------------------------------------
SYNC_BATCH_MAX = 500
SyncKind = Literal["ticket", "application", "evaluation"]


class SyncRecord(Request):
    """One queued submission; `key` is its Idempotency-Key, `body` the single route's body.
    `kind` is a plain string so one unknown kind fails only its own record."""

    key: str = Field(min_length=1, max_length=128)
    kind: str = Field(min_length=1, max_length=32)
    body: dict[str, Any]


class SyncPushRequest(Request):
    records: list[SyncRecord] = Field(max_length=SYNC_BATCH_MAX)


class SyncResult(Reply):
    key: str
    status: int  # 201 created, 200 replayed, 4xx refused (body is then an ErrorBody)
    body: dict[str, Any]


class SyncPushResponse(Reply):
    results: list[SyncResult]


# --- administration --------------------------------------------------------------------------
class EnrollCodeRequest(Request):
    role: Role = "kiosk"
    expires: str = Field(default="24h", pattern=r"^\s*\d+\s*[smhd]?\s*$")


class EnrollCode(Reply):
    code: str
    role: Role
    expires_at: datetime


class DeviceRecord(Reply):
    id: str
    name: str
    role: Role
    tag: str | None = None
    location: str | None = None
    created_at: datetime | None = None
    last_seen: datetime | None = None
    revoked_at: datetime | None = None
    heartbeat_at: datetime | None = None  # the last heartbeat (hall_server/fleet.py), if any
    heartbeat: dict[str, Any] | None = None


class DeviceList(Reply):
    devices: list[DeviceRecord]


# --- fleet: heartbeats, audit, remote configuration (docs/api.md "Fleet") -------------------
class Telemetry(BaseModel):
    # Telemetry evolves with kiosk versions: an older server keeps what it knows (no 422 that
    # would park a newer kiosk's heartbeats as refused).
    model_config = ConfigDict(extra="ignore")


class DeviceHealth(Telemetry):
    family: str
    target: str = ""
    status: int = Field(ge=-1, le=4)  # hardware.base.DeviceStatus
    status_name: str = ""
    message: str = ""
    code: str | None = None


class OutboxHealth(Telemetry):
    pending: int = 0
    refused: int = 0
    paused: str | None = None
    oldest_pending_at: datetime | None = None


class CallStaff(Telemetry):
    at: datetime
    reason: str = Field(default="", max_length=200)


# What a kiosk counts per function for the manager's report (issue 12): no personal data.
USAGE_FUNCTIONS = ("tickets", "guide_views", "form_submissions", "progress_queries")


class UsageCount(Telemetry):
    day: date  # the hall's date the uses happened on
    function: Literal["tickets", "guide_views", "form_submissions", "progress_queries"]
    count: int = Field(ge=1, le=1_000_000)


class KioskUsage(Telemetry):
    """Counts since the previous batch. The kiosk sends the same batch with every heartbeat
    until the server acknowledges its id (`usage_batch` in the reply), so a lost reply never
    loses or doubles counts: the server stores each (kiosk, batch) once."""

    batch: str = Field(min_length=8, max_length=64)
    seq: int = Field(ge=1)
    counts: list[UsageCount] = Field(default_factory=list, max_length=400)


class Heartbeat(Telemetry):
    """Sent through the outbox (kind `heartbeat`); only the newest pending one is kept."""

    sent_at: datetime
    version: str = Field(max_length=32)
    status: Literal["ok", "warning", "fault"] = "ok"
    interval_s: float = 60.0
    devices: list[DeviceHealth] = Field(default_factory=list)
    outbox: OutboxHealth = Field(default_factory=OutboxHealth)
    last_sync: datetime | None = None
    catalog_synced_at: datetime | None = None
    disk_free_mb: float | None = None
    clock_skew_s: float | None = None
    config_version: int | None = None
    config_rejected: str | None = Field(default=None, max_length=500)
    call_staff: list[CallStaff] = Field(default_factory=list, max_length=20)
    uptime_s: float | None = None
    usage: KioskUsage | None = None


class AuditEvent(Telemetry):
    """One technician action on a kiosk (kind `audit`), stored once per key."""

    at: datetime
    action: str = Field(min_length=1, max_length=64)
    actor: str = Field(default="technician", max_length=64)
    outcome: str = Field(default="ok", max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict)


class RemoteConfig(Reply):
    """GET /config: the kiosk configuration layer the hall pushes (version 0: none yet)."""

    version: int
    etag: str
    config: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None


class RemoteConfigRequest(Request):
    config: dict[str, Any]
    source: str | None = Field(default=None, max_length=100_000)  # the TOML text, for the record


class FleetDevice(Reply):
    id: str
    name: str
    role: Role
    tag: str | None = None
    location: str | None = None
    created_at: datetime | None = None
    last_seen: datetime | None = None
    revoked_at: datetime | None = None
    heartbeat_at: datetime | None = None
    heartbeat: dict[str, Any] | None = None
    stale: bool = False
    paper_out: bool = False
    faults: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    call_staff: list[dict[str, Any]] = Field(default_factory=list)


class Fleet(Reply):
    devices: list[FleetDevice]
    now: datetime


# --- SMS notifications (到号提醒, 办件进度短信) ----------------------------------------------
MOBILE_PATTERN = r"^1[3-9]\d{9}$"  # a mainland mobile: 11 digits, 13x–19x
NotifyTarget = Literal["ticket", "application"]


class NotifyPhoneRequest(Request):
    """POST /notify/phones (kiosk role, Idempotency-Key): a citizen's mobile for a ticket or an
    application. `ref` is the server's ticket id / application number, or the kiosk's own
    Idempotency-Key of the ticket / application (a record filed offline knows only that)."""

    target: NotifyTarget
    ref: str = Field(min_length=1, max_length=128)
    phone: str = Field(pattern=MOBILE_PATTERN)


class NotifyPhoneAttached(Reply):
    target: NotifyTarget
    ref: str  # the ticket id or application number it was attached to
    phone: str  # masked: 139****5678
