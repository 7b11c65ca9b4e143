"""Take a ticket (取号), local-first.

The ticket and its outbox record are written in one transaction before anything else; then
the online fast path asks the hall server for the number (a bounded wait). If the server
cannot answer, the kiosk issues an offline number `A-K3-017` itself: the service prefix, the
kiosk's unique tag and a per-kiosk daily counter — unique across kiosks and the server without
any coordination (docs/offline-tickets.md). The record keeps its idempotency key, so the server
files it exactly once when the network returns, keeping the printed number.

Only a ticket handed to the citizen is theirs (issue 15): the store records when its screen
was shown and when the printer confirmed the slip. One saved but never handed over — the
kiosk died in between, or the store failed after the save (a full disk) — is voided:
never sent if it never left the kiosk, else cancelled on the server through the outbox. So
no counter calls a number nobody holds.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from common import errors, urls, wire
from common.errors import KioskError
from common.holder import holder_hash
from common.settings import Settings
from common.views import TicketView
from offline_cache.fast_path import Online
from offline_cache.outbox import TRANSIENT, Applier, Outbox, now_iso
from offline_cache.records import TicketRecords
from offline_cache.services import ServiceCache
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)

# A ticket's QR: {base}/t/{id}, or {base}/t/pending/{key} for one the server has not filed yet
_TICKET_IN_TEXT = re.compile(r"/t/(?:pending/)?([0-9A-Za-z][0-9A-Za-z-]{7,63})/?$")


@dataclass(frozen=True)
class TicketDesk:
    """What taking and showing tickets uses (KioskCore builds it per call, so a remote
    configuration applied meanwhile is seen)."""

    store: LocalStore
    outbox: Outbox
    tickets: TicketRecords
    services: ServiceCache
    online: Online
    settings: Settings
    hall_key: Callable[[], str]  # raise E-PRV when the kiosk is not enrolled
    kiosk_tag: Callable[[], str]
    base_url: Callable[[], str]  # the public address the QR codes point at
    print_ticket: Callable[[TicketView], TicketView]  # on the device thread; never raises
    wake_syncer: Callable[[], None]
    hall_now: Callable[[], datetime]  # the hall's time (this clock + the offset at last sync)


def take_ticket(desk: TicketDesk, service_code: str, *, id_card: dict[str, Any] | None = None,
                priority: str | None = None, appointment: str | None = None,
                print_slip: bool = True) -> TicketView:
    service = desk.services.get(service_code)
    if service is None:
        raise KioskError(errors.SERVICE_UNKNOWN, service_code)
    if not service.open:
        raise KioskError(errors.SERVICE_CLOSED, service_code)
    # The hall's time, not this kiosk's clock: a clock running behind must not file a ticket
    # taken after the hall's midnight on the previous business day.
    issued_at = desk.hall_now()
    today = issued_at.date().isoformat()
    holder = None
    if id_card and id_card.get("id_number"):
        holder = holder_hash(desk.hall_key(), id_card["id_number"])
        limit = desk.settings.kiosk.holder_daily_limit
        taken = desk.tickets.count_for_holder(holder, today)  # refused ones were never theirs
        if limit and taken >= limit:  # what one kiosk can enforce offline; the server does the rest
            raise KioskError(errors.HOLDER_LIMIT_REACHED, f"{taken} of {limit} today")
    key = str(uuid.uuid4())
    desk.outbox.held_back.add(key)  # the syncer leaves it until the citizen has it
    try:
        view = _issue(desk, key, service, holder=holder, priority=priority,
                      appointment=appointment, issued_at=issued_at, print_slip=print_slip)
    except BaseException:
        _void_now(desk, key)  # a refusal or a failure the citizen sees: not theirs
        raise
    desk.outbox.held_back.discard(key)  # the caller shows it (ticket_shown marks it)
    desk.wake_syncer()
    return view


def _issue(desk: TicketDesk, key: str, service: Any, *, holder: str | None,
           priority: str | None, appointment: str | None, issued_at: datetime,
           print_slip: bool) -> TicketView:
    """Save, ask the server (or number offline), print: the ticket as the citizen gets it."""
    service_code, today = service.code, issued_at.date().isoformat()
    body = wire.TicketRequest(service=service_code, holder=holder, priority=priority,
                              appointment=appointment).model_dump(mode="json", exclude_none=True)
    # Known to be offline: the offline number goes into the same commit (one fsync, not two).
    try_online = desk.online.reachable()
    estimate: int | None = None  # only the hall server's, from its history (never invented)
    with desk.store.transaction() as conn:
        desk.outbox.enqueue(conn, key=key, kind="ticket", stream=f"ticket:{service_code}", body=body)
        desk.tickets.add(conn, key=key, service=service_code, business_date=today,
                         issued_at=issued_at.isoformat(), holder=holder, priority=priority)
        if not try_online:
            _assign_offline_number(desk, conn, key, service.prefix, body, issued_at, today)

    if try_online:
        attempt = desk.online.try_now(desk.outbox, key)
        if attempt.outcome == "refused" and attempt.error is not None:
            raise attempt.error  # refused by a rule (cap, limit, closed): the citizen must know
        if attempt.outcome == "queued":
            with desk.store.transaction() as conn:  # the fast path failed: number it now
                _assign_offline_number(desk, conn, key, service.prefix, body, issued_at, today)
        elif attempt.outcome == "sent":
            estimate = attempt.reply.get("estimated_wait_min")

    row = desk.tickets.get(key)
    if row is None:  # written above in this call: only a broken store gets here
        raise KioskError(errors.NOT_FOUND, f"ticket {key} vanished from the local store")
    view = replace(_view(desk, row, service, estimate), appointment=bool(appointment))
    if print_slip:
        view = desk.print_ticket(view)
        if view.printed:  # paper in the citizen's hand: theirs, whatever happens next
            _mark_handed(desk, key, "printed")
    return view


def _mark_handed(desk: TicketDesk, key: str, what: str) -> None:
    """Record that the citizen has it; a store that cannot (a full disk) must not take the
    ticket from them now — they hold it whatever the record says."""
    try:
        with desk.store.transaction() as conn:
            desk.tickets.mark(conn, key, what, now_iso())
    except KioskError as exc:
        log.error("ticket %s %s but not recorded so (%s)", key, what, exc.code)


def ticket_shown(desk: TicketDesk, ref: str) -> bool:
    """The ticket screen shows this ticket (its id or key): the citizen holds its number."""
    row = desk.tickets.find(ref)
    if row is None:
        return False
    _mark_handed(desk, row["key"], "shown")
    desk.outbox.held_back.discard(row["key"])
    return True


VOID_REASON = "kiosk.not_handed_over"


def void_unheld(desk: TicketDesk, keys: set[str] | None = None) -> dict[str, int]:
    """Void the tickets saved but neither shown nor printed (at the kiosk's start: the process
    that saved them died before handing them over). Not sent yet → `void`, never sent; filed
    on the server → a cancel through the outbox; maybe filed (sent, reply lost) → sent again
    and cancelled once the server's answer names it (`ticket_applier`)."""
    counts = {"voided": 0, "cancelled": 0, "awaiting": 0}
    for row in desk.tickets.unheld():
        if keys is not None and row["key"] not in keys:
            continue
        with desk.store.transaction() as conn:
            desk.tickets.mark(conn, row["key"], "voided", now_iso())
            if desk.outbox.void(conn, row["key"]):
                counts["voided"] += 1
            elif row["state"] == "sent" and row["server_id"]:
                desk.outbox.enqueue_cancel(conn, row["server_id"], VOID_REASON)
                counts["cancelled"] += 1
            elif row["state"] != "refused":  # the server may hold it: its reply will say
                counts["awaiting"] += 1
        desk.outbox.held_back.discard(row["key"])
    if any(counts.values()):
        log.warning("tickets never handed to a citizen: %(voided)d voided, %(cancelled)d "
                    "cancelled on the server, %(awaiting)d to cancel once delivered", counts)
        desk.wake_syncer()
    return counts


