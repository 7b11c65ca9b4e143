"""The catalog part of a kiosk store, built once by the hall server and copied by a fresh kiosk
(issue 17): a first sync that builds its own search index is ~13 CPU s for 100,000 items; a
copy of the server-built file is a download and a few INSERT … SELECTs.

The server runs `python -m offline_cache.catalog_store build OUT` (a process of its own: the
server imports nothing of the kiosk, and the build's CPU stays off its request threads) and
pipes the JSON Lines snapshot into it; the file is made by this package's own code
(Catalog.load_snapshot: the same validation, compression and index build as a kiosk's).

A kiosk copies the file only when its layout is the kiosk's own: the store's schema version
(every change of a table or of the index layout is a migration, store.py), and the CREATE
statement of each copied table equal to its own. Anything else — a bad hash, a torn download,
another layout, a server without the route — is logged and the caller falls back to the JSON
Lines snapshot. The copy is one transaction: never a half-copied catalog.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from common.errors import SERVER_REPLY_INVALID, KioskError
from common.redact import RedactingFilter
from offline_cache import search_index
from offline_cache.store import SCHEMA_VERSION, LocalStore

if TYPE_CHECKING:  # the server-side builder runs without the HTTP client's stack
    from offline_cache.client import HallClient

log = logging.getLogger(__name__)

LAYOUT = SCHEMA_VERSION  # a store of another version holds other tables or another index
FTS_TABLE = "search_gram"  # its shadow tables are copied; the virtual table is made anew
# Copied as rows (catalog_dict before catalog_item: documents name their dictionary).
PLAIN_TABLES = ("catalog_dict", "catalog_item",
                *(t for t in search_index.TABLES if t != FTS_TABLE))
ITEMS_META = "catalog_store_items"  # in the built file: how many items it holds


class _Lines:
    """What Catalog.load_snapshot reads from a client: the snapshot's lines, once."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self.lines = lines

    def catalog_snapshot(self, upto: str | None = None, after: str = "") -> Iterator[bytes]:
        return self.lines


def build(out: Path, lines: Iterator[bytes]) -> int:
    """A store at `out` holding the catalog of the JSON Lines snapshot `lines` (head, items,
    trailer), made as a kiosk's first sync makes it; its WAL folded in, so that the one file
    is the whole store. Returns its items (the head's count: the load checks the trailer)."""
    from offline_cache.catalog import Catalog  # it imports this module

    store = LocalStore(out)
    try:
        catalog = Catalog(store)
        loaded, built = catalog.load_snapshot(cast("HallClient", _Lines(lines)), None)
        if not built:
            raise KioskError(SERVER_REPLY_INVALID, "snapshot items out of code order")
        with store.transaction() as conn:
            store.set_meta(conn, ITEMS_META, str(loaded))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        store.close()
    os.chmod(out, 0o644)  # public data, served as it is
    return loaded


def readable(snap: str, conn: sqlite3.Connection) -> str | None:
    """Why the attached file `snap` cannot be copied into `conn`'s main store (None: it can)."""
    version = conn.execute(f"PRAGMA {snap}.user_version").fetchone()[0]
    if version != LAYOUT:
        return f"layout {version}, this kiosk reads {LAYOUT}"
    check = conn.execute(f"PRAGMA {snap}.quick_check").fetchone()[0]
    if check != "ok":
        return f"quick_check: {check}"
    for table in (*PLAIN_TABLES, FTS_TABLE, *_shadow_tables(conn, "main")):
        theirs = _create_sql(conn, snap, table)
        if theirs is None or theirs != _create_sql(conn, "main", table):
            return f"table {table} differs from this kiosk's"
    return None


def _create_sql(conn: sqlite3.Connection, schema: str, table: str) -> str | None:
    row = conn.execute(f"SELECT sql FROM {schema}.sqlite_master WHERE type = 'table' "
                       "AND name = ?", (table,)).fetchone()
    return row[0] if row else None


