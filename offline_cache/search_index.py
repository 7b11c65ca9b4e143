"""The guide-search index, kept in the local store and maintained inside each catalog page's
transaction (docs/search.md has the design and the measurements behind it).

Three layers, all ordinary SQLite B-trees (no FTS5: its trigram tokenizer cannot match 1–2
Chinese characters on SQLite 3.40, and its results cannot be ordered by popularity without a
sort):

- search_term: each distinct searchable string (title, alias, body segment, English title) per
  facet (department, audience, life events), with the highest popularity of its items.
- search_gram: each term's grams — every Chinese character and character pair, and the first
  1–3 letters at each pinyin syllable / initial / English word — keyed so that one gram's terms
  come out most popular first. Every substring of ≥ 1 character contains a gram, so recall is
  complete; longer queries are verified against the term text.
- search_posting: the items of each term, most popular first.

A query walks terms in popularity order and stops as soon as no remaining term can beat the
results it holds (offline_cache.search_query).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kiosk import wire
from offline_cache.search_text import (
    ALIAS,
    BODY,
    EN,
    TITLE,
    Facet,
    Term,
    ascii_keys,
    item_facet,
    item_terms,
)

log = logging.getLogger(__name__)

LATIN = 4  # gram stream of a term's Latin keys: kind + LATIN; its Chinese text: kind
_LATIN_GRAM_MAX = 3
_CHUNK = 500  # bound parameters per IN (...) list

SCHEMA = [
    """CREATE TABLE search_facet (
        id INTEGER PRIMARY KEY,
        department TEXT NOT NULL,
        audience TEXT NOT NULL,
        life_events TEXT NOT NULL,
        UNIQUE (department, audience, life_events))""",
    """CREATE TABLE search_term (
        id INTEGER PRIMARY KEY,
        hkey INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        label TEXT NOT NULL,
        facet INTEGER NOT NULL,
        text TEXT NOT NULL,
        pinyin TEXT NOT NULL,
        pyc TEXT NOT NULL,
        initials TEXT NOT NULL,
        max_pop INTEGER NOT NULL,
        n_items INTEGER NOT NULL)""",
    "CREATE INDEX search_term_hkey ON search_term(hkey)",
    "CREATE INDEX search_term_text ON search_term(kind, text)",
    "CREATE INDEX search_term_pyc ON search_term(kind, pyc) WHERE pyc != ''",
    "CREATE INDEX search_term_initials ON search_term(kind, initials) WHERE initials != ''",
    """CREATE TABLE search_gram (
        gram TEXT NOT NULL,
        stream INTEGER NOT NULL,
        first INTEGER NOT NULL,
        neg_max_pop INTEGER NOT NULL,
        term INTEGER NOT NULL,
        facet INTEGER NOT NULL,
        PRIMARY KEY (gram, stream, first, neg_max_pop, term)) WITHOUT ROWID""",
    """CREATE TABLE search_gram_df (
        gram TEXT NOT NULL,
        stream INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (gram, stream)) WITHOUT ROWID""",
    """CREATE TABLE search_posting (
        term INTEGER NOT NULL,
        neg_pop INTEGER NOT NULL,
        code TEXT NOT NULL,
        PRIMARY KEY (term, neg_pop, code)) WITHOUT ROWID""",
    """CREATE TABLE search_doc (
        code TEXT PRIMARY KEY,
        facet INTEGER NOT NULL,
        neg_pop INTEGER NOT NULL,
        terms TEXT NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX search_doc_pop ON search_doc(neg_pop, code)",
    "CREATE INDEX search_doc_facet ON search_doc(facet, neg_pop, code)",
]
TABLES = ("search_facet", "search_term", "search_gram", "search_gram_df", "search_posting",
          "search_doc")


def migrate(conn: sqlite3.Connection) -> None:
    """Schema step: create the index tables and index the catalog already mirrored."""
    for statement in SCHEMA:
        conn.execute(statement)
    n = rebuild(conn)
    log.info("search index built for %d catalog items", n)


def rebuild(conn: sqlite3.Connection, *, batch: int = 1000) -> int:
    """Re-index every mirrored item from its stored document (repair, or a schema step).
    Runs in the caller's transaction."""
    for table in TABLES:
        conn.execute(f"DELETE FROM {table}")
    count = 0
    last = ""
    while True:
        rows = conn.execute("SELECT code, doc FROM catalog_item WHERE code > ? ORDER BY code "
                            "LIMIT ?", (last, batch)).fetchall()
        if not rows:
            return count
        apply_changes(conn, [wire.CatalogItem.model_validate_json(doc) for _, doc in rows], ())
        count += len(rows)
        last = rows[-1][0]