def _void_now(desk: TicketDesk, key: str) -> None:
    """take_ticket failed after the save: void it now; if the store cannot even do that (a
    full disk), it stays held back from this process's syncer and the next start voids it."""
    try:
        void_unheld(desk, {key})
    except Exception as exc:  # the first error is the one the citizen must see
        log.error("ticket %s not voided now (%s): held back until restart", key,
                  getattr(exc, "code", type(exc).__name__))
        return
    desk.outbox.held_back.discard(key)  # voided, or never saved at all


def ticket_applier(outbox: Outbox, tickets: TicketRecords) -> Applier:
    """The outbox applier for tickets: the server's reply fills the row; a ticket voided
    meanwhile (never handed over) is cancelled on the server in the same commit."""

    def apply(conn: sqlite3.Connection, key: str, reply: dict[str, Any]) -> None:
        tickets.apply_reply(conn, key, reply)
        voided = conn.execute("SELECT voided_at FROM ticket WHERE key = ?", (key,)).fetchone()
        if voided and voided[0] and reply.get("id"):
            outbox.enqueue_cancel(conn, str(reply["id"]), VOID_REASON)

    return apply


def _assign_offline_number(desk: TicketDesk, conn: sqlite3.Connection, key: str, prefix: str,
                           body: dict[str, Any], issued_at: datetime, today: str) -> None:
    """Number the ticket from this kiosk's own counter, in the caller's transaction."""
    counter_key = f"offline_counter:{today}:{prefix}"
    n = int(desk.store.get_meta(counter_key) or "0") + 1
    number = f"{prefix}-{desk.kiosk_tag()}-{n:03d}"
    desk.store.set_meta(conn, counter_key, str(n))
    desk.tickets.number_offline(conn, key, number)
    # The server keeps a printed offline number; it learns it with the record.
    desk.outbox.replace_body(conn, key, {**body, "offline_number": number,
                                         "issued_at": issued_at.isoformat()})
    log.info("ticket issued offline as %s", number)


