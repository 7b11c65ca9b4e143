"""Department, life-event and audience filters narrow every query kind (and browsing without
a query) exactly as a brute-force filter would."""

from __future__ import annotations

import pytest

from common import wire
from offline_cache import search_query
from offline_cache.catalog import Catalog
from tests.offline_cache.search_reference import Reference

FILTERS = [
    {"department": "示例市人力资源和社会保障局"},
    {"department": "示例市公安局", "audience": "个人"},
    {"life_event": "身后一件事"},
    {"life_event": "开办企业一件事", "audience": "法人"},
    {"audience": "法人"},
    {"department": "示例市民政局", "life_event": "结婚一件事"},
]
QUERIES = ["", "证", "登记", "许可证", "（跨省通办）", "申请表", "营业执照", "y", "zm", "dengji",
           "shebaoka", "无此事项"]


@pytest.fixture(scope="module")
def reference(synthetic: list[wire.CatalogItem]) -> Reference:
    return Reference(synthetic)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f.values()))
def test_filters_match_brute_force(loaded: Catalog, reference: Reference,
                                   filters: dict[str, str]) -> None:
    for q in QUERIES:
        with loaded.store.reading() as conn:
            got = [(h.code, h.tier) for h in search_query.search(conn, q, **filters)]
        assert got == reference.search(q, **filters), (q, filters)


def test_filtered_results_pass_the_filter(loaded: Catalog,
                                          synthetic: list[wire.CatalogItem]) -> None:
    by_code = {i.code: i for i in synthetic}
    results = loaded.search("证", department="示例市公安局", life_event="出生一件事", limit=50)
    assert results
    for r in results:
        item = by_code[r.code]
        assert item.department == "示例市公安局" and "出生一件事" in item.life_events


def test_unknown_filter_values_find_nothing(loaded: Catalog) -> None:
    assert loaded.search("证", department="不存在的局") == []
    assert loaded.search("", life_event="不存在的一件事") == []
    assert loaded.search("y", audience="外星人") == []


def test_browsing_without_a_query_lists_the_most_popular(loaded: Catalog,
                                                         reference: Reference) -> None:
    assert [r.code for r in loaded.search("")] == [c for c, _ in reference.search("")]
    assert [r.code for r in loaded.search("   ", department="示例市教育局")] == [
        c for c, _ in reference.search("", department="示例市教育局")]
