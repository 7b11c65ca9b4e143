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
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from common import errors, wire
from common.errors import KioskError
from common.holder import holder_hash
from common.views import TicketView
from offline_cache.fast_path import try_now

if TYPE_CHECKING:
    from kiosk.core import KioskCore

log = logging.getLogger(__name__)

# A ticket's QR: {base}/t/{id}, or {base}/t/pending/{key} for one the server has not filed yet
_TICKET_IN_TEXT = re.compile(r"/t/(?:pending/)?([0-9A-Za-z][0-9A-Za-z-]{7,63})/?$")


def business_date(tz: str, now: datetime | None = None) -> str:
    return (now or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)).date().isoformat()


def take_ticket(core: KioskCore, service_code: str, *, id_card: dict[str, Any] | None = None,
                priority: str | None = None, appointment: str | None = None,
                print_slip: bool = True) -> TicketView:
    service = core.services.get(service_code)
    if service is None:
        raise KioskError(errors.SERVICE_UNKNOWN, service_code)
    if not service.open:
        raise KioskError(errors.SERVICE_CLOSED, service_code)
    tz = core.settings.hall.timezone
    today = business_date(tz)
    holder = None
    if id_card and id_card.get("id_number"):
        holder = holder_hash(core.hall_key(), id_card["id_number"])
        limit = core.settings.kiosk.holder_daily_limit
        taken = core.tickets.count_for_holder(holder, today)
        if limit and taken >= limit:  # what one kiosk can enforce offline; the server does the rest
            raise KioskError(errors.HOLDER_LIMIT_REACHED, f"{taken} of {limit} today")
    key = str(uuid.uuid4())
    issued_at = datetime.now(ZoneInfo(tz))
    body = wire.TicketRequest(service=service_code, holder=holder, priority=priority,
                              appointment=appointment).model_dump(mode="json", exclude_none=True)
    # Known to be offline: the offline number goes into the same commit (one fsync, not two).
    try_online = core.client is not None and core.connectivity.state != "offline"
    with core.store.transaction() as conn:
        core.outbox.enqueue(conn, key=key, kind="ticket", stream=f"ticket:{service_code}", body=body)
        core.tickets.add(conn, key=key, service=service_code, business_date=today,
                         issued_at=issued_at.isoformat(), holder=holder, priority=priority)
        if not try_online:
            _assign_offline_number(core, conn, key, service.prefix, body, issued_at, today)

    if try_online:
        attempt = try_now(core.outbox, core.client, core.connectivity, key,
                          timeout=core.fast_path_timeout)
        if attempt.outcome == "refused" and attempt.error is not None:
            raise attempt.error  # refused by a rule (cap, limit, closed): the citizen must know
        if attempt.outcome == "queued":
            with core.store.transaction() as conn:  # the fast path failed: number it now
                _assign_offline_number(core, conn, key, service.prefix, body, issued_at, today)

    row = core.tickets.get(key)
    if row is None:  # written above in this call: only a broken store gets here
        raise KioskError(errors.NOT_FOUND, f"ticket {key} vanished from the local store")
    view = _view(core, row, service)
    if print_slip:
        view = core.print_ticket(view)
    core.syncer_wake()
    return view


def _assign_offline_number(core: KioskCore, conn: sqlite3.Connection, key: str, prefix: str,
                           body: dict[str, Any], issued_at: datetime, today: str) -> None:
    """Number the ticket from this kiosk's own counter, in the caller's transaction."""
    counter_key = f"offline_counter:{today}:{prefix}"
    n = int(core.store.get_meta(counter_key) or "0") + 1
    number = f"{prefix}-{core.kiosk_tag()}-{n:03d}"
    core.store.set_meta(conn, counter_key, str(n))
    core.tickets.number_offline(conn, key, number)
    # The server keeps a printed offline number; it learns it with the record.
    core.outbox.replace_body(conn, key, {**body, "offline_number": number,
                                         "issued_at": issued_at.isoformat()})
    log.info("ticket issued offline as %s", number)


def _view(core: KioskCore, row: dict[str, Any], service: Any) -> TicketView:
    waiting = service.waiting
    people_ahead = row["people_ahead"] if row["people_ahead"] is not None else waiting
    url = row["url"] or f"{core.public_base_url()}/t/pending/{row['key']}"
    return TicketView(
        id=row["server_id"] or row["key"], number=row["number"], service=row["service"],
        service_name=service.name, service_name_en=service.name_en, people_ahead=people_ahead,
        issued_at=row["issued_at"], url=url, offline=bool(row["offline"]),
        priority=row["priority"], estimated_wait_min=people_ahead * core.minutes_per_ticket)


def ticket_ref_from_scan(text: str) -> str | None:
    """The ticket id (or pending key) in a scanned ticket QR, None if it is not one."""
    match = _TICKET_IN_TEXT.search(text.strip())
    return match.group(1) if match else None


def scanned_ticket(core: KioskCore, ref: str) -> TicketView:
    """A ticket shown at the scanner: its live status from the hall server, else what this
    kiosk stored when it issued it. E-API-01 when neither knows it."""
    row = core.tickets.find(ref)
    server_id = (row["server_id"] if row else ref) or None
    if server_id and core.client is not None and core.connectivity.state != "offline":
        try:
            ticket = core.client.get_ticket(server_id, timeout=core.fast_path_timeout)
        except KioskError as exc:
            if row is None and exc.code == errors.NOT_FOUND.code:
                raise
            log.warning("ticket status not available: %s", exc.code)
        else:
            return _live_view(core, ticket, row)
    if row is None:
        raise KioskError(errors.NOT_FOUND, "ticket not issued here and not known to the server")
    service = core.services.get(row["service"])
    if service is None:
        raise KioskError(errors.SERVICE_UNKNOWN, row["service"])
    return _view(core, row, service)


def _live_view(core: KioskCore, ticket: wire.Ticket, row: dict[str, Any] | None) -> TicketView:
    issued = ticket.issued_at.astimezone(ZoneInfo(core.settings.hall.timezone)).isoformat()
    return TicketView(
        id=ticket.id, number=row["number"] if row and row["offline"] else ticket.number,
        service=ticket.service, service_name=ticket.service_name,
        service_name_en=ticket.service_name_en, people_ahead=ticket.people_ahead,
        issued_at=issued, url=ticket.url, offline=bool(row and row["offline"]),
        priority=ticket.priority, estimated_wait_min=ticket.people_ahead * core.minutes_per_ticket,
        status=ticket.status, counter=ticket.counter)
