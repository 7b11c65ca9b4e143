"""The index follows the mirror through apply_page — in the same transaction: upserts replace an
item's index rows, tombstones delete them, a rolled-back page leaves no trace, and after any
history the index answers like a brute-force scan and equals one rebuilt from scratch."""

from __future__ import annotations

import logging
import random
import sqlite3

import pytest

from common import wire
from offline_cache import search_index, search_query
from offline_cache.catalog import Catalog, apply_page
from offline_cache.search_text import BODY
from offline_cache.store import LocalStore
from tests.offline_cache.search_reference import Reference, apply, make_item, synthetic_items

QUERIES = ["证", "登记", "许可证", "居民身份证", "（跨省通办）", "申请表", "营业执照", "办社保卡",
           "变更", "y", "zm", "dengji", "shebaoka", "jmsfz", "改名", "新增事项", "西"]
DEPARTMENTS = ["示例市公安局", "示例市民政局", "示例市人力资源和社会保障局"]


def check_index(conn: sqlite3.Connection) -> None:
    """Structural invariants: every derived number equals what it summarises."""
    mirror = {r[0] for r in conn.execute("SELECT code FROM catalog_item")}
    docs = {code: (facet, neg_pop, [int(t) for t in terms.split()], body_set)
            for code, facet, neg_pop, terms, body_set in conn.execute(
                "SELECT code, facet, neg_pop, terms, body_set FROM search_doc")}
    assert set(docs) == mirror
    postings = sorted(conn.execute("SELECT term, neg_pop, code, facet FROM search_posting"))
    expected = sorted((t, neg_pop, code, facet)
                      for code, (facet, neg_pop, terms, _) in docs.items() for t in terms)
    assert postings == expected
    rank = {tid: (kind, (-max_pop, best_code), dept, n_sets)
            for tid, kind, max_pop, best_code, dept, n_sets in conn.execute(
                "SELECT id, kind, max_pop, best_code, dept, n_sets FROM search_rank")}
    kinds = dict(conn.execute("SELECT id, kind FROM search_term"))
    assert set(kinds) == set(rank)
    dept_of = dict(conn.execute("SELECT f.id, d.id FROM search_facet f "
                                "JOIN search_dept d ON d.name = f.department"))
    top: dict[int, tuple[int, str]] = {}  # the best item: (-popularity, code), smallest
    depts: dict[int, set[int]] = {}
    for t, neg_pop, code, facet in postings:
        top[t] = min(top.get(t, search_index.NO_ITEM), (neg_pop, code))
        depts.setdefault(t, set()).add(dept_of[facet])
    members: dict[int, int] = {}
    for term, _ in conn.execute("SELECT term, body_set FROM search_body_member"):
        members[term] = members.get(term, 0) + 1
    labels = dict(conn.execute("SELECT code, crank FROM search_doc ORDER BY code"))
    in_code_order = list(labels.values())
    assert in_code_order == sorted(set(in_code_order)), "labels follow code order, unique"
    slots = dict(conn.execute("SELECT id, slot FROM search_rank"))
    for tid, (kind, best, _, _) in rank.items():
        if kind == BODY:
            assert slots[tid] == -tid
        else:  # its rowid in search_gram sorts like its best item
            assert slots[tid] == search_index.unit_slot(best, labels[best[1]]), tid
    for tid, (kind, max_pop, dept, n_sets) in rank.items():
        if kind == BODY:
            assert n_sets == members.get(tid, 0) > 0, tid
        else:
            assert max_pop == top[tid], tid  # the best item (popularity, code), exactly
            assert dept == 0 or depts[tid] == {dept}, tid
    for tid in top:
        assert tid in rank
    sets = {sid: (segs, (-max_pop, best_code)) for sid, segs, max_pop, best_code
            in conn.execute("SELECT id, segs, max_pop, best_code FROM search_body_set")}
    for sid, (segs, best) in sets.items():
        keys = [(d[1], code) for code, d in docs.items() if d[3] == sid]
        assert keys and best == min(keys), sid
        assert {int(s) for s in segs.split()} <= set(rank)
    assert {d[3] for d in docs.values()} <= set(sets)
    counts = dict(conn.execute("SELECT key, value FROM search_state WHERE key LIKE 'terms_%'"))
    for kind in (0, 1, 2):
        assert counts.get(f"terms_{kind}", 0) == sum(1 for k in kinds.values() if k == kind)


