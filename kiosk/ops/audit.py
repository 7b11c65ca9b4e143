"""The technicians' audit log: every action (doctor, provision, maintenance, config apply,
outbox resume, device tests…) is appended to `$KIOSK_HOME/audit.jsonl` and queued in the
outbox (kind `audit`) for the hall server, which stores each event once.

Details are technical (codes, counts, versions) and still go through the redaction function,
so a stray ID number or name never reaches the file or the server.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import wire
from common.redact import redact_mapping

log = logging.getLogger(__name__)

FILENAME = "audit.jsonl"
KIND = STREAM = "audit"


def record(
    home: Path,
    action: str,
    *,
    outbox: Any = None,
    outcome: str = "ok",
    actor: str = "technician",
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one event (fsync'd) and, given the kiosk's outbox, queue it for the server.
    Returns the event with its key."""
    event = wire.AuditEvent(
        at=datetime.now(UTC),
        action=action,
        actor=actor,
        outcome=outcome,
        detail=redact_mapping(detail or {}),
    )
    key = str(uuid.uuid4())
    entry = {"key": key, **event.model_dump(mode="json")}
    path = home / FILENAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if outbox is not None:
        with outbox.store.transaction() as conn:
            outbox.enqueue(
                conn, key=key, kind=KIND, stream=STREAM, body=event.model_dump(mode="json")
            )
    log.info("audit: %s by %s: %s", action, actor, outcome)
    return entry


def read(home: Path, limit: int = 200) -> list[dict[str, Any]]:
    """The newest `limit` events, newest first (for the technician screen)."""
    path = home / FILENAME
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    events = []
    for line in reversed(lines):
        try:
            events.append(json.loads(line))
        except ValueError:  # a torn last line after a power cut
            continue
    return events
