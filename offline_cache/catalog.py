"""The local catalog mirror and guide search.

The mirror follows the server's changes feed: each page and its cursor are applied in one
transaction, so an interrupted sync resumes exactly where it stopped; tombstones delete.
Search runs only on local data (pinyin comes precomputed from the server: no pinyin library
in the kiosk process).
"""

from __future__ import annotations

import gc
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from common import wire
from common.errors import KioskError
from common.views import ItemSummary
from offline_cache import (
    catalog_doc,
    catalog_snapshot,
    catalog_store,
    search_build,
    search_index,
    search_near,
    search_query,
)
from offline_cache.search_reader import SearchReader
from offline_cache.store import LocalStore

if TYPE_CHECKING:  # the server-side builder runs without the HTTP client's stack
    from offline_cache.client import HallClient

log = logging.getLogger(__name__)

CURSOR_META = "catalog_cursor"
SYNCED_AT_META = "catalog_synced_at"
# Items per changes-feed page: each page costs a commit and an FTS5 segment, so 1,000 syncs
# 100,000 items ~15 % faster than 500 (bench/bench_search.py); ~4 MB of JSON per page.
PAGE_SIZE = 1000
INDEX_PENDING_META = "catalog_index_pending"  # "1": mirrored pages wait for the search index
# Stored documents read per batch when the index is built from the mirror (search_build.rebuild:
# a resumed snapshot, a server without one); ~3 MB of documents in memory per 1,000.
BULK_INDEX_BATCH = 5000
# PRAGMA cache_size during a first sync (the store's is 64 MiB): as fast, ~50 MB less peak RSS
BULK_CACHE_KIB = -16384


def _columns(item: wire.CatalogItem | Any) -> tuple:
    """The mirror row but its document. Pinyin, alias and body text live in the search index
    (search_index.py); the v1 columns that held them for the old LIKE search keep their ''
    default."""
    return (item.code, item.title, item.title_en, item.department, "|".join(item.audience),
            "|".join(item.life_events), item.handling_type, item.promised_days, item.popularity)


def _row(item: wire.CatalogItem) -> dict[str, Any]:
    """The mirror row with its document as plain JSON text (a v1–v6 store's form; tests and
    bench/bench_search.py write rows with it)."""
    return dict(zip(_COLUMNS, (*_columns(item), item.model_dump_json()), strict=True))


_COLUMNS = ["code", "title", "title_en", "department", "audience", "life_events",
            "handling_type", "promised_days", "popularity", "doc"]
