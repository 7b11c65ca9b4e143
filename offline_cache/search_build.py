"""The guide-search index of a whole catalog, built in one go (a fresh kiosk's first sync, a
store migration, the repair tool): the rows search_index.apply_changes would leave, each
written once.

apply_changes keeps the index right after any page, so every page pays for what later pages
undo: a unit written at the slot of its best item so far moves (FTS5 delete and insert of ~100
tokens) when a better item comes, codes are labelled between their neighbours one query each,
and the process keeps what it wrote (search_index._Known) so as not to read it back. Built in
one go, items come in code order (labels are their places, evenly spaced like a relabel, from
the count known up front), each unit's best item is known only at the end, so:

- while items stream (`add`): search_doc, search_posting, the unit's search_term row when it
  first appears, body sets and their members. In memory: a 16-byte digest per distinct unit
  and body set, and a few numbers per unit — never the units themselves;
- at the end (`finish`): search_rank, then the gram tokens of every unit computed once and
  inserted in ascending rowid (slot) order, read back from search_term (FTS5 writes them as
  sorted segments; 'optimize' merges them once).

Search answers are the same as from apply_changes (tests/offline_cache/test_search_build.py
compares the rows).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from array import array
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

from offline_cache import build_tokens, catalog_doc
from offline_cache import search_index as ix
from offline_cache.search_text import (
    ALIAS,
    BODY,
    TITLE,
    Names,
    Term,
    body_terms,
    char_readings,
    item_names,
)

log = logging.getLogger(__name__)


def _digest(value: tuple) -> bytes:
    """A unit's or segment's key in memory: 16 bytes instead of the strings themselves (from
    plain tuples: repr of a NamedTuple runs in Python, 5x slower)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).digest()


def _name(named: Any) -> str:
    """A material's or situation's name: a dict from the snapshot (catalog_snapshot._Named),
    a model or namespace otherwise."""
    return named["name"] if type(named) is dict else named.name


_SEGMENT_LABELS = ("conditions", "materials", "steps", "situations")


def _body_term(label: str, text: str) -> Term | None:
    """What search_text.body_terms makes of one segment (None: nothing, it is empty)."""
    terms = body_terms(cast(Any, _OneSegment(label, text)))
    return terms[0] if terms else None


class _OneSegment:
    """An item with one body segment, for body_terms (so that the two cannot disagree)."""

    def __init__(self, label: str, text: str) -> None:
        named = [SimpleNamespace(name=text)]
        self.conditions = [text] if label == "conditions" else []
        self.materials = named if label == "materials" else []
        self.steps = [text] if label == "steps" else []
        self.situations = named if label == "situations" else []


BUILD_HASHSIZE = 16 << 20  # bytes of tokens FTS5 holds before writing a segment, in a build
FTS5_HASHSIZE = 1 << 20  # its default, for the pages that follow
RAW_MAX = 4096  # entries of the raw-names cache (~1 KB each); raw segments: 4x as many


def _remember(cache: dict, raw: object, found: int, limit: int = RAW_MAX) -> None:
    if len(cache) >= limit:
        cache.clear()  # cheaper than an LRU, and a catalog that misses gains nothing from one
    cache[raw] = found


