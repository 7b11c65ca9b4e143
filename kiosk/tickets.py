"""Take a ticket (取号), local-first.

The ticket and its outbox record are written in one transaction before anything else; then
the online fast path asks the hall server for the number (a bounded wait). If the server
cannot answer, the kiosk issues an offline number `A-K3-017` itself: the service prefix, the
kiosk's unique tag and a per-kiosk daily counter — unique across kiosks and the server without
any coordination (docs/offline-tickets.md). The record keeps its idempotency key, so the server
files it exactly once when the network returns, keeping the printed number.
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
from offline_cache.outbox import TRANSIENT, Outbox
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
    desk.wake_syncer()
    return view


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
