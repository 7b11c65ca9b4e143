"""好差评: service evaluations tied to a ticket or an application, with published reasons.

Reason codes come from `evaluation_reasons.toml` (the hall's, else the package default) (`[[reason]]` code, level, zh, en);
each code belongs to one level, and a request's reasons must all belong to its level.
The evaluator's identity is protected: no holder hash is stored, only the subject.
"""

from __future__ import annotations

import json
import logging
import tomllib
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from common.errors import CONFIG_UNREADABLE, FIELD_INVALID, NOT_FOUND, KioskError
from common.wire import EvaluationRequest
from hall_server.schema import applications, evaluations, tickets

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


def subject_kind(conn: Connection, subject: str) -> str | None:
    if conn.execute(select(tickets.c.pk).where(tickets.c.id == subject)).first():
        return "ticket"
    if conn.execute(select(applications.c.number).where(applications.c.number == subject)).first():
        return "application"
    return None


def create_evaluation(
    conn: Connection,
    req: EvaluationRequest,
    *,
    device_id: str,
    now: datetime,
    reasons: dict[str, int] | None,
) -> dict:
    if len(set(req.reasons)) != len(req.reasons):
        raise KioskError(FIELD_INVALID, "reasons: a reason code is repeated")
    if reasons is not None:
        bad = [code for code in req.reasons if reasons.get(code) != req.level]
        if bad:
            raise KioskError(
                FIELD_INVALID, f"reasons: {', '.join(bad)} not reasons of level {req.level}"
            )
    kind = subject_kind(conn, req.subject)
    if kind is None:
        raise KioskError(NOT_FOUND, "evaluation subject: no such ticket or application")
    eval_id = str(uuid.uuid4())
    conn.execute(
        evaluations.insert().values(
            id=eval_id,
            subject=req.subject,
            subject_kind=kind,
            level=req.level,
            reasons=json.dumps(req.reasons),
            comment=req.comment,
            device_id=device_id,
            created_at=now,
        )
    )
    log.info("evaluation %s level %d for a %s", eval_id, req.level, kind)
    return {"id": eval_id, "subject": req.subject, "level": req.level}
