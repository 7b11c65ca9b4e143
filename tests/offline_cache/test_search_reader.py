"""The running kiosk searches on a connection of its own with the store memory-mapped
(offline_cache/search_reader.py): the same answers as on the store's connection, no wait for
a sync page being written, and the store's own connection (the sync's) never mapped."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from common import wire
from offline_cache import search_near
from offline_cache.catalog import Catalog, apply_page
from offline_cache.search_reader import CHECK_EVERY, MAP_BYTES, SearchReader, file_resident
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import apply, make_item

MIB = 2**20
ITEMS = [
    make_item("SCJG-1", "营业执照设立登记", popularity=50),
    make_item("SCJG-2", "营业执照变更登记", popularity=80),
    make_item("RS-1", "职业资格证书补办", popularity=10),  # gives 职 its reading
    make_item("GA-1", "居民身份证申领", aliases=["身份证"], popularity=90),
    make_item("GA-2", "护照签发", popularity=5),
]
QUERIES = ["营业执照", "证", "登记", "yyzz", "huzhao", "shenfenzheng", "营业职照",
           "yingyezhizhap", "火箭发射", ""]


@pytest.fixture
def catalog(store: LocalStore) -> Catalog:
    apply(store, ITEMS)
    return Catalog(store)


def _answers(catalog: Catalog) -> list[list[tuple[str, str]]]:
    return [[(r.code, r.matched) for r in catalog.search(q)] for q in QUERIES]


def test_the_mapped_connection_answers_as_the_store_does(catalog: Catalog) -> None:
    on_store = _answers(catalog)
    catalog.open_reader(64 * MIB)
    try:
        assert catalog.reader is not None
        assert catalog.reader.conn.execute("PRAGMA mmap_size").fetchone()[0] == MAP_BYTES
        assert catalog.store.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
        assert _answers(catalog) == on_store
        assert ("SCJG-2", "similar") in _answers(catalog)[QUERIES.index("营业职照")]
    finally:
        catalog.close_reader()
    assert catalog.reader is None


def _mapped_reader(catalog: Catalog, budget: int, **kw: float) -> SearchReader:
    """The reader as open_reader makes it, with the quiet interval and ceiling given."""
    catalog.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # pages still in the WAL
    catalog.reader = SearchReader(catalog.store.path, budget, **kw)  # are read from it
    return catalog.reader


def test_searches_never_remap_below_the_ceiling(catalog: Catalog) -> None:
    """A byte of budget, searches back to back (never quiet): the mapping is over the budget
    the whole time and still no search drops it."""
    on_store = _answers(catalog)
    reader = _mapped_reader(catalog, 1, quiet_s=60, ceiling=2**40)
    try:
        for _ in range(2 * CHECK_EVERY // len(QUERIES) + 1):
            assert _answers(catalog) == on_store
        assert file_resident() - reader._base > reader.budget
        assert (reader.remapped, reader.remapped_busy) == (0, 0)
    finally:
        catalog.close_reader()


def test_the_mapping_is_dropped_once_the_kiosk_is_quiet(catalog: Catalog) -> None:
    """Beyond the budget, the trimmer re-maps after a quiet interval; answers stay the same."""
    on_store = _answers(catalog)
    reader = _mapped_reader(catalog, 1, quiet_s=0.05, ceiling=2**40)
    try:
        assert _answers(catalog) == on_store
        deadline = time.monotonic() + 5
        while reader.remapped == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.remapped >= 1 and reader.remapped_busy == 0
        assert reader.conn.execute("PRAGMA mmap_size").fetchone()[0] == MAP_BYTES
        assert _answers(catalog) == on_store
    finally:
        catalog.close_reader()
    assert not reader._trimmer.is_alive()


def test_a_burst_beyond_the_ceiling_remaps_between_searches(catalog: Catalog) -> None:
    """Never quiet, over ceiling × budget: a search drops the mapping before it starts, so the
    RSS stays bounded however long the burst."""
    on_store = _answers(catalog)
    reader = _mapped_reader(catalog, 1, quiet_s=60, ceiling=1)
    try:
        for _ in range(CHECK_EVERY // len(QUERIES) + 1):
            assert _answers(catalog) == on_store
        assert reader.remapped_busy >= 1 and reader.remapped == 0
        assert reader.conn.execute("PRAGMA mmap_size").fetchone()[0] == MAP_BYTES
    finally:
        catalog.close_reader()


def test_zero_keeps_search_on_the_store_connection(catalog: Catalog) -> None:
    catalog.open_reader(0)
    assert catalog.reader is None


def test_a_search_does_not_wait_for_a_sync_page(catalog: Catalog) -> None:
    """A page's transaction holds the store's lock; the kiosk's search reads the last
    committed catalog meanwhile, on its own connection."""
    catalog.open_reader(64 * MIB)
    holding, release = threading.Event(), threading.Event()

    def sync_page() -> None:
        with catalog.store.transaction() as conn:  # a page adding 护照补发, not committed
            apply_page(conn, wire.CatalogChanges(
                items=[make_item("GA-3", "护照补发", popularity=99)], deleted=[],
                cursor="c9", more=False))
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=sync_page)
    writer.start()
    try:
        assert holding.wait(10)
        answered: list[list[str]] = []
        reader = threading.Thread(
            target=lambda: answered.append([r.code for r in catalog.search("护照")]))
        reader.start()
        reader.join(5)
        assert answered == [["GA-2"]]  # in time, the committed catalog only
    finally:
        release.set()
        writer.join(10)
        catalog.close_reader()


def test_the_guesses_are_warmed_on_the_connection_searches_use(catalog: Catalog) -> None:
    catalog.open_reader(64 * MIB)
    try:
        assert catalog.reader is not None
        catalog.warm_search()
        assert id(catalog.reader.conn) in search_near._cache
    finally:
        catalog.close_reader()


def test_the_running_kiosk_opens_it_and_the_cli_does_not(tmp_path: Path) -> None:
    from kiosk.core import KioskCore
    from tests.support.server import isolated_settings

    core = KioskCore(isolated_settings(tmp_path / "s"), tmp_path / "k")
    try:
        assert core.catalog.reader is None  # the CLI (kiosk search, kiosk sync)
        core.start_background()  # `kiosk run`
        reader = core.catalog.reader
        assert reader is not None
        assert reader.conn.execute("PRAGMA mmap_size").fetchone()[0] == MAP_BYTES
        assert reader.budget == core.settings.kiosk.search_mmap_mib * MIB > 0
        assert core.store.conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
    finally:
        core.close()
    assert core.catalog.reader is None
