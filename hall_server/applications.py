"""Applications (办件): submission from a form, status history, progress lookups.

Numbers are not guessable: "SQ" + the hall's business date + 10 characters of a CSPRNG in
Crockford base32 (50 bits), e.g. SQ20250314K7QM3XPA9R. Lookups are also rate-limited per
device (in the API layer), so the API cannot be used to enumerate citizens' records.
The filled-in fields are personal data: stored, never logged, never returned by lookups.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from common.errors import APPLICATION_UNKNOWN, FIELD_INVALID, FORM_UNKNOWN, KioskError
from common.wire import APPLICATION_STATUSES, ApplicationRequest
from common.workdays import WorkCalendar
from hall_server.catalog import item_summary
from hall_server.clock import iso_utc
from hall_server.personal import PersonalData
from hall_server.schema import application_history, applications

log = logging.getLogger(__name__)

NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_LISTED = 50


def new_number(day: date) -> str:
    return (
        "SQ" + day.strftime("%Y%m%d") + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))
    )


def promised_by(day: date, promised_days: int, calendar: WorkCalendar) -> date:
    """承诺办结 counts working days of the hall's calendar (holidays and 调休 included)."""
    return calendar.add_working_days(day, promised_days)


def _check_form(req: ApplicationRequest, forms: tuple[Any, Any] | None) -> Any:
    """The FormDef, after validating the fields; None when forms are not available."""
    if forms is None:
        return None
    definitions, validate_fields = forms
    form = definitions.get(req.form)
    if form is None:
        raise KioskError(FORM_UNKNOWN, req.form)
    errors = validate_fields(form, req.fields)
    if errors:  # codes and English text only, never the values
        detail = "; ".join(
            f"{key}: {getattr(err, 'code', '')} {getattr(err, 'en', '')}".strip()
            for key, err in errors.items()
        )
        raise KioskError(FIELD_INVALID, f"{req.form}: {detail}")
    return form


def filed_item(form: Any, req: ApplicationRequest) -> str:
    """The item the application files under: what the citizen chose inside the form (its
    办理类别 choice names the item, common.forms.resolve_item) over what the kiosk sent
    (the guide it was opened from), else the form's first item."""
    if form is not None:
        from common.forms import resolve_item

        chosen = resolve_item(form, req.fields)
        if chosen:
            return chosen
    form_items = list(getattr(form, "items", ()) or ())
    return req.item or (form_items[0] if form_items else req.form)


def insert_application(
    conn: Connection,
    *,
    number: str,
    form: str,
    item: str,
    item_title: str,
    holder: str | None,
    fields: dict,
    status: str,
    submitted_at: datetime,
    promised: date | None,
    device_id: str | None,
    history: list[tuple[str, datetime, str]],
    personal: PersonalData,
) -> None:
    conn.execute(
        applications.insert().values(
            number=number,
            form=form,
            item=item,
            item_title=item_title,
            holder=holder,
            fields=personal.seal(fields, number),  # never in clear (hall_server/personal.py)
            status=status,
            device_id=device_id,
            submitted_at=submitted_at,
            promised_by=promised,
            updated_at=history[-1][1],
        )
    )
    conn.execute(
        application_history.insert(),
        [{"number": number, "status": s, "at": at, "note": note} for s, at, note in history],
    )


def create_application(
    conn: Connection,
    req: ApplicationRequest,
    *,
    device_id: str,
    now: datetime,
    today: date,
    forms: tuple[Any, Any] | None,
    calendar: WorkCalendar,
    personal: PersonalData,
) -> dict:
    form = _check_form(req, forms)
    item_code = filed_item(form, req)
    item = item_summary(conn, item_code)
    title = item["title"] if item else getattr(form, "title", "") or ""
    promised = promised_by(today, int(item.get("promised_days", 0)), calendar) if item else None
    number = new_number(today)
    insert_application(
        conn,
        number=number,
        form=req.form,
        item=item_code,
        item_title=title,
        holder=req.holder,
        fields=req.fields,
        status="submitted",
        submitted_at=now,
        promised=promised,
        device_id=device_id,
        history=[("submitted", now, "")],
        personal=personal,
    )
    log.info("application %s submitted (form %s)", number, req.form)
    return {"number": number, "status": "submitted"}


def _history(conn: Connection, number: str) -> list[dict]:
    rows = conn.execute(
        select(application_history.c.status, application_history.c.at, application_history.c.note)
        .where(application_history.c.number == number)
        .order_by(application_history.c.at, application_history.c.pk)
    )
    return [{"status": r.status, "at": iso_utc(r.at), "note": r.note} for r in rows]


def _application_dict(conn: Connection, row: Any, now: datetime) -> dict:
    return {
        "number": row.number,
        "item": row.item,
        "item_title": row.item_title,
        "status": row.status,
        "history": _history(conn, row.number),
        "promised_by": row.promised_by.isoformat() if row.promised_by else None,
        "as_of": iso_utc(now),
        "receipt_missing": row.receipt_missing_at is not None,
    }


def flag_receipt_missing(conn: Connection, *, device_id: str, application_key: str,
                         now: datetime) -> dict:
    """The kiosk that filed an application under `application_key` never showed its receipt:
    flag it for the hall (shown with the application, counted on the fleet page)."""
    from hall_server.schema import idempotency

    row = conn.execute(select(idempotency.c.response).where(
        idempotency.c.device_id == device_id, idempotency.c.key == application_key,
        idempotency.c.kind == "application")).first()
    number = json.loads(row.response or "{}").get("number") if row else None
    if not number:
        raise KioskError(APPLICATION_UNKNOWN, "no application filed under that key by this kiosk")
    conn.execute(update(applications).where(applications.c.number == number)
                 .values(receipt_missing_at=now))
    log.warning("application %s filed without a receipt shown at the kiosk", number)
    return {"number": number, "receipt_missing": True}


def get_application(conn: Connection, number: str, now: datetime) -> dict:
    row = conn.execute(select(applications).where(applications.c.number == number)).first()
    if row is None:
        raise KioskError(APPLICATION_UNKNOWN)
    return _application_dict(conn, row, now)


def list_by_holder(conn: Connection, holder: str, now: datetime) -> list[dict]:
    rows = conn.execute(
        select(applications)
        .where(applications.c.holder == holder)
        .order_by(applications.c.submitted_at.desc(), applications.c.number)
        .limit(MAX_LISTED)
    ).all()
    return [_application_dict(conn, r, now) for r in rows]


def change_status(conn: Connection, number: str, status: str, note: str, now: datetime) -> dict:
    """Record a status change (any status of the published set; the same status again adds
    a note to the history)."""
    if status not in APPLICATION_STATUSES:  # the wire model already restricts it
        raise KioskError(FIELD_INVALID, f"status {status!r}")
    done = conn.execute(
        update(applications)
        .where(applications.c.number == number)
        .values(status=status, updated_at=now)
    )
    if done.rowcount != 1:
        raise KioskError(APPLICATION_UNKNOWN)
    conn.execute(
        application_history.insert().values(number=number, status=status, at=now, note=note)
    )
    log.info("application %s is now %s", number, status)
    return get_application(conn, number, now)