def _view(
    desk: TicketDesk, row: dict[str, Any], service: Any, estimate: int | None = None
) -> TicketView:
    """`estimate`: the hall server's minutes (hall_server/estimate.py); None offline or without
    a basis, and the screen says so rather than show a number."""
    waiting = service.waiting
    people_ahead = row["people_ahead"] if row["people_ahead"] is not None else waiting
    url = row["url"] or urls.offline_ticket_url(desk.base_url(), row["key"])
    return TicketView(
        id=row["server_id"] or row["key"], number=row["number"], service=row["service"],
        service_name=service.name, service_name_en=service.name_en, people_ahead=people_ahead,
        issued_at=row["issued_at"], url=url, offline=bool(row["offline"]),
        priority=row["priority"], estimated_wait_min=estimate, real_name=bool(row.get("holder")))


def ticket_ref_from_scan(text: str) -> str | None:
    """The ticket id (or pending key) in a scanned ticket QR, None if it is not one."""
    match = _TICKET_IN_TEXT.search(text.strip())
    return match.group(1) if match else None


def scanned_ticket(desk: TicketDesk, ref: str) -> TicketView:
    """A ticket shown at the scanner: its live status from the hall server, else what this
    kiosk stored when it issued it. E-API-01 when neither knows it."""
    row = desk.tickets.find(ref)
    server_id = (row["server_id"] if row else ref) or None
    client = desk.online.client
    if server_id and client is not None and desk.online.reachable():
        try:
            ticket = client.get_ticket(server_id, timeout=desk.online.timeout)
        except KioskError as exc:
            if row is None and exc.code == errors.NOT_FOUND.code:
                raise
            log.warning("ticket status not available: %s", exc.code)
        else:
            return _live_view(desk, ticket, row)
    if row is None:
        raise KioskError(errors.NOT_FOUND, "ticket not issued here and not known to the server")
    service = desk.services.get(row["service"])
    if service is None:
        raise KioskError(errors.SERVICE_UNKNOWN, row["service"])
    return _view(desk, row, service)


def _live_view(desk: TicketDesk, ticket: wire.Ticket, row: dict[str, Any] | None) -> TicketView:
    issued = ticket.issued_at.astimezone(ZoneInfo(desk.settings.hall.timezone)).isoformat()
    return TicketView(
        id=ticket.id, number=row["number"] if row and row["offline"] else ticket.number,
        service=ticket.service, service_name=ticket.service_name,
        service_name_en=ticket.service_name_en, people_ahead=ticket.people_ahead,
        issued_at=issued, url=ticket.url, offline=bool(row and row["offline"]),
        priority=ticket.priority, estimated_wait_min=ticket.estimated_wait_min,
        status=ticket.status, counter=ticket.counter, requeues=ticket.requeues)


def requeue(desk: TicketDesk, ticket_id: str) -> TicketView:
    """过号重排 from the kiosk: the citizen scanned a no-show's slip and asks to wait again.
    Needs the hall server (E-NET-… when it cannot be reached); once only (E-QUE-17)."""
    client = desk.online.client
    if client is None:
        raise KioskError(errors.NOT_PROVISIONED, "requeue needs an enrolled kiosk")
    try:
        ticket = client.requeue_ticket(ticket_id, str(uuid.uuid4()), timeout=desk.online.timeout)
    except KioskError as exc:
        if exc.code in TRANSIENT:
            desk.online.connectivity.failure(exc.code)
        raise
    desk.online.connectivity.success()
    return _live_view(desk, ticket, desk.tickets.find(ticket_id))
