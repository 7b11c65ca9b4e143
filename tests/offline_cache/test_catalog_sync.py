"""A fresh kiosk's first catalog sync over real HTTP (issue 17): pages mirrored alone, the search
index built once at the end, documents stored compressed; the same searches as a kiosk synced
page by page; an interrupted first sync finishes the index; later pulls stay per page."""

from __future__ import annotations

import json

import pytest

from hall_server.catalog_import import import_catalog
from hall_server.synthetic import generate_catalog
from offline_cache import catalog_doc
from offline_cache.catalog import INDEX_PENDING_META, Catalog, apply_page
from offline_cache.client import HallClient
from offline_cache.store import LocalStore
from tests.support.server import start_server_thread

N = 400
QUERIES = ["营业执照", "身份证", "社保", "yyzz", "shebao", "证", "不动产登记", "xyz"]


def _lines(items):
    return [json.dumps(i, ensure_ascii=False) for i in items]


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = start_server_thread(tmp_path_factory.mktemp("hall"))
    import_catalog(server.database, _lines(generate_catalog(N, seed=5)))
    yield server
    server.stop()


@pytest.fixture
def client(hall):
    c = HallClient(hall.url)
    yield c
    c.close()


def _store(tmp_path, name="kiosk.db"):
    return LocalStore(tmp_path / name)


def _searches(catalog: Catalog) -> list[list[tuple[str, str]]]:
    return [[(r.code, r.matched) for r in catalog.search(q)] for q in QUERIES]


def test_first_sync_builds_the_index_once_and_matches_a_per_page_sync(tmp_path, client):
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        assert catalog.pull(client, page_size=150) == N
        assert catalog.count() == N
        assert store.get_meta(INDEX_PENDING_META) == "0"
        # the reference: the same feed applied page by page with the index (the old path)
        ref_store = _store(tmp_path, "ref.db")
        try:
            cursor = None
            while True:
                page = client.catalog_changes(cursor, 150)
                with ref_store.transaction() as conn:
                    apply_page(conn, page)
                cursor = page.cursor
                if not page.more:
                    break
            assert _searches(catalog) == _searches(Catalog(ref_store))
        finally:
            ref_store.close()
        assert any(_searches(catalog))
    finally:
        store.close()


def test_documents_are_compressed_against_the_catalogs_dictionary(tmp_path, client, hall):
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        catalog.pull(client)
        code, stored = store.query("SELECT code, doc FROM catalog_item LIMIT 1")[0].values()
        assert isinstance(stored, bytes)
        assert len(store.query("SELECT id FROM catalog_dict")) == 1  # trained on the first page
        served = client.session.get(f"{hall.url}/api/v1/catalog/items/{code}").json()
        doc = catalog.get(code)
        assert doc is not None and doc["title"] == served["title"]
        assert doc["materials"] == served["materials"] and doc["search"] == served["search"]
        total = sum(len(r["doc"]) for r in store.query("SELECT doc FROM catalog_item"))
        assert total / N < 800  # bytes an item (JSON ~2.5 KB)
        # damage is caught by the frame's checksum
        with pytest.raises(ValueError), store.reading() as conn:
            catalog_doc.decode(conn, stored[:-6] + b"\x00" * 6)
    finally:
        store.close()


def test_an_interrupted_first_sync_finishes_its_index_on_the_next_pull(tmp_path, client):
    class Failing:
        """The real client, failing after two pages (the network drops mid-sync)."""

        def __init__(self) -> None:
            self.pages = 0

        def catalog_changes(self, since, limit=500):
            self.pages += 1
            if self.pages > 2:
                raise OSError("network gone")
            return client.catalog_changes(since, limit)

    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        with pytest.raises(OSError):
            catalog.pull(Failing(), page_size=100)  # type: ignore[arg-type]
        assert catalog.count() == 200 and store.get_meta(INDEX_PENDING_META) == "1"
        assert catalog.pull(client, page_size=100) == N - 200
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
        assert len(catalog.search("证", limit=N)) > 200  # every item indexed, not just the last
    finally:
        store.close()


def test_later_pulls_apply_pages_with_the_index(tmp_path, client, hall):
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        catalog.pull(client)
        items = list(generate_catalog(N, seed=5))
        items[0]["title"] = "独一无二的测试事项"
        import_catalog(hall.database, _lines(items[:-1]))  # one changed, one deleted
        assert catalog.pull(client) == 2
        assert store.get_meta(INDEX_PENDING_META) == "0"
        assert [r.code for r in catalog.search("独一无二")] == [items[0]["code"]]
        assert catalog.count() == N - 1
    finally:
        import_catalog(hall.database, _lines(generate_catalog(N, seed=5)))
        store.close()