# --- grams -----------------------------------------------------------------------------------
def term_grams(term: Term) -> dict[tuple[str, int], int]:
    """(gram, stream) → first (1 when the gram starts the string) for one term."""
    grams: dict[tuple[str, int], int] = {}
    if term.kind != EN:
        text = term.text
        for i in range(len(text)):
            first = 1 if i == 0 else 0
            for gram in (text[i], text[i:i + 2]) if i + 1 < len(text) else (text[i],):
                key = (gram, term.kind)
                if grams.get(key, 0) < first or key not in grams:
                    grams[key] = first
    stream = term.kind + LATIN
    for key_text, starts in ascii_keys(term.pinyin, term.initials):
        for b in starts:
            first = 1 if b == 0 else 0
            for length in range(1, _LATIN_GRAM_MAX + 1):
                if b + length > len(key_text):
                    break
                key = (key_text[b:b + length], stream)
                if key not in grams or grams[key] < first:
                    grams[key] = first
    return grams


def _hkey(term: Term, facet: int) -> int:
    raw = "\x1f".join((str(term.kind), term.label, str(facet), term.text, term.pinyin,
                       term.initials)).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big", signed=True)


# --- maintenance -----------------------------------------------------------------------------
@dataclass
class _TermState:
    id: int
    term: Term
    facet: int
    max_pop: int  # as stored (in search_gram keys); -1 for a term new in this page
    n_items: int
    existed: bool
    added_pops: list[int] = field(default_factory=list)
    removed_max: bool = False
    delta: int = 0


