"""Did you mean: a query that matches nothing as typed comes back with what the citizen meant,
marked matched == "similar" — a homophone typo by its pinyin (营业职照 → 营业执照), full pinyin
with one letter wrong, missing, extra or swapped. Exact matches never make way for them."""

from __future__ import annotations

import random

import pytest

from offline_cache import search_near, search_query
from offline_cache.catalog import Catalog
from offline_cache.search_index import LATIN
from offline_cache.search_text import TITLE, char_readings, one_edit_prefix
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import apply, make_item

ITEMS = [
    make_item("SCJG-1", "营业执照设立登记", popularity=50, department="示例市市场监督管理局"),
    make_item("SCJG-2", "营业执照变更登记", popularity=80, department="示例市市场监督管理局"),
    make_item("RS-1", "职业资格证书补办", popularity=10),  # the only title with 职
    make_item("GA-1", "居民身份证申领", aliases=["身份证"], popularity=90),
    make_item("GA-2", "护照签发", popularity=5),
]


@pytest.fixture
def catalog(store: LocalStore) -> Catalog:
    apply(store, ITEMS)
    return Catalog(store)


def test_a_homophone_finds_the_intended_item(catalog: Catalog) -> None:
    results = catalog.search("营业职照")  # 职 (zhi) typed for 执 (zhi)
    assert [r.code for r in results] == ["SCJG-2", "SCJG-1"]
    assert {r.matched for r in results} == {"similar"}


@pytest.mark.parametrize("q", ["yingyezhizhap", "yingyezhzhao", "yingyezhiizhao",
                               "yignyezhizhao", "xingyezhizhao",
                               "yingyehzizhao"])  # swapped across the middle (zh → hz)
def test_one_letter_off_in_full_pinyin(catalog: Catalog, q: str) -> None:
    results = catalog.search(q)
    assert [r.code for r in results] == ["SCJG-2", "SCJG-1"], q
    assert {r.matched for r in results} == {"similar"}


def test_alias_pinyin_with_a_typo(catalog: Catalog) -> None:
    assert [r.code for r in catalog.search("shenfenzhong")] == ["GA-1"]


def test_exact_matches_are_never_displaced(catalog: Catalog) -> None:
    results = catalog.search("营业执照")
    assert [r.code for r in results] == ["SCJG-2", "SCJG-1"]
    assert {r.matched for r in results} == {"title"}
    assert [r.matched for r in catalog.search("huzhao")] == ["pinyin"]


def test_no_guess_without_grounds(catalog: Catalog) -> None:
    assert catalog.search("营业鑫照") == []  # 鑫 is in no title: its reading is unknown
    assert catalog.search("qqq") == []  # too short to guess a letter
    assert catalog.search("feijipiao") == []
    assert [r.code for r in catalog.search("hizhao")] == ["GA-2"]  # huzhao, one letter off


def test_filters_apply_to_guesses(catalog: Catalog) -> None:
    assert catalog.search("营业职照", department="示例市公安局") == []
    with catalog.store.reading() as conn:
        hits = search_query.similar(conn, "营业职照", department="示例市市场监督管理局", limit=1)
    assert [(h.code, h.tier) for h in hits] == [("SCJG-2", search_query.SIMILAR_TIER)]


def test_readings_line_up_with_the_servers_pinyin() -> None:
    assert char_readings("营业执照（个人）2", "ying ye zhi zhao ge ren 2") == [
        ("营", "ying"), ("业", "ye"), ("执", "zhi"), ("照", "zhao"), ("个", "ge"), ("人", "ren")]
    assert char_readings("ABC证明", "abc zheng ming") == [("证", "zheng"), ("明", "ming")]
    assert char_readings("营业执照", "ying ye") == []  # do not line up: nothing learnt


@pytest.mark.parametrize(("q", "key", "near"), [
    ("yingyezhizhap", "yingyezhizhao", True), ("yingyezhzhao", "yingyezhizhao", True),
    ("yingyezhiizhao", "yingyezhizhao", True), ("yignye", "yingyezhizhao", True),
    ("yinyeze", "yingyezhizhao", False), ("abcd", "xyzw", False), ("yingy", "ying", True),
])
def test_one_edit_prefix(q: str, key: str, near: bool) -> None:
    assert one_edit_prefix(q, key) is near


