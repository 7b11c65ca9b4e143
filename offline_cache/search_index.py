"""The guide-search index, kept in the local store and maintained inside each catalog page's
transaction (docs/search.md has the design and the measurements behind it).

SQLite B-trees, and FTS5 for the one part an inverted index is good at. Not FTS5's own Chinese
matching: its trigram tokenizer cannot match 1–2 characters on SQLite 3.40. FTS5 hands a
query's matches over in rowid order, and a unit's rowid here is its place in ranking order
(unit_slot), so a tier reads its matches best first and stops after the few it needs.

- search_term / search_rank: each distinct unit of names — an item's title with its aliases
  (with the pinyin and initials the server made); items that share both share the unit — and
  each distinct body segment (a condition, material, step or situation name). An item has one
  unit of names, so one posting. search_term is written once; search_rank holds what changes —
  the unit's best item (popularity, then code: with popularity all zero the code still
  orders units), its department, its slot — in small rows.
- search_gram (FTS5, contentless, detail=none, one row per term): tokens for every character of
  the text and the pair starting there, the 3 and 6 letters from every pinyin syllable and
  initial, the first 3–6 characters, and the whole text/pinyin/initials — of the title and of
  each alias in streams of their own, so a tier knows which one matched. Any query is one token
  or one token prefix ("证" is 证…, "yy" is yy…), so recall is complete at 1 and 2 characters
  too; longer queries are verified on the term. FTS5 writes a transaction's new tokens as one
  small sorted segment, where a B-tree keyed by gram dirtied ~850 scattered pages per 500
  items. A unit's tokens never change; when its best item changes it moves to another rowid
  (delete and insert of its tokens, ~100 a unit).
- search_posting: the items of each title/alias term, most popular first.
- search_body_set / search_body_member: the set of body segments items have. Items share sets
  (materials repeat across a catalog), so the body costs an item one column, not 13 postings.
- search_doc: per item its facet (department, audience, life events), popularity, terms and
  body set — what an update or a tombstone must undo — and its code's label (crank): integers
  in code order with gaps for codes to come, relabelled all at once when a gap runs out.
- search_char: the reading of each Chinese character of the titles and aliases, from the
  server's pinyin, for "did you mean" (a homophone typo is searched again by its pinyin).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from types import SimpleNamespace
from typing import cast

from common import wire
from offline_cache.search_text import (
    ALIAS,
    BODY,
    TITLE,
    Names,
    Term,
    ascii_keys,
    body_terms,
    char_readings,
    item_names,
    syllable_suffixes,
)

log = logging.getLogger(__name__)

Unit = Names | Term  # what the index stores as one "term": an item's names, or a body segment

LATIN = 4  # gram stream of a term's pinyin/initials: kind + LATIN; of its Chinese text: kind
LATIN_GRAM = 3  # letters from a syllable start: a token of its own, and by prefix 1–2 letters
LATIN_LONG = 6  # letters from a syllable start for 4+ letter queries (c/d tokens)
_CHUNK = 500  # bound parameters per IN (...) list

SCHEMA = [
    """CREATE TABLE search_facet (
        id INTEGER PRIMARY KEY,
        department TEXT NOT NULL,
        audience TEXT NOT NULL,
        life_events TEXT NOT NULL,
        UNIQUE (department, audience, life_events))""",
    "CREATE TABLE search_dept (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    # Written once when a unit first appears; what changes lives in search_rank. kind 0: an
    # item's names (title columns, then its aliases for the alias tiers); kind 2: a body
    # segment (text and label only).
    """CREATE TABLE search_term (
        id INTEGER PRIMARY KEY,
        hkey INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        label TEXT NOT NULL,
        text TEXT NOT NULL,
        pinyin TEXT NOT NULL,
        pyc TEXT NOT NULL,  -- compact pinyin: yingyezhizhao
        pysfx TEXT NOT NULL,  -- from each later syllable: |yezhizhao|zhizhao|zhao
        initials TEXT NOT NULL,
        aliases TEXT NOT NULL,  -- |社保卡|办社保卡|
        alias_keys TEXT NOT NULL,  -- |shebaoka|sbk|banshebaoka|bsbk|
        alias_latin TEXT NOT NULL,  -- every key from every syllable: |shebaoka|baoka|ka|sbk|bk|…
        alias_json TEXT NOT NULL)  -- [[text, pinyin, initials], …]: the aliases as indexed""",
    "CREATE INDEX search_term_hkey ON search_term(hkey)",
    # Small rows, so that a page of updates dirties few database pages.
    """CREATE TABLE search_rank (
        id INTEGER PRIMARY KEY,  -- the term
        kind INTEGER NOT NULL,
        max_pop INTEGER NOT NULL,  -- titles and aliases: popularity of its most popular item
        best_code TEXT NOT NULL,  -- and that item's code (the smallest among equals): with
        -- max_pop, the unit's best item in ranking order, so a tier can stop reading units
        -- even when every item has popularity 0
        dept INTEGER NOT NULL,  -- the department of all its items; 0: several
        n_sets INTEGER NOT NULL,  -- body segments: how many body sets hold it
        slot INTEGER NOT NULL)  -- its rowid in search_gram (unit_slot; body segments: -id)""",
    # Not UNIQUE: within a page a unit may take the slot another one is leaving.
    "CREATE INDEX search_rank_slot ON search_rank(slot)",
    # rowid: the term. Tokens: gram_token(); detail=none: membership is all a query needs.
    # prefix: one Latin letter (3 token chars), two (4), one Chinese character (10) — the
    # prefix queries of 1–2 letter and 1 character searches read one doclist, not hundreds.
    # Tokens: gram_token, long_token, prefix_token, exact_token.
    """CREATE VIRTUAL TABLE search_gram USING fts5(
        grams, content='', detail=none, tokenize='ascii', prefix='3 4 10')""",
    """CREATE TABLE search_posting (
        term INTEGER NOT NULL,
        neg_pop INTEGER NOT NULL,
        code TEXT NOT NULL,
        facet INTEGER NOT NULL,
        PRIMARY KEY (term, neg_pop, code)) WITHOUT ROWID""",
    """CREATE TABLE search_body_set (
        id INTEGER PRIMARY KEY,
        hkey INTEGER NOT NULL,
        segs TEXT NOT NULL,
        max_pop INTEGER NOT NULL,
        best_code TEXT NOT NULL)""",
    "CREATE INDEX search_body_set_hkey ON search_body_set(hkey)",
    "CREATE INDEX search_body_set_pop ON search_body_set(max_pop DESC, best_code, id)",
    """CREATE TABLE search_body_member (
        term INTEGER NOT NULL,
        body_set INTEGER NOT NULL,
        PRIMARY KEY (term, body_set)) WITHOUT ROWID""",
    """CREATE TABLE search_doc (
        code TEXT PRIMARY KEY,
        facet INTEGER NOT NULL,
        neg_pop INTEGER NOT NULL,
        terms TEXT NOT NULL,
        body_set INTEGER NOT NULL,
        crank INTEGER NOT NULL) -- the code's label in code order (unit_slot)
        WITHOUT ROWID""",
    "CREATE INDEX search_doc_body ON search_doc(body_set, neg_pop, code, facet)",
    "CREATE TABLE search_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    # The reading of every Chinese character in a title or alias, from the server's pinyin:
    # a query with a homophone typo (营业职照) is searched again by its pinyin.
    "CREATE TABLE search_char (ch TEXT PRIMARY KEY, syllable TEXT NOT NULL) WITHOUT ROWID",
]
TABLES = ("search_facet", "search_dept", "search_term", "search_rank", "search_gram",
          "search_posting", "search_body_set", "search_body_member", "search_doc",
          "search_state", "search_char")


def migrate(conn: sqlite3.Connection) -> None:
    """Schema step: create the index tables and index the catalog already mirrored."""
    for statement in SCHEMA:
        conn.execute(statement)
    n = rebuild(conn)
    log.info("search index built for %d catalog items", n)


def remake(conn: sqlite3.Connection) -> None:
    """Schema step for a changed index layout: drop the index tables, create them anew and
    index the mirrored catalog again (≈14 s for 100,000 items; the mirror is untouched)."""
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    migrate(conn)


COMPACT_AFTER = 2000  # catalog changes in one pull after which the gram index is compacted


def compact(conn: sqlite3.Connection) -> None:
    """Merge the gram index's segments into one (≈70 ms for 100,000 items): each page of a
    sync adds a segment, and a query reads every segment (4+ character p50 halves)."""
    conn.execute("INSERT INTO search_gram(search_gram) VALUES ('optimize')")


def rebuild(conn: sqlite3.Connection, *, batch: int = 1000) -> int:
    """Re-index every mirrored item from its stored document, in the caller's transaction
    (built in one go: offline_cache/search_build.py)."""
    from offline_cache import search_build  # it builds on this module's helpers

    return search_build.rebuild(conn, batch=batch)


def clear(conn: sqlite3.Connection) -> None:
    """Empty every index table (in the caller's transaction); what a process knew is dropped."""
    for table in TABLES:
        if table == "search_gram":  # contentless FTS5: no DELETE, a command
            conn.execute("INSERT INTO search_gram(search_gram) VALUES ('delete-all')")
        else:
            conn.execute(f"DELETE FROM {table}")
    forget(conn)


def forget(conn: sqlite3.Connection) -> None:
    """Drop this process's knowledge of the store's index and write a new token, so that no
    process trusts what it knew of it (after a build that did not go through _Known)."""
    _known.pop(id(conn), None)
    conn.execute("INSERT INTO search_state(key, value) VALUES ('token', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (secrets.randbits(62) or 1,))


def _stored_item(doc: str) -> wire.CatalogItem:
    """The searchable fields of a mirrored document. The mirror stored what the model dumped, so
    the document is read as plain JSON: validating 100,000 whole documents again would take
    10 s, reading them 1 s."""
    d = json.loads(doc)
    s = d["search"]
    view = SimpleNamespace(
        code=d["code"], title=d["title"], aliases=d["aliases"], department=d["department"],
        audience=d["audience"], life_events=d["life_events"], popularity=int(d["popularity"]),
        conditions=d["conditions"], steps=d["steps"],
        materials=[SimpleNamespace(name=m["name"]) for m in d["materials"]],
        situations=[SimpleNamespace(name=x["name"]) for x in d["situations"]],
        search=SimpleNamespace(title_pinyin=s["title_pinyin"], title_initials=s["title_initials"],
                               alias_pinyin=s["alias_pinyin"], alias_initials=s["alias_initials"]))
    return cast(wire.CatalogItem, view)  # duck-typed: the index reads only these fields


# --- what gets indexed -------------------------------------------------------------------------
def term_grams(term: Term) -> dict[tuple[int, str], int]:
    """(stream, gram) → first (1 when the gram starts the text or a Latin key) for one term."""
    grams: dict[tuple[int, str], int] = {}
    text = term.text
    for i in range(len(text)):
        key = (term.kind, text[i:i + 2])
        if key not in grams:
            grams[key] = 1 if i == 0 else 0
    if term.kind != BODY:
        stream = term.kind + LATIN
        for key_text, starts in ascii_keys(term.pinyin, term.initials):
            for b in starts:
                key = (stream, key_text[b:b + LATIN_GRAM])
                if b == 0:
                    grams[key] = 1
                elif key not in grams:
                    grams[key] = 0
    return grams


def long_grams(term: Term) -> list[tuple[str, int]]:
    """(gram, first) for the 4–6 letters from each syllable start of a title/alias's pinyin and
    initials: a query of 4+ letters finds its terms by one such token (or token prefix), not by
    verifying every term that shares its first three letters."""
    keys = ascii_keys(term.pinyin, term.initials)
    grams: dict[str, int] = {}
    for key_text, starts in keys:
        for b in starts:
            gram = key_text[b:b + LATIN_LONG]
            if len(gram) > LATIN_GRAM and (b == 0 or gram not in grams):
                grams[gram] = 1 if b == 0 else grams.get(gram, 0)
    firsts = {key_text[:LATIN_LONG] for key_text, _ in keys if len(key_text) > LATIN_GRAM}
    return [*grams.items(), *((gram, 0) for gram in recurring(keys, firsts))]


def recurring(keys: tuple[tuple[str, tuple[int, ...]], ...], firsts: Iterable[str]) -> list[str]:
    """The key-start grams that also follow a later syllable start, sorted (layout v4: they get
    that token too, so a contains tier reads only the terms holding the query's first letters
    later, not every term that starts with them). Rare: nearly every key fails the find()."""
    again = []
    for gram in firsts:
        for key_text, starts in keys:
            if key_text.find(gram, 1) > 0 and any(key_text[b:b + LATIN_LONG] == gram
                                                  for b in starts[1:]):
                again.append(gram)
                break
    return sorted(again)


def long_token(stream: int, first: int, gram: str) -> str:
    return f"{stream}{'cd'[not first]}{gram}"


PREFIX_MIN, PREFIX_MAX = 3, 6  # Chinese title/alias starts indexed whole, for the prefix tiers


def prefix_token(stream: int, start: str) -> str:
    """The first 3–6 characters of a title/alias: a prefix query of up to 6 characters is one
    exact token, nothing to verify."""
    return f"{stream}p{start.encode('utf-32-be').hex()}"


def gram_token(stream: int, first: int, gram: str) -> str:
    """The FTS5 token of a gram: stream digit, a (starts the string) or b, then the gram — for
    Chinese text in hex, eight digits a character (the ascii tokenizer keeps [0-9a-z] runs
    whole, and a fixed width keeps "the grams starting with 证" a token prefix)."""
    body = gram if stream >= LATIN else gram.encode("utf-32-be").hex()
    return f"{stream}{'ab'[not first]}{body}"


def exact_token(stream: int, key: str, initials: bool = False) -> str:
    """The FTS5 token of a whole string, for the exact tiers: a title/alias text (by a hash,
    the query checks the text), or its compact pinyin (x) or initials (y)."""
    if stream < LATIN:
        return f"{stream}x{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}"
    return f"{stream}{'y' if initials else 'x'}{key}"


@lru_cache(maxsize=2048)  # aliases recur in many units (办社保卡 in every 社保卡 item); titles
# rarely: 65,536 entries held ~60 MB of tokens after a 100,000-item build, for no CPU saved
def _string_tokens(term: Term) -> tuple[str, ...]:
    """The tokens of one title, alias or body segment."""
    tokens = [gram_token(stream, first, gram) for (stream, gram), first in term_grams(term).items()]
    if term.kind != BODY:
        tokens.append(exact_token(term.kind, term.text))
        latin = term.kind + LATIN
        # Aliases get the title's tokens too: a common three-letter start ("she") must not
        # send the alias tiers walking every unit to find the few that hold "shebaoka".
        tokens += [prefix_token(term.kind, term.text[:k])
                   for k in range(PREFIX_MIN, min(PREFIX_MAX, len(term.text)) + 1)]
        tokens += [long_token(latin, first, gram) for gram, first in long_grams(term)]
        if term.pinyin:
            tokens.append(exact_token(latin, term.pinyin.replace(" ", "")))
        if term.initials:
            tokens.append(exact_token(latin, term.initials, initials=True))
    return tuple(tokens)


def term_tokens(unit: Unit) -> str:
    """Everything of a unit the FTS5 table holds: the grams of its title and aliases (or of a
    body segment), and the exact, prefix and long tokens of titles and aliases."""
    if isinstance(unit, Names):
        tokens = list(_string_tokens(unit.title))
        for alias in unit.aliases:
            tokens += _string_tokens(alias)
        # An alias gram may start one alias and not another: a and b tokens both kept.
        return " ".join(dict.fromkeys(tokens))
    return " ".join(_string_tokens(unit))


def _hkey(*parts: object) -> int:
    raw = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big", signed=True)


@lru_cache(maxsize=1 << 16)
def _term_hkey(t: Unit) -> int:
    return _hkey(*t)


# --- maintenance -------------------------------------------------------------------------------
def _in(n: int) -> str:
    return ",".join("?" * n)


def _chunks(seq: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


class _Known:
    """What this process knows the index holds (term and body-set ids, popularity, facets), so
    a sync does not read back, page after page, the rows it wrote itself. It is trusted only
    while the store's search token equals the one it wrote last: a rolled-back page, or a
    writer elsewhere, leaves another token and the knowledge is dropped."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.token = 0
        self.term_id: dict[Unit, int] = {}
        self.terms: dict[int, list] = {}  # id → [term, best key, dept, n_sets, slot]
        self.set_id: dict[tuple[int, ...], int] = {}
        self.sets: dict[int, list] = {}  # id → [segments, best key]
        # Raw strings of an item's names (title, aliases, their pinyin) → term ids, and of its
        # body → segment term ids (a body set's key). Emptied when any term is dropped.
        self.names_of: dict[tuple, tuple[int, ...]] = {}
        self.body_of: dict[tuple, tuple[int, ...]] = {}
        self.facets = {(d, a, e): i for i, d, a, e in conn.execute(
            "SELECT id, department, audience, life_events FROM search_facet")}
        self.facet_of: dict[tuple, int] = {}
        self.depts: dict[str, int] = dict(conn.execute("SELECT name, id FROM search_dept"))
        self.next_term = (conn.execute("SELECT max(id) FROM search_term").fetchone()[0] or 0) + 1
        self.next_set = (conn.execute("SELECT max(id) FROM search_body_set").fetchone()[0]
                         or 0) + 1

    _TERM_SQL = ("SELECT t.id, t.kind, t.label, t.text, t.pinyin, t.initials, t.alias_json, "
                 "r.max_pop, r.best_code, r.dept, r.n_sets, r.slot FROM search_term t "
                 "JOIN search_rank r "
                 "ON r.id = t.id WHERE ")

    def _term_rows(self, rows: Iterable[tuple]) -> None:
        for (tid, kind, label, text, pinyin, initials, aliases, max_pop, best_code, dept,
             n_sets, slot) in rows:
            term: Unit = Term(kind, label, text, pinyin, initials)
            if kind == TITLE:
                term = Names(term, tuple(Term(ALIAS, "alias", *a) for a in json.loads(aliases)))
            self.terms[tid] = [term, (-max_pop, best_code), dept, n_sets, slot]
            self.term_id.setdefault(term, tid)

    def resolve_terms(self, conn: sqlite3.Connection, terms: Iterable[Unit]) -> set[int]:
        """Ids for the terms, reading unknown ones by hash; the ids of new terms are returned."""
        wanted = [t for t in set(terms) if t not in self.term_id]
        hkeys = list({_term_hkey(t) for t in wanted})
        for chunk in _chunks(hkeys):
            self._term_rows(conn.execute(f"{self._TERM_SQL} t.hkey IN ({_in(len(chunk))})",
                                         chunk))
        created = set()
        for t in wanted:
            if t not in self.term_id:  # a hash collision is told apart by the full term
                self.term_id[t] = self.next_term
                self.terms[self.next_term] = [t, NO_ITEM, 0, 0, 0]
                created.add(self.next_term)
                self.next_term += 1
        return created

    def load_terms(self, conn: sqlite3.Connection, ids: Iterable[int]) -> None:
        missing = list({i for i in ids if i not in self.terms})
        for chunk in _chunks(missing):
            self._term_rows(conn.execute(f"{self._TERM_SQL} t.id IN ({_in(len(chunk))})",
                                         chunk))

    def _set_rows(self, rows: Iterable[tuple]) -> None:
        for sid, segs_text, max_pop, best_code in rows:
            segs = tuple(int(s) for s in segs_text.split())
            self.sets[sid] = [segs, (-max_pop, best_code)]
            self.set_id.setdefault(segs, sid)

    def resolve_sets(self, conn: sqlite3.Connection, wanted_sets: Iterable[tuple[int, ...]]
                     ) -> set[int]:
        wanted = [s for s in set(wanted_sets) if s not in self.set_id]
        hkeys = list({_hkey(*s) for s in wanted})
        for chunk in _chunks(hkeys):
            self._set_rows(conn.execute("SELECT id, segs, max_pop, best_code FROM search_body_set "
                                        f"WHERE hkey IN ({_in(len(chunk))})", chunk))
        created = set()
        for segs in wanted:
            if segs not in self.set_id:
                self.set_id[segs] = self.next_set
                self.sets[self.next_set] = [segs, NO_ITEM]
                created.add(self.next_set)
                self.next_set += 1
        return created

    def load_sets(self, conn: sqlite3.Connection, ids: Iterable[int]) -> None:
        missing = list({i for i in ids if i not in self.sets})
        for chunk in _chunks(missing):
            self._set_rows(conn.execute("SELECT id, segs, max_pop, best_code FROM search_body_set "
                                        f"WHERE id IN ({_in(len(chunk))})", chunk))

    def facet(self, conn: sqlite3.Connection, item: wire.CatalogItem) -> int:
        raw = (item.department, tuple(item.audience), tuple(item.life_events))
        found = self.facet_of.get(raw)
        if found is None:
            key = (item.department, "|".join(sorted(set(item.audience))),
                   "|".join(sorted(set(item.life_events))))
            found = self.facets.get(key)
            if found is None:
                found = self.facets[key] = conn.execute(
                    "INSERT INTO search_facet(department, audience, life_events) "
                    "VALUES (?, ?, ?)", key).lastrowid or 0
            self.facet_of[raw] = found
        return found

    def dept(self, conn: sqlite3.Connection, name: str) -> int:
        found = self.depts.get(name)
        if found is None:
            found = self.depts[name] = conn.execute(
                "INSERT INTO search_dept(name) VALUES (?)", (name,)).lastrowid or 0
        return found

    def too_big(self) -> bool:
        return (len(self.terms) + len(self.sets) + len(self.names_of) + len(self.body_of)
                > _KNOWN_MAX)

    def forget_raw(self) -> None:
        self.names_of.clear()
        self.body_of.clear()


_KNOWN_MAX = 400_000  # entries; past this the knowledge is rebuilt from the store
_KNOWN_STORES = 4  # a process has one store; tests open many: keep the latest few
_known: dict[int, tuple[sqlite3.Connection, _Known]] = {}


def _knowledge(conn: sqlite3.Connection) -> _Known:
    row = conn.execute("SELECT value FROM search_state WHERE key = 'token'").fetchone()
    token = row[0] if row else 0
    entry = _known.pop(id(conn), None)
    if entry is None or entry[0] is not conn or entry[1].token != token or entry[1].too_big():
        entry = (conn, _Known(conn))
        entry[1].token = token
    _known[id(conn)] = entry  # most recent last
    while len(_known) > _KNOWN_STORES:
        del _known[next(iter(_known))]
    return entry[1]


def _new_token(conn: sqlite3.Connection, known: _Known) -> None:
    known.token = secrets.randbits(62) or 1
    conn.execute("INSERT INTO search_state(key, value) VALUES ('token', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (known.token,))


# An item's place in a tier: (-popularity, code), smaller first. A term's or body set's "best
# key" is that of its best item; NO_ITEM sorts after every item.
Key = tuple[int, str]
NO_ITEM: Key = (1 << 62, "")


class _Change:
    """What one page does to a term or a body set."""

    __slots__ = ("top", "joined", "lost", "removed_max", "dept", "sets")

    def __init__(self) -> None:
        self.top = NO_ITEM  # best key of the items (or sets) joining
        self.joined = False
        self.lost = False  # an item left: maybe the last one
        self.removed_max = False  # the stored best item left
        self.dept: int | None = None  # the department its items now share; 0: several
        self.sets = 0  # body segments: sets gained - sets lost

    def join(self, key: Key) -> None:
        self.joined = True
        if key < self.top:
            self.top = key


def apply_changes(conn: sqlite3.Connection, items: Sequence[wire.CatalogItem],
                  deleted: Iterable[str]) -> None:
    """Index upserted items and drop deleted ones, in the caller's transaction. An upsert
    replaces the item's index rows; an item whose searchable content did not change costs a
    lookup and nothing more."""
    known = _knowledge(conn)
    try:
        _apply(conn, known, items, deleted)
    except BaseException:
        known.token = 0  # the caller rolls back: forget what this page wrote
        raise
    _new_token(conn, known)


def _raw_names(item: wire.CatalogItem) -> tuple:
    """What an item's name terms are made of, flat (lengths keep it unambiguous)."""
    s = item.search
    return (item.title, s.title_pinyin, s.title_initials, len(item.aliases), *item.aliases,
            len(s.alias_pinyin), *s.alias_pinyin, *s.alias_initials)


def _raw_body(item: wire.CatalogItem) -> tuple:
    return (len(item.conditions), *item.conditions, len(item.materials),
            *[m.name for m in item.materials], len(item.steps), *item.steps,
            *[sit.name for sit in item.situations])


def _apply(conn: sqlite3.Connection, known: _Known, items: Sequence[wire.CatalogItem],
           deleted: Iterable[str]) -> None:
    # Like the mirror (upserts, then tombstones): a code both upserted and deleted is deleted.
    gone = list(dict.fromkeys(deleted))
    dropped = set(gone)
    new = {item.code: item for item in items if item.code not in dropped}
    codes = [*new, *gone]
    old: dict[str, tuple[int, int, tuple[int, ...], int]] = {}
    crank: dict[str, int] = {}  # every code of the page: its label in code order
    for chunk in _chunks(codes):
        for code, facet, neg_pop, tids, body_set, label in conn.execute(
                f"SELECT code, facet, neg_pop, terms, body_set, crank FROM search_doc "
                f"WHERE code IN ({_in(len(chunk))})", chunk):
            old[code] = (facet, neg_pop, tuple(int(t) for t in tids.split()), body_set)
            crank[code] = label
    relabelled = _label_codes(conn, sorted(c for c in new if c not in old), crank)

    # The new versions. Items share titles, aliases and whole bodies: what was resolved to
    # ids once (in this page or an earlier one) is looked up by its raw strings.
    names_of, body_of = known.names_of, known.body_of
    raw: dict[str, tuple[int, int, int, tuple, tuple]] = {}
    unknown: dict[tuple, wire.CatalogItem] = {}
    for code, item in new.items():
        names, body = _raw_names(item), _raw_body(item)
        if names not in names_of:
            unknown[names] = item
        if body not in body_of:
            unknown[body] = item
        raw[code] = (known.facet(conn, item), known.dept(conn, item.department),
                     -item.popularity, names, body)
    new_terms = _resolve_raw(conn, known, unknown)
    known.load_terms(conn, (t for o in old.values() for t in o[2]))
    new_sets = known.resolve_sets(conn, {body_of[r[4]] for r in raw.values()})
    known.load_sets(conn, (o[3] for o in old.values()))
    set_id = known.set_id

    terms: dict[int, _Change] = {}
    sets: dict[int, _Change] = {}
    post_del: list[tuple[int, int, str]] = []
    post_ins: list[tuple[int, int, str, int]] = []
    doc_up: list[tuple[str, int, int, str, int, int]] = []
    for code in codes:
        before = old.get(code)
        after = dept = None
        if code in raw:
            facet, dept, neg_pop, names, body = raw[code]
            after = (facet, neg_pop, names_of[names], set_id[body_of[body]])
        if before == after:
            continue  # nothing searchable changed
        same = before is not None and after is not None and before[:2] == after[:2]
        if before:
            key = (before[1], code)
            keep = after[2] if same else ()
            for t in before[2]:
                if t not in keep:
                    post_del.append((t, before[1], code))
                    _leave(terms, t, key, known.terms[t][1])
            if not (same and after[3] == before[3]):
                _leave(sets, before[3], key, known.sets[before[3]][1])
        if after:
            neg_pop = after[1]
            keep = before[2] if same else ()
            for t in after[2]:
                if t not in keep:
                    post_ins.append((t, neg_pop, code, after[0]))
                    ch = terms.get(t)
                    if ch is None:
                        ch = terms[t] = _Change()
                    ch.join((neg_pop, code))
                    current = ch.dept if ch.dept is not None else (
                        None if t in new_terms else known.terms[t][2])
                    ch.dept = dept if current is None or current == dept else 0
            if not (same and before[3] == after[3]):
                ch = sets.get(after[3])
                if ch is None:
                    ch = sets[after[3]] = _Change()
                ch.join((neg_pop, code))
            doc_up.append((code, after[0], neg_pop, " ".join(map(str, after[2])), after[3],
                           crank[code]))
    conn.executemany("DELETE FROM search_posting WHERE term = ? AND neg_pop = ? AND code = ?",
                     post_del)
    post_ins.sort()
    conn.executemany("INSERT INTO search_posting(term, neg_pop, code, facet) VALUES (?, ?, ?, ?)",
                     post_ins)
    conn.executemany("INSERT INTO search_doc(code, facet, neg_pop, terms, body_set, crank) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
                     "facet = excluded.facet, neg_pop = excluded.neg_pop, "
                     "terms = excluded.terms, body_set = excluded.body_set", doc_up)
    conn.executemany("DELETE FROM search_doc WHERE code = ?", [(c,) for c in gone if c in old])
    _finish_sets(conn, known, sets, new_sets, terms)  # first: sets change segment counts
    _finish_terms(conn, known, terms, new_terms, crank)
    if relabelled:
        _reslot_all(conn, known)


# --- ranking order as FTS5 rowids ----------------------------------------------------------------
# A unit's rowid in search_gram (its slot) sorts like its best item: popularity descending,
# then code. FTS5 hands a query's matches over in rowid order, so a tier reads its units best
# first and stops after the few it needs, however many units match (证 in most titles, no
# popularity at all). Codes get integer labels in code order, with gaps for codes to come.
POP_BITS, LABEL_BITS = 24, 38
POP_CAP = (1 << POP_BITS) - 1  # popularity above this ranks as this (no hall gets near it)
LABEL_END = 1 << LABEL_BITS
LABEL_STEP = 1 << 18  # between codes appended in order


def unit_slot(best: Key, label: int) -> int:
    pop = min(max(-best[0], 0), POP_CAP)
    return ((POP_CAP - pop) << LABEL_BITS) | label


def _label_codes(conn: sqlite3.Connection, fresh: list[str], crank: dict[str, int]) -> bool:
    """Labels for codes new to the index (sorted), between those of their neighbours in code
    order; True when there was no room and every code was labelled again."""
    groups: dict[tuple[int | None, int | None], list[str]] = {}
    for chunk in _chunks(fresh):  # one statement for the neighbours of a chunk of codes
        for code, before, after in conn.execute(
                "SELECT j.value, (SELECT crank FROM search_doc WHERE code < j.value "
                "ORDER BY code DESC LIMIT 1), (SELECT crank FROM search_doc WHERE code > j.value "
                "ORDER BY code LIMIT 1) FROM json_each(?) j ORDER BY j.key",
                (json.dumps(list(chunk), ensure_ascii=False),)):
            groups.setdefault((before, after), []).append(code)
    for (lo, hi), run in groups.items():
        labels = _gap_labels(lo, hi, len(run))
        if labels is None:
            _relabel(conn, fresh, crank)
            return True
        crank.update(zip(run, labels, strict=True))
    return False


def _gap_labels(lo: int | None, hi: int | None, k: int) -> list[int] | None:
    """Labels for k codes between the labels lo and hi (None: no code on that side), or None
    when they do not fit. Each code takes at most a sixteenth of the gap left to it: codes
    often come in order within a group (SYN-GA-0000001, -0000002… between the GA and GJJ
    codes), and halving the gap each time would run out after ~20 of them."""
    if lo is None and hi is None:
        lo = LABEL_END // 4
    if hi is None:
        hi = LABEL_END
    if lo is None:  # before the first code: as close to it as the rule allows
        step = min(LABEL_STEP, (hi + 1) // (16 * (k + 1))) or (hi + 1) // (k + 1)
        return [hi - (k - i) * step for i in range(k)] if step else None
    step = min(LABEL_STEP, (hi - lo) // (16 * (k + 1))) or (hi - lo) // (k + 1)
    return [lo + (i + 1) * step for i in range(k)] if step else None


def _relabel(conn: sqlite3.Connection, fresh: list[str], crank: dict[str, int]) -> None:
    """Every code (indexed or new) labelled again, evenly spaced: rare, and costly — every
    unit then moves to a new slot (_reslot_all)."""
    every = sorted({r[0] for r in conn.execute("SELECT code FROM search_doc")} | set(fresh))
    step = (LABEL_END // 2) // (len(every) + 1)  # wide gaps; 3/8 of the space left to append
    labels = {code: LABEL_END // 8 + (i + 1) * step for i, code in enumerate(every)}
    conn.executemany("UPDATE search_doc SET crank = ? WHERE code = ?",
                     [(labels[c], c) for c in every if c not in set(fresh)])
    crank.clear()
    crank.update(labels)
    log.info("search index: %d catalog codes labelled again", len(every))


def _reslot_all(conn: sqlite3.Connection, known: _Known) -> None:
    """Move every unit whose slot no longer follows its best item's label (after _relabel)."""
    moves = []
    for tid, slot, max_pop, best_code, label in conn.execute(
            "SELECT r.id, r.slot, r.max_pop, r.best_code, d.crank FROM search_rank r "
            "JOIN search_doc d ON d.code = r.best_code WHERE r.kind = ?", (TITLE,)):
        new_slot = unit_slot((-max_pop, best_code), label)
        if new_slot != slot:
            moves.append((tid, slot, new_slot))
    known.load_terms(conn, [m[0] for m in moves])
    tokens = {tid: term_tokens(known.terms[tid][0]) for tid, _, _ in moves}
    conn.executemany("INSERT INTO search_gram(search_gram, rowid, grams) VALUES ('delete', ?, ?)",
                     sorted((old, tokens[tid]) for tid, old, _ in moves))
    conn.executemany("UPDATE search_rank SET slot = ? WHERE id = ?",
                     [(new, tid) for tid, _, new in moves])
    conn.executemany("INSERT INTO search_gram(rowid, grams) VALUES (?, ?)",
                     sorted((new, tokens[tid]) for tid, _, new in moves))
    for tid, _, new in moves:
        known.terms[tid][4] = new


def _resolve_raw(conn: sqlite3.Connection, known: _Known,
                 unknown: dict[tuple, wire.CatalogItem]) -> set[int]:
    """Term ids for raw names, and segment ids for raw bodies, not seen before; returns the
    ids of terms new to the index."""
    if not unknown:
        return set()
    parsed = {raw: [item_names(item)] if raw and isinstance(raw[0], str) else body_terms(item)
              for raw, item in unknown.items()}
    created = known.resolve_terms(conn, (t for terms in parsed.values() for t in terms))
    for raw, terms in parsed.items():
        ids = tuple(known.term_id[t] for t in terms)
        if raw and isinstance(raw[0], str):
            known.names_of[raw] = ids
        else:
            known.body_of[raw] = tuple(sorted(set(ids)))
    return created


def _leave(changes: dict[int, _Change], key: int, item: Key, stored_best: Key) -> None:
    ch = changes.get(key)
    if ch is None:
        ch = changes[key] = _Change()
    ch.lost = True
    if item <= stored_best:
        ch.removed_max = True


def _finish_sets(conn: sqlite3.Connection, known: _Known, sets: dict[int, _Change],
                 created: set[int], terms: dict[int, _Change]) -> None:
    ins, upd, dele, mem_ins, mem_del = [], [], [], [], []
    for sid, ch in sets.items():
        entry = known.sets[sid]
        segs, stored = entry
        if sid in created:
            ins.append((sid, _hkey(*segs), " ".join(map(str, segs)), -ch.top[0], ch.top[1]))
            mem_ins += [(t, sid) for t in segs]
            for t in segs:
                (terms.get(t) or terms.setdefault(t, _Change())).sets += 1
            entry[1] = ch.top
            continue
        best = min(stored, ch.top)
        if ch.removed_max or (ch.lost and not ch.joined):
            row = conn.execute("SELECT neg_pop, code FROM search_doc WHERE body_set = ? "
                               "ORDER BY neg_pop, code LIMIT 1", (sid,)).fetchone()
            if row is None:  # its last item left
                dele.append((sid,))
                mem_del += [(t, sid) for t in segs]
                known.load_terms(conn, segs)
                for t in segs:
                    (terms.get(t) or terms.setdefault(t, _Change())).sets -= 1
                del known.sets[sid], known.set_id[segs]
                continue
            best = (row[0], row[1])
        if best != stored:
            upd.append((-best[0], best[1], sid))
            entry[1] = best
    for sid in created - sets.keys():  # wanted, then unused (a page that changed its mind)
        segs = known.sets.pop(sid)[0]
        known.set_id.pop(segs, None)
    conn.executemany("INSERT INTO search_body_set(id, hkey, segs, max_pop, best_code) "
                     "VALUES (?, ?, ?, ?, ?)", ins)
    conn.executemany("UPDATE search_body_set SET max_pop = ?, best_code = ? WHERE id = ?", upd)
    conn.executemany("DELETE FROM search_body_set WHERE id = ?", dele)
    conn.executemany("DELETE FROM search_body_member WHERE term = ? AND body_set = ?", mem_del)
    mem_ins.sort()
    conn.executemany("INSERT INTO search_body_member(term, body_set) VALUES (?, ?)", mem_ins)


def _term_columns(unit: Unit) -> tuple:
    """kind, label, text, pinyin, pyc, pysfx, initials, aliases, alias_keys, alias_latin and
    alias_json of a search_term row."""
    if not isinstance(unit, Names):
        return (unit.kind, unit.label, unit.text, "", "", "", "", "", "", "", "[]")
    t = unit.title
    keys, latin = [], []
    for alias in unit.aliases:
        for key, starts in ascii_keys(alias.pinyin, alias.initials):
            keys.append(key)
            latin += [key[b:] for b in starts]
    return (TITLE, t.label, t.text, t.pinyin, t.pinyin.replace(" ", ""),
            syllable_suffixes(t.pinyin), t.initials,
            "|" + "|".join(a.text for a in unit.aliases) + "|", "|" + "|".join(keys) + "|",
            "|" + "|".join(latin) + "|",
            json.dumps([[a.text, a.pinyin, a.initials] for a in unit.aliases],
                       ensure_ascii=False))


def _finish_terms(conn: sqlite3.Connection, known: _Known, terms: dict[int, _Change],
                  created: set[int], crank: dict[str, int]) -> None:
    """Write new terms with their grams, drop terms nothing holds any more, and keep each
    title/alias term's max_pop and department (the grams never move)."""
    gram_ins: list[tuple[int, str]] = []
    gram_del: list[tuple[int, str]] = []
    term_ins: list[tuple] = []
    term_upd: list[tuple[int, str, int, int, int, int]] = []
    term_del: list[tuple[int]] = []
    per_kind: Counter[int] = Counter()  # terms of each kind, kept in search_state
    dropped: list[int] = []
    readings: dict[str, str] = {}
    for t, ch in terms.items():
        entry = known.terms[t]
        term, stored_best, stored_dept, stored_sets, stored_slot = entry
        if t not in created and not ch.lost and not ch.sets and ch.top >= stored_best and (
                ch.dept is None or ch.dept == stored_dept):
            continue  # the common case: items joined a term, none beat its best
        best, dept, n_sets = stored_best, stored_dept, stored_sets + ch.sets
        slot = stored_slot
        if term.kind == BODY:
            alive = n_sets > 0
            best, slot = (0, ""), -t
        else:
            alive = True
            best = min(stored_best, ch.top)
            if best != stored_best:  # an item of this page
                slot = unit_slot(best, crank[best[1]])
            if ch.removed_max or (ch.lost and not ch.joined):
                row = conn.execute(
                    "SELECT p.neg_pop, p.code, d.crank FROM search_posting p JOIN search_doc d "
                    "ON d.code = p.code WHERE p.term = ? ORDER BY p.neg_pop, p.code LIMIT 1",
                    (t,)).fetchone()
                alive = row is not None
                if row:
                    best, slot = (row[0], row[1]), unit_slot((row[0], row[1]), row[2])
            if ch.dept is not None:
                dept = ch.dept
        if t in created:
            if not alive or best == NO_ITEM:
                dropped.append(t)
                continue
            term_ins.append((t, _term_hkey(term), *_term_columns(term), -best[0], best[1], dept,
                             n_sets, slot))
            gram_ins.append((slot, term_tokens(term)))
            if isinstance(term, Names):
                for name in (term.title, *term.aliases):
                    readings.update(char_readings(name.text, name.pinyin))
            per_kind[term.kind] += 1
            entry[1:] = [best, dept, n_sets, slot]
        elif not alive:
            term_del.append((t,))
            per_kind[term.kind] -= 1
            gram_del.append((stored_slot, term_tokens(term)))
            dropped.append(t)
        elif (best, dept, n_sets, slot) != (stored_best, stored_dept, stored_sets, stored_slot):
            term_upd.append((-best[0], best[1], dept, n_sets, slot, t))
            entry[1:] = [best, dept, n_sets, slot]
            if slot != stored_slot:  # its best item changed: the unit moves in rank order
                tokens = term_tokens(term)
                gram_del.append((stored_slot, tokens))
                gram_ins.append((slot, tokens))
    dropped += created - terms.keys()
    for t in dropped:  # gone from the index, or created and never used
        term = known.terms.pop(t)[0]
        if known.term_id.get(term) == t:
            del known.term_id[term]
    if dropped:
        known.forget_raw()  # raw strings may map to a dropped id
    conn.executemany("INSERT INTO search_state(key, value) VALUES (?, ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = value + excluded.value",
                     [(f"terms_{kind}", n) for kind, n in per_kind.items() if n])
    conn.executemany("INSERT INTO search_term(id, hkey, kind, label, text, pinyin, pyc, pysfx, "
                     "initials, aliases, alias_keys, alias_latin, alias_json) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [r[:13] for r in term_ins])
    conn.executemany("INSERT INTO search_rank(id, kind, max_pop, best_code, dept, n_sets, slot) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", [(r[0], r[2], *r[13:]) for r in term_ins])
    conn.executemany("UPDATE search_rank SET max_pop = ?, best_code = ?, dept = ?, n_sets = ?, "
                     "slot = ? WHERE id = ?",
                     term_upd)
    conn.executemany("INSERT OR IGNORE INTO search_char(ch, syllable) VALUES (?, ?)",
                     readings.items())
    conn.executemany("DELETE FROM search_term WHERE id = ?", term_del)
    conn.executemany("DELETE FROM search_rank WHERE id = ?", term_del)
    # FTS5 wants ascending rowids: out of order it flushes its pending segment at each one
    # (5x slower, and a heap of tiny segments).
    gram_del.sort()
    gram_ins.sort()
    conn.executemany("INSERT INTO search_gram(search_gram, rowid, grams) VALUES ('delete', ?, ?)",
                     gram_del)
    conn.executemany("INSERT INTO search_gram(rowid, grams) VALUES (?, ?)", gram_ins)
