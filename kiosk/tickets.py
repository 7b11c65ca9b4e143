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
import sqlite3
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common import errors, wire
from common.errors import KioskError
from common.holder import holder_hash
from common.views import TicketView
from offline_cache.outbox import TRANSIENT

if TYPE_CHECKING:
    from kiosk.core import KioskCore

log = logging.getLogger(__name__)


def apply_ticket_reply(conn: sqlite3.Connection, key: str, reply: dict[str, Any]) -> None:
    """Outbox applier: the server accepted the ticket. An offline number stays as printed."""
    ticket = wire.Ticket.model_validate(reply)
    conn.execute(
        "UPDATE ticket SET server_id = ?, url = ?, people_ahead = ?, "
        "number = CASE WHEN offline = 1 THEN number ELSE ? END WHERE key = ?",
        (ticket.id, ticket.url, ticket.people_ahead, ticket.number, key))


def take_ticket(core: KioskCore, service_code: str, *, id_card: dict[str, Any] | None = None,
                priority: str | None = None, appointment: str | None = None,
                print_slip: bool = True) -> TicketView:
    service = core.services.get(service_code)
    if service is None:
        raise KioskError(errors.SERVICE_UNKNOWN, service_code)
    if not service.open:
        raise KioskError(errors.SERVICE_CLOSED, service_code)
    # The hall's time, not this kiosk's clock: a clock running behind must not file a ticket
    # taken after the hall's midnight on the previous business day.
    issued_at = core.hall_now()
    today = issued_at.date().isoformat()
    holder = None
    if id_card and id_card.get("id_number"):
        holder = holder_hash(core.hall_key(), id_card["id_number"])
        limit = core.settings.kiosk.holder_daily_limit
        taken = core.store.query(  # a refused ticket was never the citizen's
            "SELECT COUNT(*) AS n FROM ticket JOIN outbox USING (key) WHERE ticket.holder = ? "
            "AND ticket.business_date = ? AND outbox.state != 'refused'",
            (holder, today))[0]["n"]
        if limit and taken >= limit:  # what one kiosk can enforce offline; the server does the rest
            raise KioskError(errors.HOLDER_LIMIT_REACHED, f"{taken} of {limit} today")
    key = str(uuid.uuid4())
    body = wire.TicketRequest(service=service_code, holder=holder, priority=priority,
                              appointment=appointment).model_dump(mode="json", exclude_none=True)
    # Known to be offline: the offline number goes into the same commit (one fsync, not two).
    try_online = core.client is not None and core.connectivity.state != "offline"
    with core.store.transaction() as conn:
        core.outbox.enqueue(conn, key=key, kind="ticket", stream=f"ticket:{service_code}", body=body)
        conn.execute("INSERT INTO ticket(key, service, business_date, issued_at, holder, priority) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (key, service_code, today, issued_at.isoformat(), holder, priority))
        if not try_online:
            _assign_offline_number(core, conn, key, service.prefix, body, issued_at, today)

    if try_online:
        try:
            core.outbox.send_now(core.client, key, timeout=core.fast_path_timeout)
            core.connectivity.success()
        except KioskError as exc:
            if exc.code not in TRANSIENT:
                if exc.code in {errors.AUTH_MISSING.code, errors.AUTH_FORBIDDEN.code}:
                    log.error("ticket %s waits: kiosk credentials refused (%s)", key, exc.code)
                else:
                    raise  # refused by a rule (cap, limit, closed): the citizen must know
            else:
                core.connectivity.failure(exc.code)
            with core.store.transaction() as conn:  # the fast path failed: number it now
                _assign_offline_number(core, conn, key, service.prefix, body, issued_at, today)

    row = core.store.query("SELECT * FROM ticket WHERE key = ?", (key,))[0]
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
    conn.execute("UPDATE ticket SET number = ?, offline = 1 WHERE key = ?", (number, key))
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
