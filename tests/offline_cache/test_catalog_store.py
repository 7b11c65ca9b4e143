"""A fresh kiosk's first sync through the catalog store the server builds (issue 17): the same
catalog rows and search answers as a kiosk that built its own index from the JSON Lines
snapshot; a damaged or cut download, another layout, a server without a file: the snapshot
instead, a whole catalog either way; a file older than the catalog: the feed after its cursor."""

from __future__ import annotations

import json
import logging
import time

import pytest

from hall_server import catalog as server_catalog
from hall_server.catalog_import import import_catalog
from hall_server.catalog_store import INDEX, CatalogStores
from hall_server.synthetic import generate_catalog
from offline_cache import catalog_doc, catalog_snapshot, catalog_store
from offline_cache.catalog import CURSOR_META, INDEX_PENDING_META, Catalog
from offline_cache.client import HallClient
from offline_cache.store import LocalStore
from tests.support.server import start_server_thread

N = 400
QUERIES = ["营业执照", "身份证", "社保", "yyzz", "shebao", "证", "不动产登记", "xyz", "sb", "营"]
TABLES = ("search_facet", "search_dept", "search_term",
          "search_rank", "search_posting", "search_body_set", "search_body_member", "search_doc",
          "search_char")


def _lines(items):
    return [json.dumps(i, ensure_ascii=False) for i in items]


def _start(tmp_path, *, build: bool = True, rebuild_s: float = 0):
    server = start_server_thread(tmp_path, overrides={"server": {
        "catalog_store_build": build, "catalog_store_rebuild_s": rebuild_s}})
    import_catalog(server.database, _lines(generate_catalog(N, seed=5)))
    return server


def _stores(server) -> CatalogStores:
    from hall_server import catalog_store as server_side

    stores = server_side.of(server.ctx)
    assert stores is not None
    return stores


def _built(server):
    """The server's file, built now (as a kiosk's first request would start it)."""
    stores = _stores(server)
    built = stores.build()
    assert built is not None and built.items == N
    return stores, built


@pytest.fixture
def hall(tmp_path):
    server = _start(tmp_path / "hall")
    yield server
    server.stop()


def _sync(tmp_path, url, name, *, build_off: bool = False) -> tuple[LocalStore, Catalog]:
    store = LocalStore(tmp_path / name)
    client = HallClient(url)
    try:
        catalog = Catalog(store)
        catalog.pull(client, page_size=150)
    finally:
        client.close()
    return store, catalog


def _searches(catalog: Catalog) -> list[list[str]]:
    return [[r.code for r in catalog.search(q, limit=50)] for q in QUERIES]


def _rows(store: LocalStore, table: str) -> list[tuple]:
    with store.reading() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def _items(store: LocalStore) -> list[tuple]:
    """Mirror rows with their documents decoded (a dictionary is trained per store: the
    compressed bytes differ)."""
    with store.reading() as conn:
        rows = conn.execute("SELECT * FROM catalog_item ORDER BY code").fetchall()
        return [(*r[:-1], catalog_doc.decode(conn, r[-1])) for r in rows]


def _fts_ok(store: LocalStore) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO search_gram(search_gram, rank) VALUES ('integrity-check', 0)")


