"""Chinese substring search finds every item a brute-force substring scan finds, at 1, 2, 3
and 4+ characters (the SQLite 3.40 trigram pitfall of FIELD_NOTES §5 does not apply), and the
first 20 are ranked exactly as the brute-force ranking ranks them."""

from __future__ import annotations

import random

import pytest

from common import wire
from offline_cache import search_query
from offline_cache.catalog import Catalog
from offline_cache.search_text import fold
from tests.offline_cache.search_reference import Reference

EVERYTHING = 100_000


def _strings(item: wire.CatalogItem) -> list[str]:
    """What a citizen's substring may come from: title, aliases, materials, conditions,
    steps and situation names (the body the mirror keeps)."""
    return [item.title, *item.aliases, *item.conditions, *(m.name for m in item.materials),
            *item.steps, *(s.name for s in item.situations)]


def _substring_truth(items: list[wire.CatalogItem], q: str) -> set[str]:
    return {i.code for i in items if any(q in fold(s) for s in _strings(i))}


def _samples(items: list[wire.CatalogItem], length: int, n: int, seed: int) -> list[str]:
    """`n` distinct substrings of `length` characters from the items' strings (seeded)."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < n:
        text = rng.choice(_strings(rng.choice(items)))
        if len(text) >= length:
            start = rng.randrange(len(text) - length + 1)
            found.add(text[start:start + length])
    return sorted(found)


@pytest.mark.parametrize("length", [1, 2, 3, 4, 7])
def test_every_substring_match_is_found(loaded: Catalog, synthetic: list[wire.CatalogItem],
                                        length: int) -> None:
    queries = _samples(synthetic, length, 20, seed=length)
    for q in queries:
        got = [r.code for r in loaded.search(q, limit=EVERYTHING)]
        assert len(got) == len(set(got)), f"{q}: an item listed twice"
        assert set(got) == _substring_truth(synthetic, q), f"{q}: recall or precision"


def test_one_character_that_matches_most_of_the_catalog(loaded: Catalog,
                                                        synthetic: list[wire.CatalogItem]) -> None:
    truth = _substring_truth(synthetic, "证")
    assert len(truth) > len(synthetic) // 2  # the hard case: a huge candidate set
    assert {r.code for r in loaded.search("证", limit=EVERYTHING)} == truth


def test_no_hit(loaded: Catalog) -> None:
    for q in ("宠物", "火箭发射", "飞", "%", "_", "证明%", "'", "qqqqq"):
        assert loaded.search(q) == [], q


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_twenty_are_ranked_like_the_brute_force_ranking(
        loaded: Catalog, synthetic: list[wire.CatalogItem], seed: int) -> None:
    rng = random.Random(seed)
    queries = [q for length in (1, 2, 3, 5) for q in _samples(synthetic, length, 8, seed + length)]
    queries += [rng.choice(synthetic).search.title_initials[:rng.randint(1, 5)] for _ in range(8)]
    queries += [rng.choice(synthetic).search.title_pinyin.replace(" ", "")[:rng.randint(2, 12)]
                for _ in range(8)]
    # Pinyin from a later syllable (the contains tiers, with the later-syllable narrowing of
    # long queries) and alias pinyin (the alias tiers).
    for _ in range(12):
        syl = rng.choice(synthetic).search.title_pinyin.split()
        queries.append("".join(syl[rng.randrange(len(syl)):])[:rng.randint(4, 14)])
    with_aliases = [i for i in synthetic if i.search.alias_pinyin]
    for _ in range(8):
        alias = rng.choice(rng.choice(with_aliases).search.alias_pinyin).replace(" ", "")
        queries.append(alias[:rng.randint(3, len(alias))])
    reference = Reference(synthetic)
    for q in queries:
        with loaded.store.reading() as conn:
            got = [(h.code, h.tier) for h in search_query.search(conn, q)]
        assert got == reference.search(q), q