def _chunks(seq: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


class _Facets:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.ids = {Facet(d, a, e): i for i, d, a, e in conn.execute(
            "SELECT id, department, audience, life_events FROM search_facet")}

    def id(self, facet: Facet) -> int:
        found = self.ids.get(facet)
        if found is None:
            cur = self.conn.execute("INSERT INTO search_facet(department, audience, life_events) "
                                    "VALUES (?, ?, ?)", (facet.department, facet.audience,
                                                         facet.life_events))
            found = self.ids[facet] = int(cur.lastrowid or 0)
        return found


_TERM_COLS = "id, kind, label, facet, text, pinyin, initials, max_pop, n_items"


def _term_state(row: tuple) -> _TermState:
    tid, kind, label, facet, text, pinyin, initials, max_pop, n_items = row
    return _TermState(tid, Term(kind, label, text, pinyin, initials), facet, max_pop, n_items,
                      existed=True)


def apply_changes(conn: sqlite3.Connection, items: Sequence[wire.CatalogItem],
                  deleted: Iterable[str]) -> None:
    """Index upserted items and drop deleted ones, in the caller's transaction. An upsert
    replaces all of the item's index rows; unchanged items cost one lookup."""
    new: dict[str, wire.CatalogItem] = {item.code: item for item in items}
    gone = [code for code in dict.fromkeys(deleted) if code not in new]
    codes = [*new, *gone]
    old: dict[str, tuple[int, int, list[int]]] = {}
    for chunk in _chunks(codes):
        for code, facet, neg_pop, terms in conn.execute(
                f"SELECT code, facet, neg_pop, terms FROM search_doc WHERE code IN "
                f"({','.join('?' * len(chunk))})", chunk):
            old[code] = (facet, neg_pop, [int(t) for t in terms.split()])
    facets = _Facets(conn)

    # Resolve the terms of the new versions: existing ones by hash, the rest get fresh ids.
    wanted: dict[tuple[Term, int], int] = {}  # (term, facet) -> hkey
    new_docs: dict[str, tuple[int, int, list[tuple[Term, int]]]] = {}
    for code, item in new.items():
        facet = facets.id(item_facet(item))
        keys = [(t, facet) for t in item_terms(item)]
        for key in keys:
            if key not in wanted:
                wanted[key] = _hkey(*key)
        new_docs[code] = (facet, -item.popularity, keys)
    states: dict[int, _TermState] = {}
    by_key: dict[tuple[Term, int], _TermState] = {}
    hkeys = list(set(wanted.values()))
    for chunk in _chunks(hkeys):
        for row in conn.execute(f"SELECT {_TERM_COLS} FROM search_term WHERE hkey IN "
                                f"({','.join('?' * len(chunk))})", chunk):
            st = _term_state(row)
            states[st.id] = st
            by_key[(st.term, st.facet)] = st  # a hash collision is told apart here
    next_id = (conn.execute("SELECT max(id) FROM search_term").fetchone()[0] or 0) + 1
    for key in wanted:
        if key not in by_key:
            st = _TermState(next_id, key[0], key[1], -1, 0, existed=False)
            next_id += 1
            states[st.id] = by_key[key] = st
    missing = [tid for _, _, tids in old.values() for tid in tids if tid not in states]
    for chunk in _chunks(list(set(missing))):
        for row in conn.execute(f"SELECT {_TERM_COLS} FROM search_term WHERE id IN "
                                f"({','.join('?' * len(chunk))})", chunk):
            states[row[0]] = _term_state(row)

    # Posting differences per item.
    post_del: list[tuple[int, int, str]] = []
    post_ins: list[tuple[int, int, str]] = []
    doc_upsert: list[tuple[str, int, int, str]] = []
    for code in codes:
        before = old.get(code)
        after = new_docs.get(code)
        after_ids = [by_key[k].id for k in after[2]] if after else []
        if before and after and before[0] == after[0] and before[1] == after[1] \
                and before[2] == after_ids:
            continue  # nothing searchable changed
        if before:
            keep = set(after_ids) if after and after[1] == before[1] else set()
            for tid in before[2]:
                if tid not in keep:
                    post_del.append((tid, before[1], code))
                    st = states[tid]
                    st.delta -= 1
                    if -before[1] >= st.max_pop:
                        st.removed_max = True
        if after:
            keep = set(before[2]) if before and before[1] == after[1] else set()
            for tid in after_ids:
                if tid not in keep:
                    post_ins.append((tid, after[1], code))
                    st = states[tid]
                    st.delta += 1
                    st.added_pops.append(-after[1])
            doc_upsert.append((code, after[0], after[1], " ".join(map(str, after_ids))))
    conn.executemany("DELETE FROM search_posting WHERE term = ? AND neg_pop = ? AND code = ?",
                     post_del)
    conn.executemany("INSERT INTO search_posting(term, neg_pop, code) VALUES (?, ?, ?)", post_ins)
    conn.executemany("INSERT INTO search_doc(code, facet, neg_pop, terms) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT(code) DO UPDATE SET facet = excluded.facet, "
                     "neg_pop = excluded.neg_pop, terms = excluded.terms", doc_upsert)
    conn.executemany("DELETE FROM search_doc WHERE code = ?",
                     [(c,) for c in gone if c in old])
    _finish_terms(conn, [st for st in states.values() if st.delta or st.added_pops])


def _finish_terms(conn: sqlite3.Connection, touched: list[_TermState]) -> None:
    """Insert new terms, drop emptied ones, and re-key grams whose term's top popularity moved."""
    gram_ins: list[tuple] = []
    gram_del: list[tuple] = []
    gram_move: list[tuple] = []
    df: Counter[tuple[str, int]] = Counter()
    term_ins: list[tuple] = []
    term_upd: list[tuple[int, int, int]] = []
    term_del: list[tuple[int]] = []
    for st in touched:
        n_items = st.n_items + st.delta
        if not st.existed:
            if n_items <= 0:
                continue
            max_pop = max(st.added_pops)
            t = st.term
            term_ins.append((st.id, _hkey(t, st.facet), t.kind, t.label, st.facet, t.text,
                             t.pinyin, t.pinyin.replace(" ", ""), t.initials, max_pop, n_items))
            for (gram, stream), first in term_grams(t).items():
                gram_ins.append((gram, stream, first, -max_pop, st.id, st.facet))
                if stream < LATIN:
                    df[(gram, stream)] += 1
            continue
        if n_items <= 0:
            term_del.append((st.id,))
            for (gram, stream), first in term_grams(st.term).items():
                gram_del.append((gram, stream, first, -st.max_pop, st.id))
                if stream < LATIN:
                    df[(gram, stream)] -= 1
            continue
        max_pop = max([st.max_pop, *st.added_pops])
        if st.removed_max:  # its most popular item left: ask the postings (one index seek)
            max_pop = -conn.execute("SELECT neg_pop FROM search_posting WHERE term = ? "
                                    "ORDER BY neg_pop LIMIT 1", (st.id,)).fetchone()[0]
        term_upd.append((max_pop, n_items, st.id))
        if max_pop != st.max_pop:
            for (gram, stream), first in term_grams(st.term).items():
                gram_move.append((-max_pop, gram, stream, first, -st.max_pop, st.id))
    conn.executemany("INSERT INTO search_term(id, hkey, kind, label, facet, text, pinyin, pyc, "
                     "initials, max_pop, n_items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     term_ins)
    conn.executemany("UPDATE search_term SET max_pop = ?, n_items = ? WHERE id = ?", term_upd)
    conn.executemany("DELETE FROM search_term WHERE id = ?", term_del)
    conn.executemany("DELETE FROM search_gram WHERE gram = ? AND stream = ? AND first = ? "
                     "AND neg_max_pop = ? AND term = ?", gram_del)
    conn.executemany("UPDATE search_gram SET neg_max_pop = ? WHERE gram = ? AND stream = ? "
                     "AND first = ? AND neg_max_pop = ? AND term = ?", gram_move)
    conn.executemany("INSERT INTO search_gram(gram, stream, first, neg_max_pop, term, facet) "
                     "VALUES (?, ?, ?, ?, ?, ?)", gram_ins)
    conn.executemany("INSERT INTO search_gram_df(gram, stream, n) VALUES (?, ?, ?) "
                     "ON CONFLICT(gram, stream) DO UPDATE SET n = n + excluded.n",
                     [(g, s, n) for (g, s), n in df.items() if n])
    conn.executemany("DELETE FROM search_gram_df WHERE gram = ? AND stream = ? AND n <= 0",
                     [(g, s) for (g, s), n in df.items() if n < 0])


__all__ = ["ALIAS", "BODY", "EN", "LATIN", "TITLE", "apply_changes", "migrate", "rebuild",
           "term_grams"]
