"""A whole-catalog build makes each unit's FTS5 tokens with build_tokens.Tokens: the very string
search_index.term_tokens makes, which apply_changes and the queries rely on."""

from __future__ import annotations

from offline_cache import search_index
from offline_cache.build_tokens import STRING_MAX, Tokens
from offline_cache.search_text import BODY, Term, body_terms, item_names
from tests.offline_cache.search_reference import make_item, synthetic_items


def _units() -> list:
    items = synthetic_items(600, seed=11)
    items += [make_item("X-1", "营业执照（个人）", aliases=["营业执照", "办营业执照"]),
              make_item("X-2", "证", aliases=["证", "zheng"]),  # one character, alias = title
              make_item("X-3", "ＡＢＣ abc 123 社保卡", aliases=["社保"]),
              make_item("X-4", "𠀀字（情形123）", aliases=[])]  # outside the BMP
    units: list = [item_names(i) for i in items]
    units += [t for i in items for t in body_terms(i)]
    units += [Term(BODY, "steps", "a"), Term(BODY, "steps", "办办办")]
    return units


def test_the_same_tokens_as_search_index() -> None:
    units = _units()
    made = Tokens()
    assert [made.of(u) for u in units] == [search_index.term_tokens(u) for u in units]


def test_the_same_after_its_string_cache_is_cleared(monkeypatch) -> None:
    monkeypatch.setattr("offline_cache.build_tokens.STRING_MAX", 3)
    units = _units()[:50]
    made = Tokens()
    assert [made.of(u) for u in units * 2] == [search_index.term_tokens(u) for u in units * 2]
    assert STRING_MAX > 3
