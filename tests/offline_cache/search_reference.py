"""Ground truth for guide-search tests: builds catalog items the way the hall server does and
ranks them by brute force, item by item, in Python — no index, no SQL.

It shares with the product only the definition of a match (offline_cache.search_text: what a
query normalises to, what the searchable strings of an item are, exact/prefix/contains), which
the tests of search_text pin down on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from common import wire
from hall_server.search_helpers import search_helpers
from hall_server.synthetic import generate_catalog
from offline_cache.catalog import apply_page
from offline_cache.search_text import (
    ALIAS,
    body_terms,
    latin_match,
    name_terms,
    parse_query,
    text_match,
)
from offline_cache.store import LocalStore

_TIER = {0: 0, 1: 2, 2: 4}  # exact, prefix, contains → title tier; +1 for an alias


@cache
def _helpers(title: str, aliases: tuple[str, ...]) -> dict:
    return search_helpers(title, list(aliases))


def make_item(code: str, title: str, *, aliases: Sequence[str] = (), popularity: int = 0,
              department: str = "示例市公安局", audience: Sequence[str] = ("个人",),
              life_events: Sequence[str] = (), materials: Sequence[str] = (),
              conditions: Sequence[str] = (), steps: Sequence[str] = (),
              title_en: str = "") -> wire.CatalogItem:
    """A catalog item with the pinyin helpers the hall server would compute."""
    return wire.CatalogItem(
        code=code, title=title, title_en=title_en, department=department,
        audience=list(audience), life_events=list(life_events), aliases=list(aliases),
        materials=[{"name": m} for m in materials], conditions=list(conditions),
        steps=list(steps), popularity=popularity,
        search=_helpers(title, tuple(aliases)))


def synthetic_items(n: int, seed: int) -> list[wire.CatalogItem]:
    """hall_server.synthetic's catalog, with server-made pinyin."""
    items = []
    for d in generate_catalog(n, seed):
        d["search"] = _helpers(d["title"], tuple(d["aliases"]))
        items.append(wire.CatalogItem.model_validate(d))
    return items


def apply(store: LocalStore, items: Iterable[wire.CatalogItem] = (),
          deleted: Iterable[str] = (), *, page: int = 500) -> None:
    """Through the mirror's real code path: changes-feed pages, one transaction each."""
    items, deleted = list(items), list(deleted)
    for i in range(0, max(len(items), 1), page):
        chunk = items[i:i + page]
        gone = deleted if i + page >= len(items) else []
        with store.transaction() as conn:
            apply_page(conn, wire.CatalogChanges(items=chunk, deleted=gone, cursor=f"c{i}",
                                                 more=False))


def tier(item: wire.CatalogItem, raw_query: str, terms: tuple | None = None) -> int | None:
    """The item's ranking tier for the query (0 title exact … 6 body), None: no match."""
    q = parse_query(raw_query)
    names, body = terms or (name_terms(item), body_terms(item))
    best: int | None = None
    for term in names:
        m = (latin_match(q.text, term.pinyin, term.initials) if q.latin
             else text_match(q.text, term.text))
        if m is not None:
            t = _TIER[m] + (1 if term.kind == ALIAS else 0)
            best = t if best is None else min(best, t)
    if best is None and not q.latin and any(q.text in t.text for t in body):
        best = 6
    return best


def passes(item: wire.CatalogItem, department: str | None, life_event: str | None,
           audience: str | None) -> bool:
    return ((not department or item.department == department)
            and (not life_event or life_event in item.life_events)
            and (not audience or audience in item.audience))


class Reference:
    """Brute-force ranking over a fixed list of items (their terms computed once)."""

    def __init__(self, items: Iterable[wire.CatalogItem]) -> None:
        self.items = [(i, (name_terms(i), body_terms(i))) for i in items]

    def search(self, raw_query: str, *, limit: int = 20, department: str | None = None,
               life_event: str | None = None, audience: str | None = None
               ) -> list[tuple[str, int]]:
        """(code, tier) best first: tier, then popularity descending, then code."""
        kept = [(i, t) for i, t in self.items if passes(i, department, life_event, audience)]
        if not parse_query(raw_query).text:
            ranked = sorted((i for i, _ in kept), key=lambda i: (-i.popularity, i.code))
            return [(i.code, -1) for i in ranked[:limit]]
        scored = [(t, -i.popularity, i.code) for i, terms in kept
                  if (t := tier(i, raw_query, terms)) is not None]
        scored.sort()
        return [(code, t) for t, _, code in scored[:limit]]


def reference_search(items: Iterable[wire.CatalogItem], raw_query: str, **kwargs
                     ) -> list[tuple[str, int]]:
    return Reference(items).search(raw_query, **kwargs)
