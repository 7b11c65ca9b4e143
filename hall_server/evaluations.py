"""好差评: service evaluations tied to a ticket or an application, with published reasons.

Reason codes come from `evaluation_reasons.toml` (the hall's, else the package default) (`[[reason]]` code, level, zh, en);
each code belongs to one level, and a request's reasons must all belong to its level.
The evaluator's identity is protected: no holder hash is stored, only the subject.

One rating per visit: a ticket once it was served, an application at any time, each once (the
subject's row is locked while checking, so two kiosks cannot both rate it). The rating keeps the
counter and staff that served the ticket. A kiosk that rated a ticket or application it issued
offline names it by its own Idempotency-Key; the server resolves that key to what it created.
Ratings of level 1–2 (差评) open a follow-up case (回访) due one working day later.
"""

from __future__ import annotations

import json
import logging
import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from common.errors import (
    ALREADY_RATED,
    CASE_UNKNOWN,
    CONFIG_UNREADABLE,
    FIELD_INVALID,
    NOT_FOUND,
    NOT_YET_SERVED,
    KioskError,
)
from common.wire import EvaluationRequest
from common.workdays import WorkCalendar
from hall_server import idempotency
from hall_server.schema import applications, evaluation_cases, evaluations, tickets

log = logging.getLogger(__name__)


def load_reasons(path: Path | None = None) -> dict[str, int] | None:
    """code → level from the reasons table; None when the file does not exist."""
    if path is None:
        from common.paths import hall_file

        path = hall_file("evaluation_reasons.toml")
    if not path.is_file():
        log.warning("no evaluation reasons table at %s: reason codes are not checked", path)
        return None
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{path}: {exc}") from exc
    table: dict[str, int] = {}
    for entry in data.get("reason", []):
        code, level = entry.get("code"), entry.get("level")
        if isinstance(code, str) and isinstance(level, int):
            table[code] = level
    return table


BAD_LEVELS = (1, 2)  # 不满意, 非常不满意: followed up
CASE_STATES = ("open", "contacted", "resolved")


@dataclass(frozen=True)
class Subject:
    id: str  # ticket id or application number
    kind: str  # ticket | application
    counter: str | None = None
    staff: str | None = None


def _ticket(conn: Connection, ticket_id: str) -> Subject | None:
    row = conn.execute(
        select(tickets).where(tickets.c.id == ticket_id).with_for_update()
    ).first()
    if row is None:
        return None
    if row.status != "served":
        raise KioskError(NOT_YET_SERVED, f"ticket {row.number} is {row.status}")
    served = row._mapping
    return Subject(row.id, "ticket", served.get("counter"), served.get("staff"))


def _application(conn: Connection, number: str) -> Subject | None:
    row = conn.execute(
        select(applications.c.number).where(applications.c.number == number).with_for_update()
    ).first()
    return Subject(row.number, "application") if row else None


def resolve_subject(conn: Connection, subject: str, device_id: str) -> Subject | None:
    """The ticket or application rated, locked; a kiosk's own Idempotency-Key resolves to
    what that submission created (offline-issued tickets, applications filed offline)."""
    found = _ticket(conn, subject) or _application(conn, subject)
    if found is not None:
        return found
    row = idempotency.find(conn, device_id, subject)
    if row is None or row.response is None or row.kind not in ("ticket", "application"):
        return None
    created = json.loads(row.response)
    if row.kind == "ticket":
        return _ticket(conn, str(created.get("id", "")))
    return _application(conn, str(created.get("number", "")))


def create_evaluation(
    conn: Connection,
    req: EvaluationRequest,
    *,
    device_id: str,
    now: datetime,
    reasons: dict[str, int] | None,
    today: date,
    calendar: WorkCalendar,
) -> dict:
    if len(set(req.reasons)) != len(req.reasons):
        raise KioskError(FIELD_INVALID, "reasons: a reason code is repeated")
    if reasons is not None:
        bad = [code for code in req.reasons if reasons.get(code) != req.level]
        if bad:
            raise KioskError(
                FIELD_INVALID, f"reasons: {', '.join(bad)} not reasons of level {req.level}"
            )
    subject = resolve_subject(conn, req.subject, device_id)
    if subject is None:
        raise KioskError(NOT_FOUND, "evaluation subject: no such ticket or application")
    rated = select(evaluations.c.id).where(evaluations.c.subject == subject.id).limit(1)
    if conn.execute(rated).first() is not None:
        raise KioskError(ALREADY_RATED, f"{subject.kind} already rated")
    eval_id = str(uuid.uuid4())
    conn.execute(
        evaluations.insert().values(
            id=eval_id,
            subject=subject.id,
            subject_kind=subject.kind,
            level=req.level,
            reasons=json.dumps(req.reasons),
            comment=req.comment,
            device_id=device_id,
            created_at=now,
            counter=subject.counter,
            staff=subject.staff,
        )
    )
    if req.level in BAD_LEVELS:
        conn.execute(
            evaluation_cases.insert().values(
                evaluation_id=eval_id,
                due_on=calendar.add_working_days(today, 1),
                state="open",
                note="",
                created_at=now,
                updated_at=now,
            )
        )
    log.info("evaluation %s level %d for a %s", eval_id, req.level, subject.kind)
    return {"id": eval_id, "subject": subject.id, "level": req.level}


def list_cases(conn: Connection, state: str | None, today: date) -> list[dict]:
    """Follow-up cases, the most urgent first; `overdue` once the due day has passed."""
    c, e = evaluation_cases.c, evaluations.c
    query = (
        select(c.evaluation_id, c.due_on, c.state, c.note, c.updated_at, e.subject,
               e.subject_kind, e.level, e.reasons, e.comment, e.counter, e.staff, e.created_at)
        .select_from(evaluation_cases.join(evaluations, e.id == c.evaluation_id))
        .order_by(c.state != "open", c.due_on, e.created_at)
    )
    if state:
        query = query.where(c.state == state)
    return [_case(row, today) for row in conn.execute(query)]


def _case(row: Any, today: date) -> dict:
    return {
        "id": row.evaluation_id,
        "subject": row.subject,
        "subject_kind": row.subject_kind,
        "level": row.level,
        "reasons": json.loads(row.reasons),
        "comment": row.comment,
        "counter": row.counter,
        "staff": row.staff,
        "rated_at": row.created_at.isoformat() if row.created_at else None,
        "due_on": row.due_on.isoformat(),
        "state": row.state,
        "note": row.note,
        "overdue": row.state != "resolved" and row.due_on < today,
    }


def update_case(
    conn: Connection, case_id: str, *, state: str, note: str | None, now: datetime, today: date
) -> dict:
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if note is not None:
        values["note"] = note
    done = conn.execute(
        update(evaluation_cases).where(evaluation_cases.c.evaluation_id == case_id).values(values)
    )
    if done.rowcount != 1:
        raise KioskError(CASE_UNKNOWN, case_id)
    return next(c for c in list_cases(conn, None, today) if c["id"] == case_id)
