"""Catalogs shaped like real ones (issue 17): popularity all zero or Zipf, titles sharing a few
very common endings, long shared tails "（情形123）", codes grouped by department. The first 20
equal the brute-force ranking whatever the shape — the code decides among equal popularity —
and every match is found."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from common import wire
from offline_cache import search_query
from offline_cache.catalog import Catalog, apply_page
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import Reference, _helpers, apply, make_item

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.search_shapes import SHAPES, shaped_catalog  # noqa: E402

N = 1200


def _items(shape: str) -> list[wire.CatalogItem]:
    out = []
    for d in shaped_catalog(shape, N, seed=5):
        d["search"] = _helpers(d["title"], tuple(d["aliases"]))
        out.append(wire.CatalogItem.model_validate(d))
    return out


def _queries(items: list[wire.CatalogItem], seed: int) -> list[str]:
    rng = random.Random(seed)
    out = ["证", "登记", "（个人）", "人）", "情形1", "（情形12", "记证（个", "zheng", "dengji", "dj",
           "z", "gr", "qingxing", "许可证", "身份证"]
    for _ in range(25):
        item = rng.choice(items)
        n = rng.randint(1, 6)
        start = rng.randrange(max(len(item.title) - n, 0) + 1)
        out.append(item.title[start:start + n])
        syl = item.search.title_pinyin.split()
        out.append("".join(syl[rng.randrange(len(syl)):][:3]))
        out.append(item.search.title_initials[:rng.randint(2, 4)])
    return out


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_first_20_equal_the_brute_force_ranking(tmp_path: Path, shape: str) -> None:
    items = _items(shape)
    store = LocalStore(tmp_path / "kiosk.db")
    try:
        apply(store, items)
        catalog = Catalog(store)
        ref = Reference(items)
        with store.reading() as conn:
            for q in _queries(items, seed=len(shape)):
                got = [(h.code, h.tier) for h in search_query.search(conn, q)]
                assert got == ref.search(q), (shape, q)
                dept = items[0].department
                got = [(h.code, h.tier) for h in search_query.search(conn, q, department=dept)]
                assert got == ref.search(q, department=dept), (shape, q, "department")
        every = {r.code for r in catalog.search("证", limit=N + 1)}
        assert every == {c for c, _ in ref.search("证", limit=N + 1)}
    finally:
        store.close()


def test_equal_popularity_is_decided_by_code_after_the_best_item_leaves(store: LocalStore
                                                                          ) -> None:
    # one unit (same title) for; B-1 another; all popularity 0
    items = [make_item(c, t) for c, t in [("A-5", "居住证签注"), ("A-2", "居住证签注"),
                                          ("A-9", "居住证签注"), ("B-1", "居住证申领")]]
    apply(store, items)
    catalog = Catalog(store)
    assert [r.code for r in catalog.search("居住证")] == ["A-2", "A-5", "A-9", "B-1"]
    assert [r.code for r in catalog.search("居住证", limit=2)] == ["A-2", "A-5"]
    with store.transaction() as conn:  # the unit's best item leaves: B-1 now beats its best
        apply_page(conn, wire.CatalogChanges(items=[make_item("A-0", "其他事项")],
                                             deleted=["A-2"], cursor="d", more=False))
    assert [r.code for r in catalog.search("居住证", limit=2)] == ["A-5", "A-9"]
    with store.transaction() as conn:
        apply_page(conn, wire.CatalogChanges(items=[make_item("A-1", "居住证签注")],
                                             deleted=["A-5"], cursor="e", more=False))
    assert [r.code for r in catalog.search("居住证")] == ["A-1", "A-9", "B-1"]