def item_label(ordinal: int, count: int) -> int:
    """The label of the ordinal-th code (0-based) of `count` in code order: evenly spaced over
    half the label space as search_index._relabel spaces them, room left for codes to come."""
    step = (ix.LABEL_END // 2) // (count + 1)
    return ix.LABEL_END // 8 + (ordinal + 1) * step


class Builder:
    """Feed items in code order with `add` (any number of transactions of the same
    connection), then `finish`. `count` bounds how many items come (the labels' spacing)."""

    def __init__(self, conn: sqlite3.Connection, count: int) -> None:
        ix.clear(conn)
        self.count = max(count, 1)
        self.added = 0
        self.last_code = ""
        self.in_order = True  # False: an item came out of code order; rebuild from the mirror
        self.known = ix._Known(conn)  # facets and departments only
        self.unit_of: dict[bytes, int] = {}  # digest of a Names unit → term id
        self.seg_of: dict[bytes, int] = {}  # digest of a body segment → term id
        self.set_of: dict[bytes, int] = {}  # a body set's segment ids (int64s) → set id
        # per term id (index 0 unused): best item as (neg_pop, code, label); department
        # (0: several); body segments: in how many sets
        self.best: list[Any] = [None]
        self.dept: list[int] = [0]
        self.n_sets: list[int] = [0]
        self.set_best: list[Any] = [None]  # per set id: (neg_pop, code) of its best item
        self.set_moved: set[int] = set()  # sets whose best item came after their first
        self.readings: dict[str, str] = {}
        # an item's raw names → its unit, a raw body segment (by label) → its term id: most
        # items repeat names and segments met before; bounded (RAW_MAX), as a catalog of
        # distinct titles misses
        self.raw_names: dict[tuple, int] = {}
        self.seg_raw: dict[str, dict[str, int]] = {label: {} for label in _SEGMENT_LABELS}

    def add(self, conn: sqlite3.Connection, items: Iterable[Any]) -> None:
        """Index items (wire.CatalogItem or anything with its searchable fields)."""
        if not self.in_order:
            return
        docs, posts, terms, sets, members = [], [], [], [], []
        for item in items:
            code = item.code
            if code <= self.last_code or self.added >= self.count:
                self.in_order = False
                return
            self.last_code = code
            label = item_label(self.added, self.count)
            self.added += 1
            neg_pop, facet = -item.popularity, self.known.facet(conn, item)
            dept = self.known.dept(conn, item.department)
            tid = self._unit(item, terms)
            self._join(tid, neg_pop, code, label, dept)
            sid = self._body_set(item, neg_pop, code, terms, sets, members)
            docs.append((code, facet, neg_pop, str(tid), sid, label))
            posts.append((tid, neg_pop, code, facet))
        conn.executemany("INSERT INTO search_term(id, hkey, kind, label, text, pinyin, pyc, "
                         "pysfx, initials, aliases, alias_keys, alias_latin, alias_json) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", terms)
        conn.executemany("INSERT INTO search_body_set(id, hkey, segs, max_pop, best_code) "
                         "VALUES (?, ?, ?, ?, ?)", sets)
        members.sort()
        conn.executemany("INSERT INTO search_body_member(term, body_set) VALUES (?, ?)", members)
        conn.executemany("INSERT INTO search_doc(code, facet, neg_pop, terms, body_set, crank) "
                         "VALUES (?, ?, ?, ?, ?, ?)", docs)
        posts.sort()
        conn.executemany("INSERT INTO search_posting(term, neg_pop, code, facet) "
                         "VALUES (?, ?, ?, ?)", posts)

    def _new_term(self, unit: Names | Term, rows: list[tuple]) -> int:
        tid = len(self.best)
        self.best.append(None)
        self.dept.append(-1)
        self.n_sets.append(0)
        # not the cached _term_hkey: its cache would hold every unit
        rows.append((tid, ix._hkey(*unit), *ix._term_columns(unit)))
        return tid

    def _unit(self, item: Any, rows: list[tuple]) -> int:
        raw = ix._raw_names(item)
        tid = self.raw_names.get(raw)
        if tid is not None:
            return tid
        names = item_names(item)
        key = _digest(tuple(map(tuple, (names.title, *names.aliases))))
        tid = self.unit_of.get(key)
        if tid is None:
            tid = self.unit_of[key] = self._new_term(names, rows)
            for name in (names.title, *names.aliases):
                self.readings.update(char_readings(name.text, name.pinyin))
        _remember(self.raw_names, raw, tid)
        return tid

    def _join(self, tid: int, neg_pop: int, code: str, label: int, dept: int) -> None:
        """An item joins a unit: codes come in order, so a tie keeps the first (smallest)."""
        best = self.best[tid]
        if best is None or neg_pop < best[0]:
            self.best[tid] = (neg_pop, code, label)
        known = self.dept[tid]
        self.dept[tid] = dept if known in (-1, dept) else 0

    def _body_set(self, item: Any, neg_pop: int, code: str, rows: list[tuple],
                  sets: list[tuple], members: list[tuple]) -> int:
        """The body set of an item's segments (search_text.body_terms, looked up by their raw
        strings: a set is told by its segment ids)."""
        ids = set()
        for label, texts in (("conditions", item.conditions),
                             ("materials", [_name(m) for m in item.materials]),
                             ("steps", item.steps),
                             ("situations", [_name(x) for x in item.situations])):
            known = self.seg_raw[label]
            for text in texts:
                tid = known.get(text)
                ids.add(self._segment(label, text, rows) if tid is None else tid)
        ids.discard(0)  # an empty segment is none
        segs = sorted(ids)
        key = array("q", segs).tobytes()  # exact, and ~8 bytes a segment
        sid = self.set_of.get(key)
        if sid is None:
            sid = self.set_of[key] = len(self.set_best)
            self.set_best.append((neg_pop, code))
            sets.append((sid, ix._hkey(*segs), " ".join(map(str, segs)), -neg_pop, code))
            members.extend((t, sid) for t in segs)
            for t in segs:
                self.n_sets[t] += 1
        elif neg_pop < self.set_best[sid][0]:
            self.set_best[sid] = (neg_pop, code)
            self.set_moved.add(sid)
        return sid

    def _segment(self, label: str, text: str, rows: list[tuple]) -> int:
        """The term id of a body segment met first in this raw form (0: empty)."""
        seg = _body_term(label, text)
        if seg is None:
            tid = 0
        else:
            key = _digest((BODY, label, seg.text))
            tid = self.seg_of.get(key) or 0
            if not tid:
                tid = self.seg_of[key] = self._new_term(seg, rows)
        _remember(self.seg_raw[label], text, tid, RAW_MAX * 4)
        return tid

    def finish(self, conn: sqlite3.Connection) -> int:
        """search_rank, the gram tokens, the counts and readings; the items indexed."""
        conn.executemany("UPDATE search_body_set SET max_pop = ?, best_code = ? WHERE id = ?",
                         [(-self.set_best[s][0], self.set_best[s][1], s)
                          for s in sorted(self.set_moved)])
        conn.executemany("INSERT INTO search_rank(id, kind, max_pop, best_code, dept, n_sets, "
                         "slot) VALUES (?, ?, ?, ?, ?, ?, ?)", self._rank_rows())
        _write_grams(conn)
        n_units = sum(1 for b in self.best if b is not None)
        counts = [(f"terms_{TITLE}", n_units), (f"terms_{BODY}", len(self.best) - 1 - n_units)]
        conn.executemany("INSERT INTO search_state(key, value) VALUES (?, ?)",
                         [c for c in counts if c[1]])
        conn.executemany("INSERT OR IGNORE INTO search_char(ch, syllable) VALUES (?, ?)",
                         self.readings.items())
        ix.forget(conn)  # nothing of this build is in search_index._Known
        ix.compact(conn)
        return self.added

    def _rank_rows(self) -> Iterable[tuple]:
        for tid in range(1, len(self.best)):
            best = self.best[tid]
            if best is None:  # a body segment: its slot is -id, below every unit
                yield (tid, BODY, 0, "", 0, self.n_sets[tid], -tid)
            else:
                neg_pop, code, label = best
                yield (tid, TITLE, -neg_pop, code, self.dept[tid], 0,
                       ix.unit_slot((neg_pop, code), label))


def _write_grams(conn: sqlite3.Connection) -> None:
    """Every term's tokens into search_gram in ascending rowid order (FTS5 flushes its pending
    segment at every rowid that is not larger than the last): body segments first (-id),
    then units by slot."""
    rows = conn.execute(
        "SELECT r.slot, t.kind, t.label, t.text, t.pinyin, t.initials, t.alias_json "
        "FROM search_rank r JOIN search_term t ON t.id = r.id ORDER BY r.slot")
    made = build_tokens.Tokens()  # search_index.term_tokens, faster for a whole catalog

    def tokens() -> Iterable[tuple[int, str]]:
        for slot, kind, label, text, pinyin, initials, aliases in rows:
            term = Term(kind, label, text, pinyin, initials)
            if kind == TITLE:
                unit = Names(term, tuple(Term(ALIAS, "alias", *a) for a in json.loads(aliases)))
                yield slot, made.of(unit)
            else:
                yield slot, made.of(term)

    # FTS5 flushes what it holds as a segment every 'hashsize' bytes, merging segments as they
    # pile up: 1 MiB (its default) spends 2.5x the time of 16 MiB on 100,000 items (4.0 s
    # against 1.6 s). Set back after: a delta's pages are small.
    conn.execute("INSERT INTO search_gram(search_gram, rank) VALUES ('hashsize', ?)",
                 (BUILD_HASHSIZE,))
    conn.executemany("INSERT INTO search_gram(rowid, grams) VALUES (?, ?)", tokens())
    conn.execute("INSERT INTO search_gram(search_gram, rank) VALUES ('hashsize', ?)",
                 (FTS5_HASHSIZE,))


def rebuild(conn: sqlite3.Connection, *, batch: int = 1000) -> int:
    """Index every mirrored item from its stored document, in the caller's transaction."""
    count = conn.execute("SELECT COUNT(*) FROM catalog_item").fetchone()[0]
    builder = Builder(conn, count)
    for rows in catalog_doc.pages(conn, batch):
        builder.add(conn, _readable(conn, rows))
    if not builder.in_order:  # cannot happen: pages() reads in code order
        raise RuntimeError("catalog mirror read out of code order")
    return builder.finish(conn)


def _readable(conn: sqlite3.Connection, rows: Sequence[tuple[str, bytes]]) -> Iterable[Any]:
    for code, doc in rows:
        try:
            yield ix._stored_item(catalog_doc.decode(conn, doc))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # kept in the mirror; indexed again when the server next sends it
            log.error("catalog item %s not indexed: stored document unreadable: %r", code, exc)
