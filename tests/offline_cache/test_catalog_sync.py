"""A fresh kiosk's first catalog sync over real HTTP (issue 17): pages mirrored alone, the search
index built once at the end, documents stored compressed; the same searches as a kiosk synced
page by page; an interrupted first sync finishes the index; later pulls stay per page."""

from __future__ import annotations

import gc
import itertools
import json

import pytest

from common.errors import KioskError
from hall_server.catalog_import import import_catalog
from hall_server.synthetic import generate_catalog
from offline_cache import catalog_doc, catalog_snapshot, search_near
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


def _searches(catalog: Catalog) -> list[list[str]]:
    """Codes in rank order. Not the `matched` label: an item whose materials and conditions
    both hold the query is labelled by whichever segment the index built first."""
    return [[r.code for r in catalog.search(q)] for q in QUERIES]


def test_first_sync_builds_the_index_once_and_matches_a_per_page_sync(tmp_path, client):
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        collecting: list[bool] = []  # the cyclic GC is paused while the snapshot streams
        assert catalog.pull(client, page_size=150,
                            progress=lambda _n: collecting.append(gc.isenabled())) == N
        assert collecting and not any(collecting) and gc.isenabled()
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


def test_an_interrupted_first_sync_finishes_its_index_on_the_next_pull(tmp_path, client,
                                                                      monkeypatch):
    class Cut:
        """The real client, its snapshot cut off after 250 items (no trailer)."""

        def catalog_snapshot(self, upto=None, after=""):
            return itertools.islice(client.catalog_snapshot(upto, after), 251)

        def catalog_changes(self, since, limit=500):
            return client.catalog_changes(since, limit)

        def catalog_store(self, layout, dest):
            return client.catalog_store(layout, dest)

    monkeypatch.setattr(catalog_snapshot, "BATCH", 100)
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        with pytest.raises(KioskError) as err:
            catalog.pull(Cut())  # type: ignore[arg-type]
        assert err.value.code == "E-SRV-02" and "trailer" in str(err.value)
        assert gc.isenabled()  # back on after a failed first sync too
        assert catalog.count() == 249 and store.get_meta(INDEX_PENDING_META) == "1"
        assert catalog.cursor() is None  # not taken from an unchecked snapshot
        assert catalog.pull(client) == N - 249  # resumed after the last code stored
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
        assert len(catalog.search("证", limit=N)) > 200  # every item indexed, not just the last
    finally:
        store.close()


def test_a_server_without_snapshots_is_followed_from_the_start(tmp_path, hall):
    class Older(HallClient):
        def catalog_snapshot(self, upto=None, after=""):  # a path this server lacks: a 404
            self._request("GET", "/catalog/snapshot-of-a-newer-server", stream=True)
            raise AssertionError("unreachable")

    old = Older(hall.url)
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        assert catalog.pull(old, page_size=150) == N
        assert catalog.count() == N and store.get_meta(INDEX_PENDING_META) == "0"
        assert catalog.search("营业执照") == Catalog(store).search("营业执照")
        assert len(catalog.search("证", limit=N)) > 200
    finally:
        old.close()
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


def test_a_pull_that_changed_the_index_builds_the_guess_dictionary(
        tmp_path, client, monkeypatch):
    # The did-you-mean starts (search_near) are rebuilt by the pull, not by the first typo a
    # citizen searches after it: searching a typo right after the pull builds nothing.
    store = _store(tmp_path)
    try:
        catalog = Catalog(store)
        assert catalog.pull(client, page_size=150) == N

        def built_during_a_search(conn):
            raise AssertionError("the pull left the dictionary to the first guess")

        monkeypatch.setattr(search_near, "_build", built_during_a_search)
        catalog.search("yingyezhizhap")  # one letter off: a guess, from the warm dictionary
        assert catalog.pull(client, page_size=150) == 0  # nothing changed: nothing rebuilt
    finally:
        store.close()