def _shadow_tables(conn: sqlite3.Connection, schema: str) -> list[str]:
    """The FTS5 table's shadow tables as its options made them (_data, _idx, _config, and
    _docsize/_content when present)."""
    rows = conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND "
                        "name LIKE ? ESCAPE '\\' ORDER BY name",
                        (FTS_TABLE.replace("_", "\\_") + "\\_%",)).fetchall()
    return [r[0] for r in rows]


def copy_into(conn: sqlite3.Connection, snap: str, meta_keys: Sequence[str]) -> int:
    """The attached file's catalog and its `meta_keys` rows into the main store, in the
    caller's transaction (the main store's catalog is empty: a fresh kiosk); its items."""
    for table in PLAIN_TABLES:
        conn.execute(f"DELETE FROM main.{table}")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM {snap}.{table}")
    # The virtual table made anew, so that no FTS5 object of this connection keeps a cached
    # structure of the empty one; then its shadow tables take the built index's rows.
    fts_sql = _create_sql(conn, "main", FTS_TABLE)
    conn.execute(f"DROP TABLE main.{FTS_TABLE}")
    conn.execute(cast(str, fts_sql))
    for table in _shadow_tables(conn, "main"):
        conn.execute(f"DELETE FROM main.{table}")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM {snap}.{table}")
    search_index.forget(conn)  # what this process knew of the empty index
    conn.execute(f"INSERT INTO main.meta(key, value) SELECT key, value FROM {snap}.meta "
                 "WHERE key IN (SELECT value FROM json_each(?)) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (json.dumps(meta_keys),))
    row = conn.execute(f"SELECT value FROM {snap}.meta WHERE key = ?", (ITEMS_META,)).fetchone()
    return int(row[0]) if row else 0


def fetch(store: LocalStore, client: HallClient, meta_keys: Sequence[str]) -> int | None:
    """The server-built catalog copied into a fresh kiosk's store: its items; the file's
    `meta_keys` rows (the cursor the changes feed follows from, …) are copied in the same
    transaction. None (logged) when it cannot be had or used: the caller then loads the JSON
    Lines snapshot. The download goes to a file next to the store (streamed: memory stays
    flat) and is removed afterwards."""
    tmp = store.path.with_name(store.path.name + ".catalog-store")
    try:
        digest, etag, cursor = client.catalog_store(LAYOUT, tmp)
        if etag != digest:
            raise KioskError(SERVER_REPLY_INVALID, f"SHA-256 {digest[:12]}… is not the "
                             f"ETag {etag[:12]}… (damaged or cut download)")
        with store.attached(tmp, "snap") as conn:
            why = readable("snap", conn)
            if why:
                raise KioskError(SERVER_REPLY_INVALID, why)
            with store.transaction():
                items = copy_into(conn, "snap", meta_keys)
            # the one transaction left a WAL as large as the catalog: its disk back now
            conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        log.info("catalog store copied from the server: %d items at cursor %s", items, cursor)
        return items
    except (KioskError, sqlite3.Error, OSError) as exc:
        status = getattr(exc, "http_status", None)
        if status in (404, 409):
            log.info("no server-built catalog store for layout %d (HTTP %d): loading the "
                     "snapshot", LAYOUT, status)
        else:
            log.warning("server-built catalog store not used, loading the snapshot: %s", exc)
        return None
    finally:
        tmp.unlink(missing_ok=True)


def _main(argv: list[str]) -> int:
    """`build OUT`: the JSON Lines snapshot on stdin → a built store at OUT. The exit status is
    the answer (the server reads the layout from the file's user_version; the cursor and the
    count are those of the snapshot it sent); a failure is logged on stderr."""
    parser = argparse.ArgumentParser(prog="python -m offline_cache.catalog_store")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build a catalog store from a snapshot on stdin") \
        .add_argument("out", type=Path)
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()  # stderr, which the server's own log receives
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    try:
        build(args.out, (line.rstrip(b"\n") for line in sys.stdin.buffer))
    except (KioskError, sqlite3.Error, OSError) as exc:
        log.error("catalog store not built: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
