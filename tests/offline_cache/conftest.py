"""Fixtures for the local store's guide search: a real store on disk, catalog items applied
through apply_page (the mirror's own code path), and the brute-force ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common import wire
from offline_cache.catalog import Catalog
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import apply, synthetic_items

SYNTHETIC_N = 3000
SYNTHETIC_SEED = 7


@pytest.fixture(scope="session")
def synthetic() -> list[wire.CatalogItem]:
    """3,000 items of hall_server.synthetic (seed 7), pinyin made the way the server does."""
    return synthetic_items(SYNTHETIC_N, SYNTHETIC_SEED)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory,
           synthetic: list[wire.CatalogItem]) -> Iterator[Catalog]:
    """A store holding the synthetic catalog, synced in pages of 500; read-only for tests."""
    store = LocalStore(tmp_path_factory.mktemp("search") / "kiosk.db")
    apply(store, synthetic)
    yield Catalog(store)
    store.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    s = LocalStore(tmp_path / "kiosk.db")
    yield s
    s.close()