def answers(catalog: Catalog, queries: list[str]) -> list[list[tuple[str, int]]]:
    out = []
    with catalog.store.reading() as conn:
        for q in queries:
            out.append([(h.code, h.tier) for h in search_query.search(conn, q)])
            for d in DEPARTMENTS[:1]:
                out.append([(h.code, h.tier) for h in search_query.search(conn, q, department=d)])
    return out


def expected(items: dict[str, wire.CatalogItem], queries: list[str]) -> list[list[tuple[str, int]]]:
    ref = Reference(items.values())
    out = []
    for q in queries:
        out.append(ref.search(q))
        for d in DEPARTMENTS[:1]:
            out.append(ref.search(q, department=d))
    return out


def _mutate(item: wire.CatalogItem, rng: random.Random, n: int) -> wire.CatalogItem:
    """A new version of an item: some of title, aliases, popularity, department, facets, body."""
    title, aliases = item.title, list(item.aliases)
    change = rng.randrange(7)
    if change == 0:
        title = rng.choice(["改名后的事项", title + "（新）", "居民身份证补领", "新增事项" + str(n)])
    elif change == 1:
        aliases = rng.choice([[], ["改名"], [*aliases, "办证" + str(n % 3)]])
    fields = {"popularity": rng.choice([0, 1, item.popularity // 2, item.popularity * 3 + 7])
              if change in (2, 6) else item.popularity,
              "department": rng.choice(DEPARTMENTS) if change == 3 else item.department,
              "life_events": ["结婚一件事"] if change == 4 else item.life_events,
              "audience": ["个人", "法人"] if change == 4 else item.audience,
              "materials": [{"name": "新版申请表"}] if change == 5 else
              [m.model_dump() for m in item.materials],
              "conditions": item.conditions, "steps": item.steps,
              "situations": [s.model_dump() for s in item.situations]}
    fresh = make_item(item.code, title, aliases=aliases, popularity=fields["popularity"],
                      department=fields["department"], audience=fields["audience"],
                      life_events=fields["life_events"])
    return fresh.model_copy(update={k: getattr(wire.CatalogItem.model_validate(
        {**fresh.model_dump(), **fields}), k) for k in fields})


def test_random_updates_and_tombstones_keep_the_index_exact(store: LocalStore) -> None:
    rng = random.Random(11)
    pool = synthetic_items(500, seed=3)
    current = {i.code: i for i in pool[:400]}
    apply(store, current.values(), page=150)
    catalog = Catalog(store)
    check_index(store.conn)
    assert answers(catalog, QUERIES) == expected(current, QUERIES)
    spare = pool[400:]
    for round_no in range(6):
        upserts: list[wire.CatalogItem] = []
        deleted: list[str] = []
        for n in range(60):
            roll = rng.random()
            if roll < 0.15 and current:
                code = rng.choice(sorted(current))
                deleted.append(code)
                current.pop(code)
            elif roll < 0.25 and spare:
                item = spare.pop()
                upserts.append(item)
                current[item.code] = item
            else:
                code = rng.choice(sorted(current))
                item = _mutate(current[code], rng, n)
                upserts.append(item)
                current[code] = item
        # the same code twice in one page: the last version wins; an upsert and a tombstone of
        # one code in one page: the tombstone wins (upserts are applied first)
        twice = rng.choice(sorted(current))
        upserts.append(_mutate(current[twice], rng, 99))
        current[twice] = upserts[-1]
        both = rng.choice(sorted(current))
        upserts.append(current.pop(both))
        deleted += [both, "NO-SUCH-CODE"]
        for i in range(0, len(upserts), 40):
            with store.transaction() as conn:
                apply_page(conn, wire.CatalogChanges(
                    items=upserts[i:i + 40], deleted=deleted if i + 40 >= len(upserts) else [],
                    cursor=f"r{round_no}-{i}", more=True))
        check_index(store.conn)
        assert answers(catalog, QUERIES) == expected(current, QUERIES), round_no

    before = answers(catalog, QUERIES)
    with store.transaction() as conn:  # repair tool: rebuilt from the mirror, same answers
        search_index.rebuild(conn)
    check_index(store.conn)
    assert answers(catalog, QUERIES) == before


def test_an_item_changes_title_and_leaves_no_trace(store: LocalStore) -> None:
    apply(store, [make_item("X-1", "结婚登记", popularity=10, aliases=["领证"])])
    apply(store, [make_item("X-1", "离婚登记", popularity=10)])
    catalog = Catalog(store)
    assert catalog.search("结婚") == [] and catalog.search("领证") == []
    assert catalog.search("jiehun") == [] and catalog.search("lz") == []
    assert [r.code for r in catalog.search("离婚")] == ["X-1"]
    apply(store, deleted=["X-1"])
    assert catalog.search("离婚") == [] and catalog.search("") == []
    terms = store.query("SELECT COUNT(*) AS n FROM search_term")[0]["n"]
    assert terms == 0  # nothing left behind
    check_index(store.conn)


def test_the_most_popular_item_leaving_lowers_the_terms_rank(store: LocalStore) -> None:
    apply(store, [make_item("X-1", "居住证申领", popularity=1000),
                  make_item("X-2", "居住证申领", popularity=5),
                  make_item("Y-1", "居住证注销", popularity=50)])
    catalog = Catalog(store)
    assert [r.code for r in catalog.search("居住证")] == ["X-1", "Y-1", "X-2"]
    apply(store, [make_item("X-1", "居住证申领", popularity=1)])
    assert [r.code for r in catalog.search("居住证")] == ["Y-1", "X-2", "X-1"]
    apply(store, deleted=["Y-1"])
    assert [r.code for r in catalog.search("居住证", limit=1)] == ["X-2"]
    check_index(store.conn)


def test_a_rolled_back_page_leaves_the_index_as_it_was(store: LocalStore) -> None:
    apply(store, [make_item("X-1", "结婚登记", popularity=10)])
    catalog = Catalog(store)
    with pytest.raises(RuntimeError), store.transaction() as conn:
        apply_page(conn, wire.CatalogChanges(
            items=[make_item("X-2", "收养登记", popularity=99)], deleted=["X-1"], cursor="c",
            more=False))
        raise RuntimeError("connection lost mid-page")
    assert [r.code for r in catalog.search("登记")] == ["X-1"]
    check_index(store.conn)
    # the next page still indexes correctly: what the failed page created is forgotten
    apply(store, [make_item("X-3", "收养登记", popularity=5)])
    assert [r.code for r in catalog.search("登记")] == ["X-1", "X-3"]
    check_index(store.conn)


def test_another_writer_in_between_is_noticed(store: LocalStore) -> None:
    apply(store, [make_item("X-1", "结婚登记", popularity=10)])
    other = LocalStore(store.path)  # e.g. `kiosk sync` run while the kiosk app is running
    try:
        apply(other, [make_item("X-2", "收养登记", popularity=20)], deleted=["X-1"])
    finally:
        other.close()
    apply(store, [make_item("X-3", "离婚登记", popularity=30)])
    assert [r.code for r in Catalog(store).search("登记")] == ["X-3", "X-2"]
    check_index(store.conn)


def test_codes_squeezed_into_one_gap_are_labelled_again(store: LocalStore,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # each page brings a code just above "A", below every earlier one: the gap between the
    # labels of "A" and the last code halves each time until every code is labelled again
    items = {"A": make_item("A", "居住证签注"), "B": make_item("B", "居住证申领")}
    apply(store, items.values())
    caplog.set_level(logging.INFO, logger="offline_cache.search_index")
    for k in range(1, 24):
        code = "A" + "0" * k + "1"
        items[code] = make_item(code, f"居住证{'签注' if k % 2 else '变更'}")
        apply(store, [items[code]])
        check_index(store.conn)
    assert "labelled again" in caplog.text
    assert answers(Catalog(store), ["居住证", "签注", "jzz"]) == expected(
        items, ["居住证", "签注", "jzz"])
