"""Ranking: title and alias hits before hits in materials/conditions; exact, then prefix, then
contains; popularity within a tier; the code breaks ties. What matched is reported."""

from __future__ import annotations

import pytest

from offline_cache import search_query
from offline_cache.catalog import Catalog
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import Reference, apply, make_item

ITEMS = [
    make_item("A-1", "护照", popularity=1),  # exact title
    make_item("B-1", "护照补办", popularity=5),  # title prefix
    make_item("C-1", "普通护照签发", popularity=100),  # title contains
    make_item("C-2", "往来港澳通行证及护照", popularity=100),  # title contains, same popularity
    make_item("D-1", "出国证件", aliases=["因私护照"], popularity=5000),  # alias contains
    make_item("E-1", "出境证明", popularity=9999, materials=["护照复印件"]),  # materials
    make_item("F-1", "签证", popularity=8000, conditions=["持有有效护照"]),  # conditions
    make_item("G-1", "入境登记", popularity=7000, aliases=["护照"]),  # alias exact
    make_item("H-1", "边境通行", popularity=6000, aliases=["护照加急"]),  # alias prefix
    make_item("Z-1", "营业执照变更", popularity=99999),  # no match at all
]


@pytest.fixture
def catalog(store: LocalStore) -> Catalog:
    apply(store, ITEMS)
    return Catalog(store)


def test_tiers_then_popularity_then_code(catalog: Catalog) -> None:
    results = catalog.search("护照")
    assert [r.code for r in results] == [
        "A-1",  # title exact                        popularity 1
        "G-1",  # alias exact                        7000
        "B-1",  # title prefix                       5
        "H-1",  # alias prefix                       6000
        "C-1", "C-2",  # title contains, 100 each: by code
        "D-1",  # alias contains                     5000
        "E-1", "F-1",  # materials/conditions        9999, 8000
    ]
    assert [r.matched for r in results] == ["title", "alias", "title", "alias", "title",
                                            "title", "alias", "materials", "conditions"]


def test_the_order_the_brief_names(catalog: Catalog) -> None:
    # exact title > prefix > title contains > alias > materials, whatever the popularity
    order = [r.code for r in catalog.search("护照")]
    assert order.index("A-1") < order.index("B-1") < order.index("C-1") < order.index("D-1") \
        < order.index("E-1")


def test_tiers_reported_by_the_query_layer(catalog: Catalog) -> None:
    with catalog.store.reading() as conn:
        hits = search_query.search(conn, "护照")
    assert [h.tier for h in hits] == [0, 1, 2, 3, 4, 4, 5, 6, 6]
    assert [search_query.TIER_NAMES[h.tier] for h in hits][:3] == [
        "title exact", "alias exact", "title prefix"]


def test_limit_keeps_the_best(catalog: Catalog) -> None:
    assert [r.code for r in catalog.search("护照", limit=3)] == ["A-1", "G-1", "B-1"]
    assert catalog.search("护照", limit=0) == []


def test_popularity_orders_within_a_tier(store: LocalStore) -> None:
    apply(store, [make_item(f"P-{i}", f"居住证{i}", popularity=p)
                  for i, p in enumerate([3, 30, 300, 30, 0])])
    assert [r.code for r in Catalog(store).search("居住证")] == ["P-2", "P-1", "P-3", "P-0", "P-4"]


def test_summaries_carry_what_the_screen_shows(catalog: Catalog) -> None:
    first = catalog.search("护照")[0]
    assert (first.code, first.title, first.department) == ("A-1", "护照", "示例市公安局")


def _body_catalog(store: LocalStore, holders: range) -> Reference:
    """600 items with a body set each (ranked by popularity, most popular first); the items
    at the ranks in `holders` also list 婚姻状况证明."""
    items = [make_item(f"BODY-{k:04d}", f"事项{k:04d}", popularity=1000 - k,
                       materials=[f"材料{k:04d}", *(["婚姻状况证明"] if k in holders else [])])
             for k in range(600)]
    apply(store, items)
    return Reference(items)


@pytest.mark.parametrize("holders", [range(0, 600, 3), range(300, 600), range(0, 600, 37)],
                         ids=["dense", "dense but all late", "sparse"])
def test_body_sets_in_ranking_order_however_their_holders_lie(store: LocalStore,
                                                               holders: range) -> None:
    """The body tier walks body sets in ranking order while holders are dense, sorts their
    sets otherwise, and goes on sorted from where a walk gave up (holders all late: the walk
    reads its 240 sets, none holds the segment)."""
    ref = _body_catalog(store, holders)
    with store.reading() as conn:
        for limit in (5, 20, 100):
            got = [(h.code, h.tier) for h in search_query.search(conn, "婚姻状况", limit=limit)]
            assert got == ref.search("婚姻状况", limit=limit)
            assert len(got) == min(limit, len(holders))
