"""Latin queries match the pinyin the hall server precomputed: initials (yyzz → 营业执照), full
pinyin with or without spaces, prefixes of either as the citizen types, aliases — always from
a syllable boundary. The kiosk process itself holds no pinyin library."""

from __future__ import annotations

import sqlite3

import pytest

from offline_cache import search_index, search_query, search_vocab
from offline_cache.catalog import Catalog
from offline_cache.search_text import item_names
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import apply, make_item, reference_search

ITEMS = [
    make_item("SCJG-0001", "营业执照变更", popularity=900, aliases=["执照变更"]),
    make_item("SCJG-0002", "营业执照注销", popularity=300),
    make_item("RS-0001", "社会保障卡申领", popularity=500, aliases=["社保卡", "办社保卡"]),
    make_item("GA-0001", "普通护照签发", popularity=700),
    make_item("GA-0002", "护照", popularity=1),
    make_item("CL-0001", "残疾人证办理", popularity=50),
    make_item("WJ-0001", "出生医学证明", popularity=40, aliases=["出生证"]),
]


@pytest.fixture
def catalog(store: LocalStore) -> Catalog:
    apply(store, ITEMS)
    return Catalog(store)


def codes(catalog: Catalog, q: str) -> list[str]:
    return [r.code for r in catalog.search(q)]


@pytest.mark.parametrize("q", ["yyzz", "YYZZ", "ｙｙｚｚ", "yingyezhizhao", "ying ye zhi zhao",
                               "Ying Ye Zhi Zhao", "ying'ye'zhi'zhao", "yingye", "yingyezhiz",
                               "yy", "yyz", "y y z z"])
def test_initials_and_full_pinyin_and_their_prefixes(catalog: Catalog, q: str) -> None:
    # Both licences start with the query; the more popular first.
    assert codes(catalog, q)[:2] == ["SCJG-0001", "SCJG-0002"]


def test_full_pinyin_of_the_whole_title_is_an_exact_match(catalog: Catalog) -> None:
    results = catalog.search("huzhao")
    assert [r.code for r in results] == ["GA-0002", "GA-0001"]  # exact title first, then
    assert {r.matched for r in results} == {"pinyin"}  # contains, despite popularity 1 vs 700


def test_matching_starts_at_a_syllable(catalog: Catalog) -> None:
    assert codes(catalog, "zhizhao") == ["SCJG-0001", "SCJG-0002"]  # 营业[执照]
    assert codes(catalog, "zz") == ["SCJG-0001", "SCJG-0002"]  # initials of 执照
    # inside the syllable zhi: no match; what comes back is only a guess (one letter off)
    assert {r.matched for r in catalog.search("hizhao")} <= {"similar"}
    assert codes(catalog, "ngye") == []


def test_alias_pinyin(catalog: Catalog) -> None:
    assert codes(catalog, "sbk") == ["RS-0001"]  # 社保卡: alias initials, exact
    assert codes(catalog, "shebao") == ["RS-0001"]  # alias full pinyin prefix
    assert codes(catalog, "chushengzheng") == ["WJ-0001"]  # 出生证
    assert [r.matched for r in catalog.search("sbk")] == ["pinyin"]


def test_prefixes_of_title_pinyin_and_initials(catalog: Catalog) -> None:
    assert codes(catalog, "shehui") == ["RS-0001"]  # 社会…
    assert codes(catalog, "cjrz") == ["CL-0001"]  # 残疾人证…
    assert codes(catalog, "pthz") == ["GA-0001"]


def test_latin_query_without_a_match(catalog: Catalog) -> None:
    assert codes(catalog, "xyzq") == []
    assert codes(catalog, "passport") == []


def test_chinese_queries_never_go_through_pinyin(catalog: Catalog) -> None:
    assert codes(catalog, "执照") == ["SCJG-0001", "SCJG-0002"]
    assert codes(catalog, "社保") == ["RS-0001"]  # the alias 社保卡


def test_four_letters_whose_three_letter_run_mostly_goes_on_otherwise(
        store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # 接续（跨… (xu kua) in 80 titles ranked first, 许可 (xu ke) in three after them: past 50
    # candidates of xuk that fail, the contains tier reads the units of the tokens that start
    # with xuke, named one by one from the index's vocabulary (not by a prefix query).
    items = [make_item(f"A-{i:04d}", f"转移接续（跨省通办）（情形{i}）", popularity=1000 - i)
             for i in range(80)]
    items += [make_item("B-0001", "排污许可证核发", popularity=5),
              make_item("B-0002", "许可证变更", popularity=3),
              make_item("B-0003", "取水许可延续", popularity=1)]
    apply(store, items)
    listed: list[list[str]] = []
    real = search_query.token_range

    def spy(conn: sqlite3.Connection, prefixes: list[str]) -> list[str] | None:
        listed.append(prefixes)
        return real(conn, prefixes)

    monkeypatch.setattr(search_query, "token_range", spy)
    catalog = Catalog(store)
    # 许可证变更 starts with xuke (prefix tier), then the others by popularity.
    assert codes(catalog, "xuke") == ["B-0002", "B-0001", "B-0003"]
    assert codes(catalog, "xukez") == ["B-0002", "B-0001"]
    # no title goes on with xukeb: what comes back is a guess (xukez… with one letter off)
    assert {r.matched for r in catalog.search("xukeb")} == {"similar"}
    assert listed  # the vocabulary was read
    # too many tokens to name: the same units by prefix query
    monkeypatch.setattr(search_vocab, "_MAX_TOKENS", 0)
    assert codes(catalog, "xuke") == ["B-0002", "B-0001", "B-0003"]


def test_long_pinyin_contains_tier_takes_what_the_prefix_tier_read(store: LocalStore) -> None:
    # jidongche: the prefix tier reads the whole keys that start with it (机动车登记); the
    # contains tier the units holding jidong from a later syllable start: 机动机动车… starts
    # with jidong and holds it again later (both tokens, index v4), 二手机动车… only later;
    # 机动船检验 (jidong at its start only) is not read by the contains tier.
    items = [make_item("A-0001", "机动车登记", popularity=10),
             make_item("A-0002", "机动机动车登记", popularity=50),
             make_item("A-0003", "二手机动车过户", popularity=60),
             make_item("A-0004", "二手机动车转籍", popularity=40),
             make_item("A-0005", "机动船检验", popularity=90),
             make_item("A-0006", "机动机动船", popularity=70)]
    tokens = search_index.term_tokens(item_names(items[1])).split()
    assert {"4cjidong", "4djidong"} <= set(tokens)
    assert "4djidong" not in search_index.term_tokens(item_names(items[4])).split()
    apply(store, items)
    catalog = Catalog(store)
    assert codes(catalog, "jidongche") == ["A-0001", "A-0003", "A-0002", "A-0004"]
    with store.reading() as conn:
        for limit in (1, 2, 3, 10):
            got = [(h.code, h.tier) for h in search_query.search(conn, "jidongche", limit=limit)]
            assert got == reference_search(items, "jidongche", limit=limit)
    # a typo: nothing starts with or contains it
    assert {r.matched for r in catalog.search("jidongchr")} <= {"similar"}