def test_a_typo_after_the_first_three_letters_is_not_crowded_out(
        store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # 40 units holding shenghuo rank before 最低生活保障; zuidgshenghuo (i → g): the units
    # starting one edit away from zuidgs (zuidis) are read apart from the others (capped, here
    # at 10).
    monkeypatch.setattr(search_query, "_TYPO_CANDIDATES", 10)
    apply(store, [make_item(f"A-{i:03d}", f"居民生活补贴（情形{i}）", popularity=100 + i)
                  for i in range(40)] + [make_item("MZ-1", "最低生活保障金申领")])
    results = Catalog(store).search("zuidgshenghuo")
    assert [(r.code, r.matched) for r in results] == [("MZ-1", "similar")]


# A wrong letter among the first six of a short query: the intact part after it is too short
# to find the unit by (dijiu… is no syllable start of yidijiu…), and on the code before
# search_near these found nothing. The units meant start with a key start one edit away.
EARLY = [make_item("YB-1", "异地就医备案", popularity=1)] + [
    make_item(f"JY-{i:03d}", f"就业登记（情形{i}）", popularity=100 + i) for i in range(30)]


@pytest.mark.parametrize("q", ["xidijiu", "yxdijiu", "yiaijiu", "yidxjiuy", "yidiaiuyi",
                               "yidijauyib", "yidjiuyibei", "yiddijiuyi", "iydijiuyi",
                               "yidijuiyibei"])
def test_a_wrong_letter_among_the_first_six(store: LocalStore, q: str) -> None:
    apply(store, EARLY)
    results = Catalog(store).search(q)
    assert [(r.code, r.matched) for r in results] == [("YB-1", "similar")], q


def test_near_variants_are_the_query_typed_right(store: LocalStore) -> None:
    apply(store, EARLY)
    title = TITLE + LATIN
    with store.reading() as conn:
        assert (title, "yidijiu") in search_near.near_variants(conn, "yxdijiu")  # wrong
        assert (title, "yidijiuyi") in search_near.near_variants(conn, "yidjiuyi")  # missing
        assert (title, "yidijiuyi") in search_near.near_variants(conn, "yiddijiuyi")  # extra
        assert (title, "yidijiuyi") in search_near.near_variants(conn, "iydijiuyi")  # swapped
        # The query's own first six are not a near start: those units are read apart.
        assert search_near.near_variants(conn, "yidijiuxx") == []
        with pytest.raises(ValueError):
            search_near.near_variants(conn, "yidiji")


def test_near_starts_follow_the_index(store: LocalStore) -> None:
    apply(store, EARLY[1:])
    catalog = Catalog(store)
    assert catalog.search("yxdijiu") == []  # builds the starts without 异地就医
    apply(store, EARLY[:1])
    assert [r.code for r in catalog.search("yxdijiu")] == ["YB-1"]
    apply(store, deleted=["YB-1"])
    assert catalog.search("yxdijiu") == []


def _one_edit_variants(q: str, alphabet: str) -> set[str]:
    """q, and q with one letter wrong, left out, put in or two neighbours swapped."""
    out = {q}
    for i in range(len(q) + 1):
        out |= {q[:i] + c + q[i:] for c in alphabet}  # a letter the citizen missed
        if i < len(q):
            out |= {q[:i] + c + q[i + 1:] for c in alphabet}  # a wrong letter
            out.add(q[:i] + q[i + 1:])  # a letter too many
        if i + 1 < len(q):
            out.add(q[:i] + q[i + 1] + q[i] + q[i + 2:])  # two letters swapped
    return out


def test_one_edit_prefix_against_every_variant() -> None:
    # Its quick rejections (an edit leaves the last two letters, or the third and fourth,
    # within a place of theirs) must never reject a key one edit away.
    rng = random.Random(5)
    for _ in range(20_000):
        q = "".join(rng.choice("abc") for _ in range(rng.randint(1, 8)))
        key = "".join(rng.choice("abc") for _ in range(rng.randint(0, 10)))
        if rng.random() < 0.5:  # mostly keys near q
            key = rng.choice(sorted(_one_edit_variants(q, "abc"))) + key[:rng.randint(0, 3)]
        expected = any(key.startswith(v) for v in _one_edit_variants(q, "abc"))
        assert one_edit_prefix(q, key) is expected, (q, key)