def test_a_kiosk_synced_from_the_store_equals_one_that_built_its_own(tmp_path, hall, caplog):
    caplog.set_level(logging.INFO, "offline_cache.catalog_store")
    # the first kiosk finds no file (404: the JSON Lines snapshot) and starts the build
    ref_store, ref_catalog = _sync(tmp_path, hall.url, "reference.db")
    assert "(HTTP 404)" in caplog.text
    _stores(hall).wait(60)
    store, catalog = _sync(tmp_path, hall.url, "copied.db")
    try:
        assert "catalog store copied from the server: 400 items" in caplog.text
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
        assert store.get_meta(CURSOR_META) == ref_store.get_meta(CURSOR_META)
        assert store.get_meta(catalog_snapshot.SNAPSHOT_META) == ""  # no snapshot to resume
        assert _items(store) == _items(ref_store)
        for table in TABLES:  # search_state holds a per-store token: not compared
            assert _rows(store, table) == _rows(ref_store, table), table
        _fts_ok(store)
        searches = _searches(catalog)
        assert searches == _searches(ref_catalog) and sum(map(len, searches)) > 100
        assert catalog.get("S00042") == ref_catalog.get("S00042") or catalog.get("S00042")
        assert not (tmp_path / "copied.db.catalog-store").exists()  # the download is removed
        assert store.integrity_ok()
    finally:
        store.close()
        ref_store.close()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_download_is_refused_and_the_snapshot_loads(tmp_path, hall, caplog, damage):
    stores, built = _built(hall)
    path = stores.path(built)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        del data[len(data) // 3:]
    path.write_bytes(bytes(data))
    store, catalog = _sync(tmp_path, hall.url, "kiosk.db")
    try:
        assert "server-built catalog store not used" in caplog.text
        assert "is not the ETag" in caplog.text
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
        assert any(_searches(catalog))
        _fts_ok(store)
        assert not (tmp_path / "kiosk.db.catalog-store").exists()
    finally:
        store.close()


def test_a_file_older_than_the_catalog_is_copied_then_the_changes_follow(tmp_path, hall):
    _stores(hall).rebuild_s = 3600  # no rebuild when the catalog moves on
    _, built = _built(hall)
    items = list(generate_catalog(N, seed=5))
    changed = items[:3]
    for item in changed:
        item["title"] = item["title"] + "补充说明"
    gone = items.pop(10)["code"]
    fresh = list(generate_catalog(N + 5, seed=9))[-2:]
    for i, item in enumerate(fresh):
        item["code"] = f"ZZ{i:04d}"
    import_catalog(hall.database, _lines(items + fresh))  # the whole catalog, as an import is
    store, catalog = _sync(tmp_path, hall.url, "kiosk.db")
    try:
        assert _stores(hall).current() == built  # still the older file
        assert catalog.count() == N + 1 and catalog.get(gone) is None
        assert catalog.get("ZZ0001") is not None
        for item in changed:
            assert catalog.get(item["code"])["title"].endswith("补充说明")
        assert [r.code for r in catalog.search(changed[0]["title"], limit=3)][0] == \
            changed[0]["code"]
        client = HallClient(hall.url)
        try:
            with hall.database.read() as conn:
                last, _ = server_catalog.snapshot_head(conn, None, "")
            assert built.cursor != server_catalog.encode_cursor(last)
            assert store.get_meta(CURSOR_META) == server_catalog.encode_cursor(last)
            assert catalog.pull(client) == 0  # nothing left to follow
        finally:
            client.close()
        _fts_ok(store)
    finally:
        store.close()


def test_another_layout_is_refused_and_the_snapshot_loads(tmp_path, hall, caplog):
    stores, built = _built(hall)
    index = stores.dir / INDEX
    claimed = json.loads(index.read_text())
    claimed["layout"] = catalog_store.LAYOUT + 1  # a server with a newer kiosk package
    index.write_text(json.dumps(claimed))
    caplog.set_level(logging.INFO, "offline_cache.catalog_store")
    store, catalog = _sync(tmp_path, hall.url, "kiosk.db")
    try:
        assert f"no server-built catalog store for layout {catalog_store.LAYOUT} (HTTP 409)" \
            in caplog.text
        assert catalog.count() == N and any(_searches(catalog))
    finally:
        store.close()


def test_a_file_of_another_layout_under_the_right_name_is_not_copied(tmp_path, hall, caplog):
    """The kiosk reads the layout from the file itself, not only the server's word."""
    import hashlib
    import sqlite3

    stores, built = _built(hall)
    path = stores.path(built)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {catalog_store.LAYOUT + 1}")
    conn.close()
    claimed = json.loads((stores.dir / INDEX).read_text())
    claimed["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (stores.dir / INDEX).write_text(json.dumps(claimed))
    store, catalog = _sync(tmp_path, hall.url, "kiosk.db")
    try:
        assert f"layout {catalog_store.LAYOUT + 1}, this kiosk reads" in caplog.text
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
    finally:
        store.close()


def test_a_server_that_builds_none_answers_404(tmp_path):
    server = _start(tmp_path / "hall", build=False)
    try:
        client = HallClient(server.url)
        with pytest.raises(Exception) as err:
            client.catalog_store(catalog_store.LAYOUT, tmp_path / "x")
        assert getattr(err.value, "http_status", None) == 404
        client.close()
    finally:
        server.stop()


def test_a_server_starting_with_a_catalog_builds_its_store_once(tmp_path, hall):
    """`kiosk serve` warms the file at start (runner.serve): the first fresh kiosk after an
    import or an upgrade finds one instead of a 404; at the catalog's version, no new build;
    an empty catalog, none at all."""
    stores = _stores(hall)
    assert stores.current() is None
    assert stores.warm()
    stores.wait(120)
    built = stores.current()
    assert built is not None and built.items == N
    assert not stores.warm()  # the file holds the catalog's version
    empty = start_server_thread(tmp_path / "empty", overrides={"server": {
        "catalog_store_build": True, "catalog_store_rebuild_s": 0}})
    try:
        assert not _stores(empty).warm()
    finally:
        empty.stop()


def test_a_catalog_imported_into_a_running_server_is_built_without_a_kiosk_asking(
        tmp_path, hall):
    """`kiosk serve` follows the catalog (CatalogStores.follow, every rebuild_s): the file is
    built at start, and again once an import moved the catalog on, with no request."""
    stores = _stores(hall)
    stores.follow()
    try:
        deadline = time.monotonic() + 60
        while (built := stores.current()) is None:
            assert time.monotonic() < deadline, "no file built at start"
            time.sleep(0.1)
        assert built.items == N
        items = list(generate_catalog(N, seed=5))  # what _start imported, and 20 more
        more = [{**item, "code": item["code"] + "X"} for item in items[:20]]
        import_catalog(hall.database, _lines(items + more))
        while (built := stores.current()) is None or built.items != N + 20:
            assert time.monotonic() < deadline, "the import was not built"
            time.sleep(0.1)
    finally:
        stores.stop()
        stores.wait(60)
