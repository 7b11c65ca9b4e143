"""What a match means (offline_cache.search_text), pinned on its own: the index, the query side,
the naive baseline and the brute-force reference all build on it."""

from __future__ import annotations

import pytest

from offline_cache.search_text import (
    fold,
    latin_match,
    parse_query,
    syllable_suffixes,
    text_match,
)
from tests.offline_cache.search_reference import make_item


@pytest.mark.parametrize(("raw", "text", "latin"), [
    ("营业执照", "营业执照", False),
    (" 营业 执照 ", "营业执照", False),  # spaces a touch keyboard leaves
    ("yyzz", "yyzz", True),
    ("YYZZ", "yyzz", True),
    ("ｙｙｚｚ", "yyzz", True),  # a Chinese IME in full-width mode
    ("ying ye zhi zhao", "yingyezhizhao", True),
    ("xi'an", "xian", True),
    ("ABC证明", "abc证明", False),  # mixed: Chinese text, ASCII folded like LIKE
    ("2024", "2024", False),  # digits alone are text
    ("（跨省通办）", "（跨省通办）", False),  # full-width punctuation stays as the titles have it
    ("   ", "", False),  # nothing typed: browse
])
def test_parse_query(raw: str, text: str, latin: bool) -> None:
    q = parse_query(raw)
    assert (q.text, q.latin) == (text, latin)


def test_fold_is_ascii_only_like_sqlite_like() -> None:
    assert fold("IC卡 Ⅱ类") == "ic卡 Ⅱ类"


def test_text_match_tiers() -> None:
    assert text_match("护照", "护照") == 0
    assert text_match("护照", "护照补办") == 1
    assert text_match("护照", "普通护照") == 2
    assert text_match("护照", "签证") is None


def test_latin_match_from_syllable_boundaries() -> None:
    py, ini = "ying ye zhi zhao", "yyzz"
    assert latin_match("yingyezhizhao", py, ini) == 0
    assert latin_match("yyzz", py, ini) == 0
    assert latin_match("yingy", py, ini) == 1
    assert latin_match("yz", py, ini) == 2  # initials of 业执
    assert latin_match("yezhi", py, ini) == 2
    assert latin_match("ingye", py, ini) is None
    assert latin_match("xian", "xi an", "xa") == 0  # no syllable parse needed


def test_syllable_suffixes() -> None:
    assert syllable_suffixes("ying ye zhi zhao") == "|yezhizhao|zhizhao|zhao"
    assert syllable_suffixes("hu") == ""


def test_terms_of_an_item_come_from_the_server_helpers() -> None:
    item = make_item("X-1", "营业执照变更", aliases=["执照变更"])
    assert item.search.title_initials == "yyzzbg"
    assert item.search.alias_pinyin == ["zhi zhao bian geng"]
