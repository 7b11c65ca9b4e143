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
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from common.errors import IDEMPOTENCY_CONFLICT, IDEMPOTENCY_KEY_MISSING, VALIDATION, KioskError
from hall_server.rawsql import Prepared
from hall_server.schema import idempotency

if TYPE_CHECKING:  # db imports eventlog, which writes deferred claims (write_claims)
    from hall_server.db import Database

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
    return data_hash(kind, body.model_dump(mode="json"))


def data_hash(kind: str, data: Any) -> str:
    """The same over plain JSON data (a transition: its path parameters and body)."""
    canonical = json.dumps(
        {"kind": kind, "body": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


_FIND = Prepared(
    select(
        idempotency.c.pk, idempotency.c.kind, idempotency.c.body_hash, idempotency.c.response
    ).where(
        idempotency.c.device_id == bindparam("device_id"), idempotency.c.key == bindparam("key")
    )
)
CLAIM_COLUMNS = ("device_id", "key", "kind", "body_hash", "status", "created_at", "response")
_CLAIM = Prepared(idempotency.insert().values({c: bindparam(c) for c in CLAIM_COLUMNS}))
_DEFERRED = "idempotency_deferred_claims"  # on the connection's info (defer_claims)


class KeyRow(NamedTuple):
    """A used key: what was done under it and the reply given."""

    pk: int
    kind: str
    body_hash: str
    response: str | None
_AMEND = (
    update(idempotency)
    .where(idempotency.c.pk == bindparam("b_pk"))
    .values(body_hash=bindparam("b_hash"), response=bindparam("b_response"))
)

# A kind may accept one kind of changed body under a used key (an offline ticket number for a
# ticket the server did issue, docs/offline-tickets.md): given the stored row, it returns the
# amended reply, or None to refuse with 422 as usual.
Reconcile = Callable[[Connection, Any], "dict | None"]


def find(conn: Connection, device_id: str, key: str) -> KeyRow | None:
    row = _FIND.first(conn, {"device_id": device_id, "key": key})
    return None if row is None else KeyRow(*row)


def matches(row: Any, kind: str, hashed: str) -> bool:
    return row.kind == kind and row.body_hash == hashed and row.response is not None


def replay(row: Any, kind: str, hashed: str) -> tuple[int, dict]:
    if not matches(row, kind, hashed):
        raise KioskError(IDEMPOTENCY_CONFLICT)
    return 200, json.loads(row.response)


def _dumps(response: dict) -> str:
    return json.dumps(response, ensure_ascii=False, separators=(",", ":"))


def resolve(
    conn: Connection, row: Any, kind: str, hashed: str, reconcile: Reconcile | None
) -> tuple[int, dict]:
    """Replay a used key inside a write transaction, amending it if the kind allows."""
    if matches(row, kind, hashed) or reconcile is None or row.kind != kind:
        return replay(row, kind, hashed)
    amended = reconcile(conn, row)
    if amended is None:
        raise KioskError(IDEMPOTENCY_CONFLICT)
    conn.execute(_AMEND, {"b_pk": row.pk, "b_hash": hashed, "b_response": _dumps(amended)})
    return 200, amended


def claim(
    conn: Connection,
    *,
    device_id: str,
    key: str,
    kind: str,
    hashed: str,
    now: datetime,
    response: dict | None = None,
) -> None:
    """Claim the key with its reply: now, or with the transaction's last statement when the
    transaction defers claims (defer_claims: a used key then fails that statement, and the
    group-commit thread runs its writes again, each claiming at once)."""
    row = {
        "device_id": device_id,
        "key": key,
        "kind": kind,
        "body_hash": hashed,
        "status": 201,
        "created_at": now,
        "response": None if response is None else _dumps(response),
    }
    deferred = conn.info.get(_DEFERRED)
    if deferred is not None:
        deferred.append(row)
        return
    try:
        _CLAIM.execute(conn, row)
    except IntegrityError as exc:
        raise KeyTaken from exc


def defer_claims(conn: Connection) -> None:
    """From now on in this transaction, claim leaves its row to the transaction's last
    statement (eventlog.flush; on PostgreSQL a round trip less a request, issue 17). A key
    used meanwhile then fails that statement with IntegrityError, not the request's claim."""
    conn.info[_DEFERRED] = []


def take_deferred(conn: Connection) -> list[dict[str, Any]]:
    """The claims deferred so far (each a row of CLAIM_COLUMNS), no longer kept."""
    return conn.info.pop(_DEFERRED, None) or []


def write_claims(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _CLAIM.execute_many(conn, rows)


def run_in_transaction(
    conn: Connection,
    row: KeyRow | None,
    *,
    device_id: str,
    key: str,
    kind: str,
    hashed: str,
    now: datetime,
    work: Callable[[Connection], dict],
    reconcile: Reconcile | None = None,
) -> tuple[int, dict]:
    """Inside an open write transaction (or savepoint): replay, or claim the key and work.
    `row`: the key's row read in this transaction (find), None when it is unused."""
    if row is not None:
        return resolve(conn, row, kind, hashed, reconcile)
    # The key is claimed with its reply after the work, in one INSERT (one statement less in
    # the write lock): a concurrent claim of the same key still fails on UNIQUE, and its
    # work is rolled back with its transaction (or savepoint).
    response = work(conn)
    claim(conn, device_id=device_id, key=key, kind=kind, hashed=hashed, now=now,
          response=response)
    return 201, response


def run_once(
    database: Database,
    *,
    device_id: str,
    key: str,
    kind: str,
    hashed: str,
    now: Callable[[], datetime],
    work: Callable[[Connection], dict],
    reconcile: Reconcile | None = None,
) -> tuple[int, dict]:
    """One request: (201, result) the first time, (200, the same result) after."""
    with database.read() as conn:  # fast path for retries, no write lock taken
        row = find(conn, device_id, key)
    if row is not None and (reconcile is None or matches(row, kind, hashed)):
        return replay(row, kind, hashed)
    try:
        return database.transact(
            lambda conn: run_in_transaction(
                conn,
                find(conn, device_id, key),
                device_id=device_id,
                key=key,
                kind=kind,
                hashed=hashed,
                now=now(),
                work=work,
                reconcile=reconcile,
            )
        )
    except KeyTaken:  # a concurrent request with this key committed first (PostgreSQL)
        with database.write() as conn:
            row = find(conn, device_id, key)
            if row is None:  # cannot happen: a key that raised KeyTaken was committed
                raise KioskError(IDEMPOTENCY_CONFLICT, "key in use concurrently") from None
            return resolve(conn, row, kind, hashed, reconcile)
