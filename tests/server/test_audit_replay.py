"""A kiosk's audit event (technician actions) is stored once per key: a replay after a lost
reply answers 200 `stored: false`, on SQLite and PostgreSQL (psycopg's rowcount after
INSERT … ON CONFLICT DO NOTHING is not a portable signal, so the server asks for the row)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def test_an_audit_event_is_stored_once_per_key(hall_thread):
    kiosk = hall_thread.api("kiosk", "audit-replay")
    record = {
        "key": str(uuid.uuid4()),
        "kind": "audit",
        "body": {"at": datetime.now(UTC).isoformat(), "action": "printer_test"},
    }
    first = kiosk.post("/sync/push", {"records": [record]}).json()["results"][0]
    again = kiosk.post("/sync/push", {"records": [record]}).json()["results"][0]
    assert (first["status"], first["body"]["stored"]) == (201, True)
    assert (again["status"], again["body"]["stored"]) == (200, False)
