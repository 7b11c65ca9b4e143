"""The pages a citizen's phone opens from a kiosk's QR codes (addresses: common/urls.py).

Ticket (`/t/{id}`, routed in hall_server/api/public.py), offline ticket (`/t/pending/{key}`),
guide (`/guide/{code}`) and application (`/a/{number}?t={token}`). Mobile first, Chinese or
English (`?lang=en`, else the browser's Accept-Language), no external assets. Every failure
is a page in words (never JSON): unknown code, deleted item, missing or wrong token.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy import select

from common import urls
from common.errors import KioskError
from common.redact import NAME_KEYS, mask_name
from common.wire import APPLICATION_STATUSES
from common.workdays import WorkCalendar
from hall_server import estimate, notify_hooks
from hall_server.api.deps import base_url, get_ctx
from hall_server.page_tokens import application_token, token_valid
from hall_server.pages import templates
from hall_server.pages.citizen_text import MATERIAL_FORM_EN, STATUS_EN, TEXT
from hall_server.schema import application_history, applications, catalog_items, idempotency

log = logging.getLogger(__name__)

router = APIRouter(tags=["citizen pages"], include_in_schema=False)

CSS = Path(__file__).resolve().parent / "static" / "citizen.css"
CSS_PATH = "/p/citizen.css"
# Kiosk idempotency keys are UUIDs; anything else on /t/pending/ is a mistyped code.
_KEY_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")
# Statuses after which no deadline counts down.
_CLOSED = {"approved", "rejected", "not_accepted", "returned", "ready_for_pickup", "delivered"}


@dataclass(frozen=True)
class Lang:
    code: str  # "zh" or "en"

    @property
    def en(self) -> bool:
        return self.code == "en"

    def __call__(self, key: str, **values: Any) -> str:
        zh, en = TEXT[key]
        text = en if self.en else zh
        return text.format(**values) if values else text


def language(request: Request) -> Lang:
    chosen = request.query_params.get("lang", "")
    if chosen in {"zh", "en"}:
        return Lang(chosen)
    accept = request.headers.get("accept-language", "").strip().lower()
    return Lang("en" if accept.startswith("en") else "zh")


def render(
    request: Request, template: str, *, http_status: int = 200, **values: Any
) -> HTMLResponse:
    t = language(request)
    ctx = get_ctx(request)
    other = "zh" if t.en else "en"
    page = (
        templates
        .get_template(template)
        .render(
            t=t,
            lang=t.code,
            hall=ctx.settings.hall.name,
            css=CSS_PATH,
            other_lang_url="?" + request.url.include_query_params(lang=other).query,
            as_of=ctx.now().astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M"),
            **values,
        )
    )
    return HTMLResponse(page, status_code=http_status, headers={"Cache-Control": "no-store"})


def message(
    request: Request, title: str, body: str, *, status: int, refresh: int = 0
) -> HTMLResponse:
    """A page in words for everything that is not there (the key names TEXT entries)."""
    return render(
        request,
        "citizen_message.html",
        http_status=status,
        title_key=title,
        body_key=body,
        refresh=refresh,
    )


def not_found(request: Request) -> HTMLResponse:
    return message(request, "unknown_title", "unknown_body", status=404)


@router.get(CSS_PATH)
def stylesheet() -> FileResponse:
    return FileResponse(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


# --- tickets -------------------------------------------------------------------------------------
def ticket_page(request: Request, ticket_id: str) -> HTMLResponse:
    """The ticket's phone page (route in hall_server/api/public.py). Ids on the elements that
    change (state, ahead, counter) let a live-update script fill them in."""
    ctx = get_ctx(request)
    try:
        ticket = estimate.ticket_status(ctx, ticket_id, base_url(request))
    except KioskError:
        return not_found(request)
    t = language(request)
    service = ticket.get("service_name_en") if t.en else ticket.get("service_name")
    return render(
        request,
        "citizen_ticket.html",
        ticket=ticket,
        service=service or ticket.get("service_name") or ticket["service"],
        state_text=t(ticket["status"]) if ticket["status"] in TEXT else ticket["status"],
        sms_phone=_sms_phone(ctx, "ticket", ticket["id"]),
    )


def _sms_phone(ctx: Any, target: str, target_id: str) -> str | None:
    """The SMS number left at the kiosk, masked (139****5678)."""
    with ctx.database.read() as conn:
        return notify_hooks.masked_phone(ctx, conn, target, target_id)


def _synced_reply(request: Request, key: str, kind: str) -> dict | None:
    """The server's reply to the kiosk record with this idempotency key, once it arrived."""
    with get_ctx(request).database.read() as conn:
        rows = conn.execute(
            select(idempotency.c.response).where(
                idempotency.c.key == key,
                idempotency.c.kind == kind,
                idempotency.c.response.is_not(None),
            )
        ).all()
    # not synced yet, or two devices with one UUID: never resolve a guess
    return json.loads(rows[0].response) if len(rows) == 1 else None


def _see_other(request: Request, target: str) -> RedirectResponse:
    if "lang" in request.query_params:
        target += ("&" if "?" in target else "?") + "lang=" + language(request).code
    return RedirectResponse(target, status_code=303)


@router.get(urls.OFFLINE_TICKET_PATH, response_class=HTMLResponse)
def offline_ticket(key: str, request: Request) -> HTMLResponse:
    """An offline slip's QR: the ticket once its record reached the server (the server knows
    the kiosk's idempotency key), before that a page saying to keep the slip."""
    if not _KEY_RE.match(key):
        return not_found(request)
    reply = _synced_reply(request, key, "ticket")
    if reply is None:  # reloads itself: once the kiosk has synced, the page shows the ticket
        return message(request, "pending_title", "pending_body", status=200, refresh=30)
    return _see_other(request, urls.TICKET_PATH.format(ticket_id=reply["id"]))


