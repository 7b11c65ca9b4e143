"""The app core the screens and the CLI share: one object per running kiosk.

It owns the local store, the outbox, the syncer thread and the device I/O thread. Screens
call its use cases (through `run_async` for anything that may wait) and receive events via
listeners, called from worker threads; the UI marshals them onto its own thread. Nothing here
imports Kivy, and the network is reached only through `offline_cache`.
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from common import errors, urls, wire
from common.errors import KioskError
from common.paths import hall_file, kiosk_home
from common.settings import Settings, load_settings
from common.views import (
    AppointmentView,
    ItemSummary,
    ProgressView,
    ServiceView,
    SubmissionView,
    TicketView,
)
from kiosk.ops.credentials import Credentials, load_credentials, server_url_refused
from kiosk.ops.usage import UsageCounter
from offline_cache.catalog import Catalog
from offline_cache.client import HallClient
from offline_cache.connectivity import Connectivity
from offline_cache.crypto import Sealer, load_device_secret
from offline_cache.fast_path import Online
from offline_cache.install_id import load_install_id
from offline_cache.outbox import Outbox
from offline_cache.records import ProgressCache, SubmissionRecords, TicketRecords
from offline_cache.services import ServiceCache
from offline_cache.store import LocalStore
from offline_cache.sync import Syncer

log = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]


class KioskCore:

    def __init__(self, settings: Settings, home: Path | None = None) -> None:
        self.settings = settings
        self.home = home or kiosk_home()
        self.store = LocalStore(self.home / "kiosk.db")
        secret = load_device_secret(self.home)
        self.outbox = Outbox(self.store, Sealer(secret, "outbox"), self.home / "outbox.lock")
        self.progress_sealer = Sealer(secret, "progress")
        self.catalog = Catalog(self.store)
        self.services = ServiceCache(self.store)
        self.tickets = TicketRecords(self.store)
        self.submissions = SubmissionRecords(self.store)
        self.progress_cache = ProgressCache(self.store)
        self._listeners: list[Listener] = []
        self.connectivity = Connectivity(
            on_change=lambda state: self.emit("connectivity", {"state": state}))
        self.credentials: Credentials | None = load_credentials(self.home, required=False)
        self.client: HallClient | None = None
        self.syncer: Syncer | None = None
        net = settings.network
        self.fast_path_timeout = (net.connect_timeout, min(net.read_timeout, 3.0))
        if self.credentials:
            if refused := server_url_refused(settings.server.url, self.credentials):
                log.warning("%s", refused)
            self.client = HallClient(
                self.credentials.server_url, self.credentials.token,
                connect_timeout=net.connect_timeout, read_timeout=net.read_timeout,
                get_retry_budget=net.get_retry_budget,
                ca_bundle=self.credentials.ca_bundle or settings.server.ca_bundle or None,
                device_id=self.credentials.device_id, install_id=load_install_id(self.home))
            self.syncer = Syncer(self.client, self.outbox, self.catalog, self.services,
                                 self.connectivity, maintenance=self.purge_personal_data)
        # what use cases hold to reach the server (the client never changes after start)
        self.online = Online(self.client, self.connectivity, self.fast_path_timeout)
        from kiosk.tickets import ticket_applier

        self.outbox.appliers["ticket"] = ticket_applier(self.outbox, self.tickets)
        self.outbox.appliers["application"] = self.submissions.apply_reply
        # kiosk use by function, sent with the heartbeat until the server acknowledges it
        self.usage = UsageCounter(self.store, self.today)
        self.outbox.appliers["heartbeat"] = self.usage.acknowledge
        self._work = ThreadPoolExecutor(max_workers=2, thread_name_prefix="core")
        # device jobs (print, read, speak) run here until start_devices() hands them to the
        # device I/O thread, which then owns every device
        self._devices: Any = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devices")
        self._io: Any = None  # hardware.io_thread.DeviceIoThread once start_devices() ran
        self._forms: dict[str, Any] | None = None
        self._voice: Any = None  # opened on first use, on the device thread
        self._ops: Any = None  # kiosk.ops.hook.OpsHook once the background syncer runs

    @classmethod
    def open(cls, settings: Settings | None = None, home: Path | None = None) -> KioskCore:
        return cls(settings or load_settings(), home)

    def start_background(self, interval: float = 1.0) -> None:
        """Start the syncer thread (the running kiosk; the CLI syncs in the foreground), with
        the heartbeat and remote-configuration checks after each pass (kiosk/ops/hook.py).
        Guide search moves to its own mapped connection (offline_cache/search_reader.py),
        its did-you-mean starts built on a worker, off the caller's (the UI's) thread."""
        self.catalog.open_reader(self.settings.kiosk.search_mmap_mib * 2**20)
        if self.catalog.reader is not None:
            self.run_async(self.catalog.warm_search)
        if self.syncer:
            from kiosk.ops.hook import OpsHook

            self._ops = OpsHook(self)
            self.syncer.hooks.append(self._ops)
            self.syncer.start(interval)

    def start_devices(self) -> None:
        """Start the device I/O thread (the running kiosk): it polls the ID card reader and
        the scanner and emits `card_placed`, `card_removed`, `code_scanned` and
        `device_status` to the listeners, and from then on runs every device job."""
        from kiosk.devices import start_device_io

        if self._io is None:
            self._io, self._devices = start_device_io(self.settings, self.emit, self._devices)

    def close(self) -> None:
        if self.syncer:
            self.syncer.stop()
        if self._io is not None:  # a screen waiting for a card must not hold the shutdown
            self._io.end_card_waits()
        self._work.shutdown(wait=True, cancel_futures=True)
        self._devices.shutdown(wait=True, cancel_futures=True)
        if self._voice is not None:
            self._voice.close()
        if self.client:
            self.client.close()
        self.catalog.close_reader()
        self.store.close()

    # --- events and async ----------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(event, payload)
            except Exception:
                log.exception("listener failed for %s", event)

    def run_async(self, fn: Callable[..., Any], *args: Any,
                  on_done: Callable[[Any, BaseException | None], None] | None = None,
                  **kwargs: Any) -> Future:
        future = self._work.submit(fn, *args, **kwargs)
        if on_done:
            future.add_done_callback(
                lambda f: on_done(None if f.exception() else f.result(), f.exception()))
        return future

    def syncer_wake(self) -> None:
        if self.syncer:
            self.syncer.wake()

    # --- identity --------------------------------------------------------------------------------
    @property
    def hall_name(self) -> str:
        return self.settings.hall.name

    def hall_key(self) -> str:
        if not self.credentials or not self.credentials.hall_key:
            raise KioskError(errors.NOT_PROVISIONED, "no hall key: enrol the kiosk first")
        return self.credentials.hall_key

    def kiosk_tag(self) -> str:
        if not self.credentials:
            raise KioskError(errors.NOT_PROVISIONED, "no kiosk tag")
        return self.credentials.kiosk_tag

    def public_base_url(self) -> str:
        if self.settings.hall.public_url:
            return self.settings.hall.public_url.rstrip("/")
        return (self.credentials.server_url if self.credentials else self.settings.server.url).rstrip("/")

    # --- queue -----------------------------------------------------------------------------------
    def list_services(self) -> list[ServiceView]:
        return self.services.all()

    def take_ticket(self, service_code: str, *, id_card: dict[str, Any] | None = None,
                    priority: str | None = None, appointment: str | None = None,
                    print_slip: bool = True) -> TicketView:
        from kiosk.tickets import take_ticket

        ticket = take_ticket(self._ticket_desk(), service_code, id_card=id_card,
                             priority=priority, appointment=appointment, print_slip=print_slip)
        self.usage.count("tickets")
        return ticket

    def ticket_shown(self, ref: str) -> bool:
        """The ticket screen shows this ticket (id or key): now it is the citizen's."""
        from kiosk.tickets import ticket_shown

        return ticket_shown(self._ticket_desk(), ref)

    def void_not_handed_over(self) -> dict[str, dict[str, int]]:
        """At the kiosk's start: what a dead process saved but never handed over. Tickets:
        never sent, or cancelled on the server through the outbox; applications: never
        filed, or flagged for the hall (kiosk/receipts.py)."""
        from kiosk.receipts import void_unreceipted
        from kiosk.tickets import void_unheld

        return {"tickets": void_unheld(self._ticket_desk()),
                "applications": void_unreceipted(self.store, self.submissions, self.outbox)}

    def receipt_shown(self, local_id: str) -> bool:
        """The receipt screen shows this application: now the citizen knows it was filed."""
        from kiosk.receipts import receipt_shown

        return receipt_shown(self.store, self.submissions, self.outbox, local_id)

    def scanned_ticket(self, ref: str) -> TicketView:
        """A ticket QR shown at the scanner (ref from `kiosk.tickets.ticket_ref_from_scan`):
        its live status, or what this kiosk stored."""
        from kiosk.tickets import scanned_ticket

        return scanned_ticket(self._ticket_desk(), ref)

    def requeue_ticket(self, ticket_id: str) -> TicketView:
        """Put a scanned no-show back in the queue, once (the server's rule)."""
        from kiosk.tickets import requeue

        return requeue(self._ticket_desk(), ticket_id)

    def _ticket_desk(self) -> Any:
        from kiosk.tickets import TicketDesk

        return TicketDesk(
            store=self.store, outbox=self.outbox, tickets=self.tickets, services=self.services,
            online=self.online, settings=self.settings, hall_key=self.hall_key,
            kiosk_tag=self.kiosk_tag, base_url=self.public_base_url,
            print_ticket=self.print_ticket, wake_syncer=self.syncer_wake, hall_now=self.hall_now)

    def leave_ticket_phone(self, ticket: TicketView, phone: str) -> str:
        """到号提醒: a mobile for this ticket's SMS notices; returns it masked."""
        from kiosk.notify_phone import leave_phone

        return leave_phone(self.store, self.outbox, self.online, target="ticket", ref=ticket.id,
                           stream=f"ticket:{ticket.service}", phone=phone)

    def leave_application_phone(self, view: SubmissionView, phone: str) -> str:
        """办件进度短信: a mobile for this application's status notices; returns it masked."""
        from kiosk.notify_phone import leave_phone

        return leave_phone(self.store, self.outbox, self.online, target="application",
                           ref=view.number or view.local_id, stream="application", phone=phone)

    def appointments_for_card(self, id_card: dict[str, Any]) -> list[AppointmentView]:
        """Today's appointments of the card's holder (needs the hall server: E-QUE-08)."""
        from kiosk.appointments import appointments_for_card

        return appointments_for_card(self.online, self.hall_key, id_card)

    def check_in(self, appointment: AppointmentView, id_card: dict[str, Any], *,
                 print_slip: bool = True) -> TicketView:
        """Check one of those appointments in: its ticket, taken with the appointment code
        and the card (whose holder hash lets the server match the booking)."""
        return self.take_ticket(appointment.service, id_card=id_card,
                                appointment=appointment.code, print_slip=print_slip)

    def print_ticket(self, ticket: TicketView) -> TicketView:
        """Print on the device thread; a printer fault never loses the ticket (it's stored)."""
        from dataclasses import replace

        try:
            self._devices.submit(self._print_ticket, ticket).result(timeout=15)
            return replace(ticket, printed=True)
        except KioskError as exc:
            log.warning("ticket %s not printed: %s", ticket.number, exc.code)
            return replace(ticket, printed=False, print_error=exc.code)
        except Exception as exc:  # a driver bug must not take the ticket with it
            log.exception("printer failed")
            return replace(ticket, printed=False, print_error=errors.PRINTER_UNAVAILABLE.code
                           if not isinstance(exc, KioskError) else exc.code)

    def _print_ticket(self, ticket: TicketView) -> None:
        from hardware.printer import TicketSlip, open_printer
        from hardware.printer.layouts import ticket_marks

        label, marks = ticket_marks(
            ticket.priority, appointment=ticket.appointment, real_name=ticket.real_name
        )
        slip = TicketSlip(
            hall_name=self.hall_name, number=ticket.number, service_name=ticket.service_name,
            service_name_en=ticket.service_name_en, people_ahead=ticket.people_ahead,
            issued_at=ticket.issued_at[:16].replace("T", " "), url=ticket.url,
            offline=ticket.offline, priority_label=label, marks=marks,
            hall_display=self.settings.kiosk.hall_display,
            footer="请留意叫号，过号需重新取号")
        with open_printer(self.settings.printer.target) as printer:
            printer.print_ticket(slip)

    # --- guide -----------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 20, department: str | None = None,
               life_event: str | None = None, audience: str | None = None) -> list[ItemSummary]:
        return self.catalog.search(query, limit=limit, department=department,
                                   life_event=life_event, audience=audience)

    def get_item(self, code: str) -> dict[str, Any]:
        item = self.catalog.get(code)
        if item is None:
            raise KioskError(errors.NOT_FOUND, f"item {code}")
        self.usage.count("guide_views")
        return item

    def guide_url(self, code: str) -> str:
        """The take-away address of an item's guide (QR on screen and on the checklist)."""
        return urls.guide_url(self.public_base_url(), code)

    def departments(self) -> list[str]:
        return self.catalog.departments()

    def life_events(self) -> list[str]:
        return self.catalog.life_events()

    def print_checklist(self, code: str) -> None:
        """The one-time checklist of materials (一次性告知单) for an item."""
        item = self.get_item(code)

        def _print() -> None:
            from hardware.printer import open_printer
            from kiosk.checklist import checklist_slip

            slip = checklist_slip({"code": code, **item}, hall_name=self.hall_name,
                                  guide_url=self.guide_url(code),
                                  printed_at=_local_now(self.settings.hall.timezone))
            with open_printer(self.settings.printer.target) as printer:
                printer.print_checklist(slip)

        self._devices.submit(_print).result(timeout=15)

    # --- forms and applications -----------------------------------------------------------------
    def forms(self) -> dict[str, Any]:
        if self._forms is None:
            from common.forms import load_forms

            self._forms = load_forms()
        return self._forms

    def validate_form(self, form_code: str, fields: dict[str, Any], *,
                      today: date | None = None) -> dict[str, Any]:
        """Field errors by key; date bounds such as "not after today" count from `today`
        (default: the hall's date now)."""
        from common.forms import validate_fields

        form = self.forms().get(form_code)
        if form is None:
            raise KioskError(errors.FORM_UNKNOWN, form_code)
        return validate_fields(form, fields, today=today or self.today())

    def today(self) -> date:
        """The hall's date (its time zone and its server's clock, not the machine's)."""
        return self.hall_now().date()

    def hall_now(self) -> datetime:
        """Now in the hall's zone by the hall server's clock: this kiosk's clock corrected by
        the offset measured at the last sync (offline_cache/hall_time.py)."""
        from offline_cache.hall_time import hall_now

        return hall_now(self.store, self.settings.hall.timezone, wall=self.outbox.clock)

    def submit_application(self, form_code: str, fields: dict[str, Any], *,
                           item: str | None = None, id_card: dict[str, Any] | None = None,
                           print_receipt: bool = False) -> SubmissionView:
        problems = self.validate_form(form_code, fields)
        if problems:
            first = next(iter(problems.items()))
            raise KioskError(errors.FIELD_INVALID, f"{first[0]}: {getattr(first[1], 'en', first[1])}")
        holder = None
        if id_card and id_card.get("id_number"):
            from common.holder import holder_hash

            holder = holder_hash(self.hall_key(), id_card["id_number"])
        item = self.filed_item(form_code, fields, item)
        body = wire.ApplicationRequest(form=form_code, fields=fields, item=item,
                                       holder=holder).model_dump(mode="json", exclude_none=True)
        view = self._submit("application", body, subject=item)
        entry = (self.catalog.get(item) or {}) if item else {}
        view = dataclasses.replace(view, item=item, item_title=entry.get("title", ""),
                                   item_title_en=entry.get("title_en", ""))
        if print_receipt and view.number:
            self._print_receipt(view)
        self.usage.count("form_submissions")
        return view

    def filed_item(self, form_code: str, fields: dict[str, Any],
                   opened_from: str | None) -> str | None:
        """The item an application files under, as the hall server decides it: the item the
        citizen's choice inside the form names (办理类别 首次/补发/换发 …), else the guide it
        was opened from, else the form's first item (hall_server.applications.filed_item)."""
        from common.forms import resolve_item

        form = self.forms().get(form_code)
        if form is None:
            return opened_from
        return resolve_item(form, fields) or opened_from or (form.items[0] if form.items else None)

    def _print_receipt(self, view: SubmissionView) -> None:
        item = (self.catalog.get(view.item) or {}) if view.item else {}
        promised = item.get("promised_days") if item.get("handling_type") != "即办件" else None

        def _print() -> None:
            from hardware.printer import ReceiptSlip, open_printer

            slip = ReceiptSlip(hall_name=self.hall_name, application_number=view.number or "",
                               item_title=view.item_title,
                               submitted_at=_local_now(self.settings.hall.timezone),
                               status="已提交", url=view.receipt_url or "",
                               promised_days=promised)
            with open_printer(self.settings.printer.target) as printer:
                printer.print_receipt(slip)

        try:
            self._devices.submit(_print).result(timeout=15)
        except Exception:  # the application is filed; a missing receipt must not undo that
            log.exception("receipt not printed")

    # --- evaluations -----------------------------------------------------------------------------
    def evaluation_reasons(self, level: int) -> list[dict[str, Any]]:
        path = hall_file("evaluation_reasons.toml")
        if not path.exists():
            return []
        with path.open("rb") as fh:
            reasons = tomllib.load(fh).get("reason", [])
        return [r for r in reasons if r.get("level") == level]

    def rate(self, subject: str, level: int, reasons: list[str],
             comment: str | None = None) -> SubmissionView:
        body = wire.EvaluationRequest(subject=subject, level=level, reasons=reasons,
                                      comment=comment).model_dump(mode="json", exclude_none=True)
        return self._submit("evaluation", body, subject=subject)

    def _submit(self, kind: str, body: dict[str, Any], subject: str | None) -> SubmissionView:
        """Durable first (outbox + submission row in one transaction), then a bounded attempt."""
        from offline_cache.outbox import now_iso

        key = str(uuid.uuid4())
        with self.store.transaction() as conn:
            self.outbox.enqueue(conn, key=key, kind=kind, stream=kind, body=body)
            self.submissions.add(conn, key=key, kind=kind, subject=subject, created_at=now_iso())
        attempt = self.online.try_now(self.outbox, key)
        if attempt.outcome == "sent":
            number = attempt.reply.get("number")
            url = (urls.application_url(self.public_base_url(), number, attempt.reply.get("token"))
                   if number else None)
            return SubmissionView(local_id=key, number=number, status=attempt.reply.get(
                "status", "submitted"), receipt_url=url)
        if attempt.outcome == "refused" and attempt.error is not None:
            return SubmissionView(local_id=key, number=None, status="refused",
                                  error=attempt.error.code)
        self.syncer_wake()
        # the receipt's QR opens the application page once the record has reached the server
        url = urls.offline_application_url(self.public_base_url(), key) if kind == "application" \
            else None
        return SubmissionView(local_id=key, number=None, status="queued", receipt_url=url)

    # --- progress --------------------------------------------------------------------------------
    def progress(self, number: str) -> ProgressView:
        from kiosk.progress import progress

        view = progress(self._progress_desk(), number)
        self.usage.count("progress_queries")
        return view

    def progress_by_id_card(self, id_number: str) -> list[ProgressView]:
        from kiosk.progress import progress_by_id_card

        views = progress_by_id_card(self._progress_desk(), id_number)
        self.usage.count("progress_queries")
        return views

    def _progress_desk(self) -> Any:
        from kiosk.progress import ProgressDesk

        return ProgressDesk(online=self.online, cache=self.progress_cache,
                            sealer=self.progress_sealer, hall_key=self.hall_key, today=self.today,
                            submissions=self.submissions,
                            item_title=lambda code: (self.catalog.get(code) or {}).get("title", ""))

    # --- devices ---------------------------------------------------------------------------------
    def read_id_card(self, timeout: float = 10.0) -> dict[str, Any]:
        """The card on the reader, or the next one placed within `timeout` seconds."""
        if self._io is not None and self._io.polls_idcard:  # the I/O thread reads cards
            return self._io.wait_card(timeout).to_json()

        def _read() -> dict[str, Any]:
            from hardware.idcard import open_idcard_reader

            with open_idcard_reader(self.settings.devices.idcard) as reader:
                return reader.read_card(timeout).to_json()

        return self._devices.submit(_read).result(timeout=timeout + 5)

    def on_device_thread(self, fn: Callable[..., Any], *args: Any, timeout: float = 20.0) -> Any:
        """Run `fn(*args)` on the device thread (the one owner of device I/O) and wait for it:
        the technician screen's device tests (kiosk/ops/technician.py) go through here."""
        return self._devices.submit(fn, *args).result(timeout=timeout)

    def say(self, text: str) -> None:
        """Speak a prompt (elderly mode) on the device thread; voice is an aid, so a missing
        or failing speech device is logged, never raised to the screen."""

        def _say() -> None:
            from hardware.voice import open_voice

            try:
                if self._voice is None:
                    self._voice = open_voice(self.settings.devices.voice)
                    self._voice.open()
                self._voice.say(text)
            except Exception:
                log.warning("voice prompt failed", exc_info=True)

        self._devices.submit(_say)

    def call_staff(self, reason: str = "") -> None:
        """Raises a request the hall sees on /admin/devices: kept for 30 minutes and sent
        with the next heartbeat, which goes out at once (kiosk/ops/heartbeat.py)."""
        from kiosk.ops.heartbeat import add_call_staff

        log.info("call-staff requested: %s", reason or "-")
        add_call_staff(self.store, reason)
        if self._ops is not None:
            self._ops.heartbeat_soon()
        self.emit("call_staff", {"reason": reason})

    def clear_call_staff(self) -> None:
        """Staff came: drop the open requests (the technician screen's "done")."""
        from kiosk.ops.heartbeat import clear_call_staff

        clear_call_staff(self.store)
        if self._ops is not None:
            self._ops.heartbeat_soon()

    def device_statuses(self, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Each configured device's status, asked on the device thread (which owns device I/O):
        [{"family", "target", "status", "status_name", "message", "code"}]."""
        from kiosk.ops.device_check import check_devices

        return self._devices.submit(check_devices, self.settings).result(timeout=timeout)

    # --- operations ------------------------------------------------------------------------------
    def apply_pending_config(self, actor: str = "kiosk") -> dict[str, Any] | None:
        """Apply a pending remote configuration. Call only when no citizen is in session;
        None when nothing was pending. Emits `config_applied` with the changed keys."""
        from kiosk.ops.remote_config import apply_pending

        return apply_pending(self.config_desk(), actor=actor)

    def config_desk(self) -> Any:
        """What the remote configuration layer (kiosk/ops/remote_config.py) uses."""
        from kiosk.ops.remote_config import ConfigDesk

        def use_settings(settings: Settings) -> None:
            self.settings = settings

        return ConfigDesk(home=self.home, store=self.store, outbox=self.outbox,
                          client=self.client, settings=self.settings,
                          use_settings=use_settings, emit=self.emit)

    def resume_outbox(self, actor: str = "technician") -> None:
        """Resume a paused outbox (after re-enrolment); audited."""
        from kiosk.ops import audit

        paused = self.outbox.paused()
        self.outbox.resume()
        audit.record(self.home, "outbox_resume", outbox=self.outbox, actor=actor,
                     detail={"was_paused": paused or ""})
        self.syncer_wake()

    # --- privacy and time ------------------------------------------------------------------------
    def purge_personal_data(self) -> dict[str, int]:
        from offline_cache.retention import purge

        p = self.settings.privacy
        return purge(self.store, sent_hours=p.sent_retention_hours,
                     progress_hours=p.progress_retention_hours)

    def clock_check(self) -> dict[str, Any]:
        """Is this kiosk's clock behind the last server time it saw? (Works offline too: a
        terminal that lost its RTC after a power cut wakes up in the past.)"""
        from datetime import UTC, datetime

        from offline_cache.sync import SERVER_TIME_META, SKEW_META

        last = self.store.get_meta(SERVER_TIME_META)
        skew = self.store.get_meta(SKEW_META)
        tolerance = self.settings.privacy.clock_tolerance_s
        behind = bool(last) and (datetime.fromisoformat(last) - datetime.now(UTC)
                                 ).total_seconds() > tolerance
        skew_s = float(skew) if skew else None
        return {"last_server_time": last, "skew_s": skew_s, "behind": behind,
                "skewed": skew_s is not None and abs(skew_s) > tolerance}

    # --- sync ------------------------------------------------------------------------------------
    def sync_once(self, *, pull_catalog: bool = True, on_progress=None):
        if self.syncer is None:
            raise KioskError(errors.NOT_PROVISIONED, "kiosk sync needs an enrolled kiosk")
        return self.syncer.sync_once(pull_catalog=pull_catalog, on_progress=on_progress)


def _local_now(tz: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
