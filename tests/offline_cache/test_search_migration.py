"""A store at schema v1 — the mirror filled, no search index — gets its index built when
today's code opens it, and then answers exactly like a store synced with today's code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from common import wire
from offline_cache import search_query
from offline_cache.catalog import Catalog, _row
from offline_cache.store import MIGRATIONS, SCHEMA_VERSION, LocalStore, _split_sql
from tests.offline_cache.search_reference import Reference, apply
from tests.offline_cache.test_search_maintenance import check_index

QUERIES = ["", "证", "登记", "居民身份证", "（跨省通办）", "申请表", "y", "jmsfz", "shebaoka"]


def make_v1_store(path: Path, items: list[wire.CatalogItem]) -> None:
    """What a v1 kiosk left on disk: MIGRATIONS[0] only, catalog rows as v1 mirrored them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for statement in _split_sql(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    rows = [_row(i) for i in items]
    conn.executemany(f"INSERT INTO catalog_item({', '.join(rows[0])}) "
                     f"VALUES ({', '.join('?' * len(rows[0]))})", [tuple(r.values()) for r in rows])
    conn.execute("COMMIT")
    conn.close()


def _answers(store: LocalStore) -> list:
    with store.reading() as conn:
        return [[(h.code, h.tier) for h in search_query.search(conn, q, **f)]
                for q in QUERIES for f in ({}, {"department": "示例市公安局"})]


def test_v1_store_gets_its_index(tmp_path: Path, synthetic: list[wire.CatalogItem]) -> None:
    items = synthetic[:1500]
    make_v1_store(tmp_path / "v1.db", items)
    migrated = LocalStore(tmp_path / "v1.db")
    synced = LocalStore(tmp_path / "fresh.db")
    try:
        assert migrated.query("PRAGMA user_version")[0]["user_version"] == SCHEMA_VERSION
        check_index(migrated.conn)
        apply(synced, items)
        assert _answers(migrated) == _answers(synced)
        ref = Reference(items)
        assert _answers(migrated) == [ref.search(q, **f) for q in QUERIES
                                      for f in ({}, {"department": "示例市公安局"})]
        assert Catalog(migrated).search("证")[0].matched == "title"
    finally:
        migrated.close()
        synced.close()


def test_an_unreadable_document_is_skipped_not_fatal(tmp_path: Path,
                                                     synthetic: list[wire.CatalogItem]) -> None:
    make_v1_store(tmp_path / "v1.db", synthetic[:20])
    conn = sqlite3.connect(tmp_path / "v1.db")
    bad = synthetic[0].code
    conn.execute("UPDATE catalog_item SET doc = ? WHERE code = ?", ('{"code": 1}', bad))
    conn.commit()
    conn.close()
    store = LocalStore(tmp_path / "v1.db")  # opens: the other items are searchable
    try:
        found = {r.code for r in Catalog(store).search("", limit=100)}
        assert found == {i.code for i in synthetic[1:20]}
    finally:
        store.close()