@router.get(urls.OFFLINE_APPLICATION_PATH, response_class=HTMLResponse)
def offline_application(key: str, request: Request) -> HTMLResponse:
    """An offline receipt's QR: the application page (with its token) once the record reached
    the server; the key itself is the secret (a random UUID only the receipt carries)."""
    if not _KEY_RE.match(key):
        return not_found(request)
    reply = _synced_reply(request, key, "application")
    if reply is None or not reply.get("number"):
        return message(request, "app_pending_title", "app_pending_body", status=200, refresh=30)
    number = reply["number"]
    token = reply.get("token") or application_token(get_ctx(request).page_key(), number)
    target = urls.application_url("", number, token)
    return _see_other(request, target)


# --- guide ---------------------------------------------------------------------------------------
@router.get(urls.GUIDE_PATH, response_class=HTMLResponse)
def guide(code: str, request: Request) -> HTMLResponse:
    ctx = get_ctx(request)
    with ctx.database.read() as conn:
        row = conn.execute(
            select(catalog_items.c.data, catalog_items.c.deleted).where(
                catalog_items.c.code == code
            )
        ).first()
    if row is None:
        return not_found(request)
    if row.deleted:
        return message(request, "deleted_title", "deleted_body", status=410)
    item = json.loads(row.data)
    t = language(request)
    return render(
        request,
        "citizen_guide.html",
        item=item,
        title=(item.get("title_en") if t.en else "") or item["title"],
        department=(item.get("department_en") if t.en else "") or item.get("department", ""),
        material_form=lambda form: MATERIAL_FORM_EN.get(form, form) if t.en else form,
    )


# --- applications --------------------------------------------------------------------------------
def working_days_left(today: date, until: date, calendar: WorkCalendar) -> int:
    """Working days after today up to and including `until` (0: due today; <0: overdue), by
    the hall's one calendar (common/workdays.py)."""
    if until < today:
        return -1
    days, current = 0, today
    while current < until:
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            days += 1
    return days


def _applicant(ctx: Any, form_code: str, stored: str, number: str) -> str:
    """The applicant's name, masked (张*): the form's field filled from the card's name, else
    a name-like key; never the ID number or anything else. The fields are sealed at rest
    (hall_server/personal.py); anonymised ones (retention) have no name left."""
    try:
        fields = ctx.personal.open(stored, number) if ctx.personal else json.loads(stored)
    except (ValueError, KioskError):
        return ""
    if not isinstance(fields, dict):
        return ""
    keys: list[str] = []
    try:
        forms = ctx.forms()
    except KioskError:  # a broken forms directory: fall back to the name-like keys
        forms = None
    form = forms[0].get(form_code) if forms else None
    if form is not None:
        keys += [f.key for f in form.fields if f.from_card == "name"]
    for key in (*keys, "name", *sorted(NAME_KEYS)):
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return mask_name(value)
    return ""


def _local(ctx: Any, value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M")


@router.get(urls.APPLICATION_PATH, response_class=HTMLResponse)
def application(number: str, request: Request) -> HTMLResponse:
    ctx = get_ctx(request)
    token = request.query_params.get(urls.APPLICATION_TOKEN_PARAM)
    # The token is checked before the database is asked: without it the page must not even
    # tell whether a number exists.
    if not token_valid(ctx.page_key(), number, token):
        return message(request, "token_title", "token_body", status=403)
    with ctx.database.read() as conn:
        row = conn.execute(select(applications).where(applications.c.number == number)).first()
        if row is None:
            return message(request, "app_unknown_title", "app_unknown_body", status=404)
        history = conn.execute(
            select(application_history.c.status, application_history.c.at)
            .where(application_history.c.number == number)
            .order_by(application_history.c.at, application_history.c.pk)
        ).all()
        item_row = conn.execute(
            select(catalog_items.c.data).where(
                catalog_items.c.code == row.item, catalog_items.c.deleted.is_(False)
            )
        ).first()
    item = json.loads(item_row.data) if item_row else {}
    t = language(request)

    def status_text(status: str) -> str:
        return STATUS_EN.get(status, status) if t.en else APPLICATION_STATUSES.get(status, status)

    countdown = ""
    if row.promised_by and row.status not in _CLOSED:
        left = working_days_left(ctx.today(), row.promised_by, ctx.schedule.calendar)
        countdown = (
            t("overdue") if left < 0 else t("due_today") if left == 0 else t("days_left", n=left)
        )
    return render(
        request,
        "citizen_application.html",
        number=row.number,
        item_title=(item.get("title_en") if t.en else "") or row.item_title,
        status=row.status,
        status_text=status_text(row.status),
        applicant=_applicant(ctx, row.form, row.fields, row.number),
        sms_phone=_sms_phone(ctx, "application", row.number),
        submitted=_local(ctx, row.submitted_at),
        promised_by=row.promised_by.isoformat() if row.promised_by else "",
        countdown=countdown,
        overdue=countdown == t("overdue"),
        history=[(_local(ctx, h.at), status_text(h.status)) for h in reversed(history)],
        place=item.get("location", ""),
        hours=item.get("hours", ""),
        phone=item.get("phone", ""),
    )


# --- anything else under these prefixes: a page in words, not the API's JSON 404 ---------------
@router.get("/t/{rest:path}", response_class=HTMLResponse)
@router.get("/a/{rest:path}", response_class=HTMLResponse)
@router.get("/guide/{rest:path}", response_class=HTMLResponse)
@router.get("/t", response_class=HTMLResponse)
@router.get("/a", response_class=HTMLResponse)
@router.get("/guide", response_class=HTMLResponse)
def unknown(request: Request, rest: str = "") -> HTMLResponse:
    return not_found(request)
