"""Idempotency-Key handling: the same key and body give the same result, forever.

The key is claimed by inserting a row under UNIQUE(device_id, key) in the same transaction as
the work, so two concurrent requests with one key cannot both do the work (the database
decides, not a check-then-insert). A hash of the canonical body is stored with the key: the
same key with another body is refused with 422 E-API-03. Only successes are remembered;
a refused request (cap reached, invalid) can be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from hall_server.db import Database
from hall_server.schema import idempotency
from kiosk.errors import IDEMPOTENCY_CONFLICT, IDEMPOTENCY_KEY_MISSING, VALIDATION, KioskError

MAX_KEY_LENGTH = 128


class KeyTaken(Exception):
    """Another transaction committed this key first."""


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise KioskError(IDEMPOTENCY_KEY_MISSING)
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise KioskError(VALIDATION, f"Idempotency-Key longer than {MAX_KEY_LENGTH} characters")
    return key


def body_hash(kind: str, body: BaseModel) -> str:
    """Hash of the validated body in canonical JSON: {"service":"A"} and
    {"service":"A","holder":null} are the same request."""
    canonical = json.dumps(
        {"kind": kind, "body": body.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


_FIND = select(idempotency.c.kind, idempotency.c.body_hash, idempotency.c.response).where(
    idempotency.c.device_id == bindparam("device_id"), idempotency.c.key == bindparam("key"))
_CLAIM = idempotency.insert()
_COMPLETE = update(idempotency).where(idempotency.c.pk == bindparam("b_pk")).values(
    response=bindparam("b_response"))


def find(conn: Connection, device_id: str, key: str) -> Any:
    return conn.execute(_FIND, {"device_id": device_id, "key": key}).first()


def replay(row: Any, kind: str, hashed: str) -> tuple[int, dict]:
    if row.kind != kind or row.body_hash != hashed or row.response is None:
        raise KioskError(IDEMPOTENCY_CONFLICT)
    return 200, json.loads(row.response)


def claim(conn: Connection, *, device_id: str, key: str, kind: str, hashed: str,
          now: datetime) -> int:
    try:
        result = conn.execute(_CLAIM, {"device_id": device_id, "key": key, "kind": kind,
                                       "body_hash": hashed, "status": 201, "created_at": now})
    except IntegrityError as exc:
        raise KeyTaken from exc
    return result.inserted_primary_key[0]


def complete(conn: Connection, pk: int, response: dict) -> None:
    text = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
    conn.execute(_COMPLETE, {"b_pk": pk, "b_response": text})


def run_in_transaction(conn: Connection, *, device_id: str, key: str, kind: str,
                       hashed: str, now: datetime,
                       work: Callable[[Connection], dict]) -> tuple[int, dict]:
    """Inside an open transaction (or savepoint): replay, or claim the key and do the work."""
    row = find(conn, device_id, key)
    if row is not None:
        return replay(row, kind, hashed)
    pk = claim(conn, device_id=device_id, key=key, kind=kind, hashed=hashed, now=now)
    response = work(conn)
    complete(conn, pk, response)
    return 201, response


def run_once(database: Database, *, device_id: str, key: str, kind: str, hashed: str,
             now: Callable[[], datetime], work: Callable[[Connection], dict]) -> tuple[int, dict]:
    """One request: (201, result) the first time, (200, the same result) after."""
    with database.read() as conn:  # fast path for retries, no write lock taken
        row = find(conn, device_id, key)
    if row is not None:
        return replay(row, kind, hashed)
    try:
        with database.write() as conn:
            return run_in_transaction(
                conn, device_id=device_id, key=key, kind=kind, hashed=hashed, now=now(),
                work=work,
            )
    except KeyTaken:  # a concurrent request with this key committed first (PostgreSQL)
        with database.read() as conn:
            row = find(conn, device_id, key)
        if row is None:  # it rolled back after all; cannot happen with a committed key
            raise KioskError(IDEMPOTENCY_CONFLICT, "key in use by a concurrent request") from None
        return replay(row, kind, hashed)
