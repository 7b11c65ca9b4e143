"""A fresh kiosk's first catalog sync from the server's snapshot (GET /catalog/snapshot): the
live catalog streamed as JSON Lines, mirrored in batches, checked against the trailer's count
and SHA-256 before the feed cursor is taken.

Each item line is stored as sent (compressed, catalog_doc.py): no model of the whole item is
built and dumped again, which was a third of a 100,000-item sync. The line is still checked for
everything the mirror and the search index read (_Mirrored). Batches commit as they come, so
memory stays flat; each batch records where a cut snapshot resumes (the same feed position,
after the last code stored); the cursor is written only once the trailer matched, and local
items the snapshot did not hold (left by an attempt at an older one) are removed then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict  # pydantic wants it on Python < 3.12 (its own dependency)

from common import errors, wire
from common.errors import KioskError
from offline_cache.store import LocalStore

if TYPE_CHECKING:  # the server-side builder runs without the HTTP client's stack
    from offline_cache.client import HallClient

# item lines per transaction: each commit syncs the WAL; 2,500 instead of 1,000 took ~5 % off a
# 100,000-item sync (40 commits, not 100) and a cut snapshot still resumes after its last batch
BATCH = 2500
SNAPSHOT_META = "catalog_snapshot"  # {"upto", "after"}: where a cut snapshot resumes
NOT_OFFERED = 404  # a server from before snapshots: the kiosk follows the feed from the start


class _Named(TypedDict):
    """A material or situation: its name is all the index reads. A dict, not a model: nested
    models were a third of the validation time of a line (77 against 51 µs)."""

    name: str


class _Mirrored(BaseModel):
    """What the mirror's columns and the search index take from an item line."""

    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1)
    title_en: str = ""
    department: str = Field(min_length=1)
    audience: list[str]
    life_events: list[str]
    handling_type: str
    promised_days: int = Field(ge=0)
    popularity: int = Field(ge=0)
    aliases: list[str]
    conditions: list[str]
    materials: list[_Named]
    steps: list[str]
    situations: list[_Named]
    search: wire.SearchHelpers


def _invalid(detail: str) -> KioskError:
    return KioskError(errors.SERVER_REPLY_INVALID, f"GET /catalog/snapshot: {detail}")


def load(store: LocalStore, client: HallClient, write: Callable[..., None],
         progress: Callable[[int], None] | None = None,
         start: Callable[[int, str], None] | None = None) -> tuple[int, str]:
    """Mirror the snapshot's item lines with `write(conn, items, docs)`, resuming a cut one;
    (items, the head's cursor). `start(count, after)` is called once the head is read: the
    items to come, after the code `after` ("" unless resuming). Raises SERVER_REPLY_INVALID on
    a bad line, count or checksum."""
    state = json.loads(store.get_meta(SNAPSHOT_META) or "{}")
    after = str(state.get("after", ""))
    lines = client.catalog_snapshot(state.get("upto"), after)
    try:
        head = json.loads(next(lines))
        cursor, count = str(head["cursor"]), int(head["count"])
    except (StopIteration, ValueError, KeyError, TypeError) as exc:
        raise _invalid("no head line") from exc
    if start:
        start(count, after)
    digest = hashlib.sha256()
    seen: set[str] = set()
    batch: list[bytes] = []
    held: bytes | None = None  # the last line is the trailer, not an item
    for line in lines:
        if held is not None:
            batch.append(held)
            if len(batch) >= BATCH:
                _write_batch(store, batch, digest, seen, write, cursor)
                batch = []
                if progress:
                    progress(len(seen))
        held = line
    if batch:
        _write_batch(store, batch, digest, seen, write, cursor)
    try:
        trailer = json.loads(held or b"")
        ok = trailer["count"] == len(seen) == count and trailer["sha256"] == digest.hexdigest()
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise _invalid(f"{len(seen)} items do not match the trailer (count {count})")
    with store.transaction() as conn:  # left by an attempt at an older snapshot
        local = [r[0] for r in conn.execute("SELECT code FROM catalog_item WHERE code > ?",
                                            (after,))]
        conn.executemany("DELETE FROM catalog_item WHERE code = ?",
                         [(c,) for c in local if c not in seen])
        store.set_meta(conn, SNAPSHOT_META, "")
    if progress:
        progress(len(seen))
    return len(seen), cursor


def _write_batch(store: LocalStore, batch: list[bytes], digest: hashlib._Hash,
                 seen: set[str], write: Callable[..., None], cursor: str) -> None:
    try:
        items = [_Mirrored.model_validate_json(line) for line in batch]
    except ValidationError as exc:
        raise _invalid(str(exc)[:300]) from exc
    for line in batch:
        digest.update(line)
        digest.update(b"\n")
    seen.update(i.code for i in items)
    with store.transaction() as conn:  # the batch and where to resume after it, together
        write(conn, items, batch)
        store.set_meta(conn, SNAPSHOT_META, json.dumps(
            {"upto": cursor, "after": max(i.code for i in items)}))
