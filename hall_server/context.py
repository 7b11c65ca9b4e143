"""Everything a request needs, built once per server: settings, database, clock, limits."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common.schedule import Schedule
from hall_server.clock import Clock, business_date
from hall_server.db import Database
from hall_server.estimate import WaitEstimator
from hall_server.evaluations import load_reasons
from hall_server.live import Background
from hall_server.proxies import TrustedProxies
from hall_server.ratelimit import DbWindow, SlidingWindow, shared_window

log = logging.getLogger(__name__)

ENROLL_WINDOW_SECONDS = 15 * 60  # wrong enrolment codes are counted per address over this


@dataclass
class HallContext:
    settings: Any  # common.settings.Settings
    database: Database
    clock: Clock
    hall_key: str
    version: str
    reasons_path: Path | None = None
    forms_dir: Path | None = None
    data_dir: Path | None = None  # the server's own files (call audio cache); set by runner
    config_dir: Path | None = None  # where schedule.toml and holidays.toml are; None: the hall's
    schedule: Schedule = field(init=False)
    personal: Any = None  # hall_server.personal.PersonalData: seals submitted forms
    zone: ZoneInfo = field(init=False)
    reasons: dict[str, int] | None = field(init=False)
    lookup_limit: SlidingWindow | DbWindow = field(init=False)
    enroll_failures: SlidingWindow | DbWindow = field(init=False)
    enroll_codes_tried: SlidingWindow | DbWindow = field(init=False)
    proxies: TrustedProxies = field(init=False)
    last_seen_written: dict[str, float] = field(init=False, default_factory=dict)
    background: Background = field(init=False)  # event hub, LISTEN, midnight sweep
    _forms: Any = field(init=False, default=None)
    _forms_loaded: bool = field(init=False, default=False)
    _forms_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _page_key: str | None = field(init=False, default=None)
    catalog_stores: Any = field(init=False, default=None)  # hall_server.catalog_store.of

    estimator: WaitEstimator = field(init=False, default_factory=WaitEstimator)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.settings.hall.timezone)
        self.reasons = load_reasons(self.reasons_path)
        if self.config_dir is None:
            from common.paths import hall_file

            self.schedule = Schedule.load(hall_file("schedule.toml"), hall_file("holidays.toml"))
        else:
            self.schedule = Schedule.load(
                self.config_dir / "schedule.toml", self.config_dir / "holidays.toml"
            )
        # shared by every server process on PostgreSQL (`kiosk serve --workers N`)
        self.lookup_limit = shared_window(
            self.database, "lookup", self.settings.server.lookup_rate_per_minute, 60.0
        )
        self.enroll_failures = shared_window(
            self.database, "enroll", self.settings.server.enroll_attempts, ENROLL_WINDOW_SECONDS
        )
        self.background = Background(self)
        # (address, code) pairs already counted: retyping one wrong code is one guess, not many,
        # so a technician testing a wrong code does not lock the address out.
        self.enroll_codes_tried = shared_window(self.database, "enroll_code", 1,
                                                ENROLL_WINDOW_SECONDS)
        self.proxies = TrustedProxies(self.settings.server.trusted_proxies)

    def record_enroll_failure(self, address: str, code_hash: str) -> None:
        """Count a wrong code against `address` once per distinct code in the window."""
        if self.enroll_codes_tried.hit(f"{address}|{code_hash}") is None:
            self.enroll_failures.record(address)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self, when: datetime | None = None) -> date:
        return business_date(when or self.clock.now(), self.zone)

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.zone)

    def page_key(self) -> str:
        """The server-only key of application page tokens (hall_server/page_tokens.py)."""
        if self._page_key is None:
            from hall_server.page_tokens import ensure_page_key

            self._page_key = ensure_page_key(self.database)
        return self._page_key

    def forms(self) -> tuple[Any, Any] | None:
        """(load_forms() result, validate_fields) once common.forms exists; None without it.
        A broken forms directory raises its KioskError on every call (applications are then
        refused, not accepted unchecked) until it is fixed and the server restarted."""
        with self._forms_lock:
            if not self._forms_loaded:
                try:
                    from common import forms as forms_module
                except ModuleNotFoundError as exc:
                    if exc.name != "common.forms":  # the module exists but is broken: say so
                        raise
                    log.warning("common.forms is not available: application forms are not validated")
                    self._forms = None
                else:
                    self._forms = (
                        forms_module.load_forms(self.forms_dir),
                        forms_module.validate_fields,
                    )
                self._forms_loaded = True
            return self._forms
