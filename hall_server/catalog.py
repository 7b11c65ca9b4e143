"""The catalog feed: items by change sequence number, tombstones, an opaque cursor.

The cursor encodes the server's own sequence number (never a kiosk clock). Sequence numbers
come from a counter row bumped inside the importing transaction; the row lock is held until
commit, so imports commit in sequence order and a reader never skips past an uncommitted one.
Item JSON (with its search helpers) is stored ready to send, so the feed only concatenates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from common.errors import NOT_FOUND, VALIDATION, KioskError
from hall_server.schema import catalog_items

CATALOG_SEQ = "catalog"
DEFAULT_LIMIT = 500
MAX_LIMIT = 2000


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, seq = text.split(":", 1)
        if version != "c1" or not seq.isdigit():
            raise ValueError(text)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise KioskError(VALIDATION, "since: not a cursor this server issued") from None


def changes_json(conn: Connection, since: str | None, limit: int) -> str:
    """The `CatalogChanges` reply, as JSON text."""
    start = decode_cursor(since)
    rows = conn.execute(
        select(
            catalog_items.c.code, catalog_items.c.seq, catalog_items.c.deleted, catalog_items.c.data
        )
        .where(catalog_items.c.seq > start)
        .order_by(catalog_items.c.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [r.data for r in rows if not r.deleted]
    deleted = [r.code for r in rows if r.deleted]
    cursor = encode_cursor(rows[-1].seq if rows else start)
    return (
        '{"items":['
        + ",".join(items)
        + '],"deleted":'
        + json.dumps(deleted, ensure_ascii=False)
        + ',"cursor":'
        + json.dumps(cursor)
        + ',"more":'
        + ("true" if more else "false")
        + "}"
    )


def item_json(conn: Connection, code: str) -> str:
    row = conn.execute(
        select(catalog_items.c.data).where(
            catalog_items.c.code == code, catalog_items.c.deleted.is_(False)
        )
    ).first()
    if row is None:
        raise KioskError(NOT_FOUND, "no such catalog item")
    return row.data


def item_summary(conn: Connection, code: str) -> dict | None:
    """title and promised_days of a live item (for applications), or None."""
    row = conn.execute(
        select(catalog_items.c.data).where(
            catalog_items.c.code == code, catalog_items.c.deleted.is_(False)
        )
    ).first()
    return json.loads(row.data) if row else None


# --- snapshot: a fresh kiosk's first sync in one streamed reply -------------------------------
SNAPSHOT_CHUNK = 2000  # items read per short read transaction while streaming


def snapshot_head(conn: Connection, upto: str | None, after: str) -> tuple[int, int]:
    """(the feed position the snapshot holds, its live items after the code `after`). Without
    `upto`, the feed's last sequence number. An item changed or deleted later has a larger
    number: the kiosk gets it from the feed. A kiosk resumes a cut snapshot with the same
    `upto` and the last code it stored."""
    last = decode_cursor(upto) if upto else (
        conn.execute(select(func.max(catalog_items.c.seq))).scalar() or 0)
    count = conn.execute(
        select(func.count()).where(catalog_items.c.seq <= last, catalog_items.c.code > after,
                                   catalog_items.c.deleted.is_(False))
    ).scalar() or 0
    return last, count


def snapshot_etag(last: int, count: int, after: str) -> str:
    tail = hashlib.blake2b(after.encode(), digest_size=6).hexdigest() if after else ""
    return f'"{encode_cursor(last)}.{count}{tail and "." + tail}"'


def snapshot_chunk(conn: Connection, last: int, after: str, limit: int = SNAPSHOT_CHUNK) -> list:
    """Live items with seq ≤ `last`, in code order after the code `after`: (code, data) rows."""
    return conn.execute(
        select(catalog_items.c.code, catalog_items.c.data)
        .where(catalog_items.c.seq <= last, catalog_items.c.deleted.is_(False),
               catalog_items.c.code > after)
        .order_by(catalog_items.c.code)
        .limit(limit)
    ).all()


def snapshot_lines(database: Any, last: int, count: int, after: str) -> Iterator[bytes]:
    """The snapshot's JSON Lines (GET /catalog/snapshot; the server-built catalog store is made
    from the same lines): head, items after the code `after` with seq <= `last`, trailer."""
    yield (json.dumps({"cursor": encode_cursor(last), "count": count}) + "\n").encode()
    digest = hashlib.sha256()
    sent = 0
    while True:
        with database.read() as conn:  # short reads: a long stream holds no transaction
            rows = snapshot_chunk(conn, last, after)
        if not rows:
            break
        chunk = "".join(f"{r.data}\n" for r in rows).encode()
        digest.update(chunk)
        sent += len(rows)
        after = rows[-1].code
        yield chunk
    yield (json.dumps({"count": sent, "sha256": digest.hexdigest()}) + "\n").encode()
