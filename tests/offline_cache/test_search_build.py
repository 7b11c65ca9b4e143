"""The index built in one go (offline_cache/search_build.py: a fresh kiosk's first sync, a store
migration, the repair tool) holds what apply_changes leaves after the same items page by page:
the same units, postings, body sets and ranks (ids and labels may differ), the same answers, and
later pages keep it exact."""

from __future__ import annotations

import sqlite3

from common import wire
from offline_cache import search_build, search_index
from offline_cache.catalog import Catalog, apply_page, write_items
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import apply, make_item, synthetic_items
from tests.offline_cache.test_search_maintenance import QUERIES, answers, check_index, expected

MORE_QUERIES = [*QUERIES, "办", "申请", "材料", "sfz", "ba", "委托", "身份证复印件", "（全程网办）"]


def _content(conn: sqlite3.Connection) -> dict[str, object]:
    """The index with ids and labels replaced by what they stand for."""
    term = {tid: (kind, label, text, pinyin, initials, aliases) for tid, kind, label, text,
            pinyin, initials, aliases in conn.execute(
                "SELECT id, kind, label, text, pinyin, initials, alias_json FROM search_term")}
    rank = sorted((term[tid], max_pop, best_code, n_sets) for tid, max_pop, best_code, n_sets
                  in conn.execute("SELECT id, max_pop, best_code, n_sets FROM search_rank"))
    dept = sorted((term[t], d) for t, d in conn.execute(
        "SELECT r.id, coalesce(d.name, '') FROM search_rank r "
        "LEFT JOIN search_dept d ON d.id = r.dept"))
    postings = sorted((term[t], neg_pop, code) for t, neg_pop, code in conn.execute(
        "SELECT term, neg_pop, code FROM search_posting"))
    sets = sorted((tuple(sorted(term[int(s)] for s in segs.split())), max_pop, best_code)
                  for segs, max_pop, best_code in conn.execute(
                      "SELECT segs, max_pop, best_code FROM search_body_set"))
    state = dict(conn.execute("SELECT key, value FROM search_state WHERE key != 'token'"))
    chars = sorted(conn.execute("SELECT ch, syllable FROM search_char"))
    return {"rank": rank, "dept": dept, "postings": postings, "sets": sets,
            "state": state, "chars": chars}


def _mirror(store: LocalStore, items: list[wire.CatalogItem]) -> None:
    with store.transaction() as conn:
        write_items(conn, items, [i.model_dump_json() for i in items])


def _ties(items: list[wire.CatalogItem]) -> list[wire.CatalogItem]:
    """Popularity ties and a unit's best item coming late: what the slots must get right."""
    out = []
    for n, item in enumerate(items):
        pop = 0 if n % 3 else (n * 7919) % 50
        out.append(item.model_copy(update={"popularity": pop}))
    return out


def test_one_build_equals_page_by_page(tmp_path) -> None:
    items = _ties(synthetic_items(1200, seed=4))
    paged = LocalStore(tmp_path / "paged.db")
    built = LocalStore(tmp_path / "built.db")
    try:
        apply(paged, sorted(items, key=lambda i: i.popularity), page=170)  # out of code order
        _mirror(built, items)
        with built.transaction() as conn:
            assert search_index.rebuild(conn, batch=250) == len(items)
        check_index(built.conn)
        assert _content(built.conn) == _content(paged.conn)
        current = {i.code: i for i in items}
        assert answers(Catalog(built), MORE_QUERIES) == expected(current, MORE_QUERIES)
        assert answers(Catalog(built), MORE_QUERIES) == answers(Catalog(paged), MORE_QUERIES)
    finally:
        paged.close()
        built.close()


def test_pages_after_a_build_keep_the_index_exact(tmp_path) -> None:
    items = synthetic_items(600, seed=9)
    store = LocalStore(tmp_path / "kiosk.db")
    try:
        _mirror(store, items)
        with store.transaction() as conn:
            search_index.rebuild(conn)
        changed = [items[5].model_copy(update={"popularity": 10_000}),
                   make_item("AAA-0", "营业执照办理", aliases=["办照"], popularity=3),
                   make_item("ZZZ-9", "居民身份证补领", popularity=0)]
        with store.transaction() as conn:
            apply_page(conn, wire.CatalogChanges(items=changed, deleted=[items[7].code],
                                                 cursor="x", more=False))
        check_index(store.conn)
        current = {i.code: i for i in items if i.code != items[7].code}
        current.update({i.code: i for i in changed})
        assert answers(Catalog(store), MORE_QUERIES) == expected(current, MORE_QUERIES)
    finally:
        store.close()


def test_items_out_of_code_order_are_refused_not_misindexed(tmp_path) -> None:
    items = synthetic_items(30, seed=2)
    store = LocalStore(tmp_path / "kiosk.db")
    try:
        with store.transaction() as conn:
            builder = search_build.Builder(conn, len(items))
            builder.add(conn, items[10:])
            builder.add(conn, items[:10])  # codes before those already indexed
        assert not builder.in_order
        with store.transaction() as conn:  # more items than announced: refused as well
            builder = search_build.Builder(conn, 5)
            builder.add(conn, items)
        assert not builder.in_order
    finally:
        store.close()