_UPSERT = (f"INSERT INTO catalog_item({', '.join(_COLUMNS)}) VALUES "
           f"({', '.join('?' * len(_COLUMNS))}) ON CONFLICT(code) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "code"))


def write_items(conn: sqlite3.Connection, items: Sequence[Any], docs: Sequence[str | bytes]
                ) -> None:
    """Upsert mirror rows: the items' columns and their JSON documents, stored compressed."""
    stored = catalog_doc.encode_many(conn, docs)
    conn.executemany(_UPSERT, [(*_columns(i), d) for i, d in zip(items, stored, strict=True)])


def mirror_page(conn: sqlite3.Connection, page: wire.CatalogChanges) -> None:
    """Mirror one changes-feed page in the caller's transaction, without the search index."""
    write_items(conn, page.items, [i.model_dump_json() for i in page.items])
    conn.executemany("DELETE FROM catalog_item WHERE code = ?", [(c,) for c in page.deleted])


def apply_page(conn: sqlite3.Connection, page: wire.CatalogChanges) -> None:
    """Mirror one changes-feed page in the caller's transaction, search index included."""
    mirror_page(conn, page)
    search_index.apply_changes(conn, page.items, page.deleted)


class Catalog:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.reader: SearchReader | None = None  # the running kiosk's (open_reader)

    def open_reader(self, budget: int) -> None:
        """Search on a connection of its own with the store mapped, up to `budget` bytes of
        it resident (search_reader.py): the running kiosk; the CLI and the sync keep the
        store's connection. 0: stay on it."""
        if budget > 0 and self.reader is None:
            self.reader = SearchReader(self.store.path, budget)

    def warm_search(self) -> None:
        """Build what the did-you-mean guesses keep per index version on the connection
        searches run on (20–60 ms for 100,000 items), before a citizen's first typo."""
        self._warmed(1)

    def close_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _search_reading(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.reader.reading() if self.reader is not None else self.store.reading()

    def cursor(self) -> str | None:
        return self.store.get_meta(CURSOR_META) or None

    def pull(self, client: HallClient, *, page_size: int = PAGE_SIZE,
             progress: Callable[[int], None] | None = None) -> int:
        """Follow the changes feed to its end; returns how many items/tombstones applied.

        Into an empty mirror (a fresh kiosk) the server-built store is copied when the server
        has one for this kiosk's layout (catalog_store.py), then the feed follows from its
        cursor. Otherwise the server's snapshot is loaded first
        (catalog_snapshot.py) and the search index is built as it streams, each row written
        once (search_build.py): per page, ~half of a 100,000-item sync went to moving units
        whose best item arrived in a later page and relabelling codes that came out of code
        order. When that cannot be done (a resumed snapshot, no snapshot offered), pages are
        mirrored alone and the index is built from the mirror at the end. Until the index is
        built INDEX_PENDING_META says so; an interrupted first sync finishes the same way."""
        empty = not self.store.query("SELECT 1 FROM catalog_item LIMIT 1")  # COUNT(*) scans
        bulk = empty or self.store.get_meta(INDEX_PENDING_META) == "1"
        if not bulk:
            return self._warmed(self._follow(client, page_size, progress, 0, bulk=False))
        cache = self.store.query("PRAGMA cache_size")[0]["cache_size"]
        self.store.conn.execute(f"PRAGMA cache_size={BULK_CACHE_KIB}")
        try:
            copied = catalog_store.fetch(self.store, client, (
                CURSOR_META, INDEX_PENDING_META, catalog_snapshot.SNAPSHOT_META)) if empty else None
            if copied is not None:  # the server-built store: the feed from its cursor
                if progress:
                    progress(copied)
                applied = self._follow(client, page_size, progress, copied, bulk=False)
            else:
                applied = self._bulk_load(client, page_size, progress)
        finally:
            self.store.conn.execute(f"PRAGMA cache_size={cache}")
        return self._warmed(applied)

    def _bulk_load(self, client: HallClient, page_size: int,
                   progress: Callable[[int], None] | None) -> int:
        """The snapshot (or the feed) into the mirror, the search index built in one go."""
        with _collector_paused():
            applied, built = self.load_snapshot(client, progress)
            applied = self._follow(client, page_size, progress, applied, bulk=not built)
            if not built:
                with self.store.transaction() as conn:
                    search_index.rebuild(conn, batch=BULK_INDEX_BATCH)  # compacts at end
                    self.store.set_meta(conn, INDEX_PENDING_META, "0")
        return applied

    def _warmed(self, applied: int) -> int:
        """`applied`, once what the search keeps per index version is rebuilt when the pull
        changed the index (the did-you-mean starts: 20–60 ms for 100,000 items, else paid by
        the first typo searched after the change)."""
        if applied:
            with self._search_reading() as conn:  # the connection searches run on
                search_near.warm(conn)
        return applied

    def _follow(self, client: HallClient, page_size: int,
                progress: Callable[[int], None] | None, applied: int, *, bulk: bool) -> int:
        """The changes feed from the stored cursor to its end, a transaction a page (mirrored
        alone when `bulk`: the index is built after); the count of changes applied so far."""
        start = applied
        while True:
            page = client.catalog_changes(self.cursor(), page_size)
            with self.store.transaction() as conn:
                if bulk:
                    mirror_page(conn, page)
                    self.store.set_meta(conn, INDEX_PENDING_META, "1")
                else:
                    apply_page(conn, page)
                self.store.set_meta(conn, CURSOR_META, page.cursor)
                self.store.set_meta(conn, SYNCED_AT_META, wire_now())
            applied += len(page.items) + len(page.deleted)
            if progress:
                progress(applied)
            if not page.more:
                break
        if not bulk and applied - start >= search_index.COMPACT_AFTER:
            with self.store.transaction() as conn:
                search_index.compact(conn)
        return applied

    def load_snapshot(self, client: HallClient,
                       progress: Callable[[int], None] | None) -> tuple[int, bool]:
        """The server's snapshot into the mirror, its cursor taken: (items loaded, whether the
        search index was built with them); 0 when the server has none to offer (the feed then
        starts from the beginning)."""
        builder: list[search_build.Builder] = []

        def start(count: int, after: str) -> None:
            if not after:  # from the first code: the index is built as the items stream
                with self.store.transaction() as conn:
                    builder.append(search_build.Builder(conn, count))

        def write(conn: sqlite3.Connection, items: Sequence[Any], docs: Sequence[bytes]) -> None:
            write_items(conn, items, docs)
            self.store.set_meta(conn, INDEX_PENDING_META, "1")
            if builder:
                builder[0].add(conn, items)

        try:
            loaded, cursor = catalog_snapshot.load(self.store, client, write, progress, start)
        except KioskError as exc:
            if getattr(exc, "http_status", None) != catalog_snapshot.NOT_OFFERED:
                raise
            with self.store.transaction() as conn:  # from the start: nothing is skipped
                self.store.set_meta(conn, CURSOR_META, "")
            return 0, False
        built = bool(builder) and builder[0].in_order and builder[0].added == loaded
        with self.store.transaction() as conn:
            self.store.set_meta(conn, CURSOR_META, cursor)
            if built:
                builder[0].finish(conn)
            self.store.set_meta(conn, INDEX_PENDING_META, "0" if built else "1")
        return loaded, built

    def count(self) -> int:
        return self.store.query("SELECT COUNT(*) AS n FROM catalog_item")[0]["n"]

    def get(self, code: str) -> dict[str, Any] | None:
        with self.store.reading() as conn:
            row = conn.execute("SELECT doc FROM catalog_item WHERE code = ?", (code,)).fetchone()
            return json.loads(catalog_doc.decode(conn, row[0])) if row else None

    def document(self, stored: bytes | str) -> str:
        """A stored `doc` column as JSON text (ValueError when damaged)."""
        with self.store.reading() as conn:
            return catalog_doc.decode(conn, stored)

    def departments(self) -> list[str]:
        rows = self.store.query("SELECT department, COUNT(*) AS n FROM catalog_item "
                                "GROUP BY department ORDER BY n DESC, department")
        return [r["department"] for r in rows]

    def life_events(self) -> list[str]:
        events: dict[str, int] = {}
        for r in self.store.query("SELECT life_events FROM catalog_item WHERE life_events != ''"):
            for e in r["life_events"].split("|"):
                events[e] = events.get(e, 0) + 1
        return sorted(events, key=lambda e: (-events[e], e))

    def search(self, query: str, *, limit: int = 20, department: str | None = None,
               life_event: str | None = None, audience: str | None = None) -> list[ItemSummary]:
        """Ranked: title/alias before materials/conditions, exact and prefix first, then
        popularity, then code. Chinese is matched as a substring at any length; Latin letters
        as pinyin initials or full pinyin (spaces ignored), from a syllable start. An empty
        query lists the most popular items that pass the filters (docs/search.md). When
        nothing matches, near misses come back with matched == "similar": a homophone typo
        found by its pinyin, full pinyin with one letter off."""
        with self._search_reading() as conn:
            hits = search_query.search(conn, query, limit=limit, department=department,
                                       life_event=life_event, audience=audience)
            if not hits:  # nothing as typed: what the citizen probably meant ("similar")
                hits = search_query.similar(conn, query, limit=limit, department=department,
                                            life_event=life_event, audience=audience)
            if not hits:
                return []
            rows = conn.execute(
                "SELECT code, title, title_en, department, handling_type, promised_days "
                "FROM catalog_item WHERE code IN (SELECT value FROM json_each(?))",
                (json.dumps([h.code for h in hits]),)).fetchall()
        by_code = {r[0]: r for r in rows}
        return [_summary(by_code[h.code], h.label) for h in hits if h.code in by_code]


def _summary(row: tuple, matched: str) -> ItemSummary:
    code, title, title_en, department, handling_type, promised_days = row
    return ItemSummary(code=code, title=title, title_en=title_en, department=department,
                       handling_type=handling_type, promised_days=promised_days,
                       matched=matched)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a first sync: it scanned the batches' ~100,000
    young objects over and over (validating a snapshot line took 33 µs with it, 20 without; ~1
    CPU s of a 100,000-item sync). Nothing a sync makes holds a cycle, and whatever another
    thread leaves meanwhile is collected once it is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def wire_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
