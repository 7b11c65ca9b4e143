"""Ranked guide search over the index of offline_cache.search_index.

Ranking, best first (docs/search.md):
  0 title exact · 1 alias exact · 2 title prefix · 3 alias prefix · 4 title contains ·
  5 alias contains · 6 body (materials, conditions, steps, situations).
Latin queries have the same six name tiers on pinyin and initials (no body tier). Within a tier
the more popular item comes first, then the smaller code.

Each tier is a stream of sources (terms, or body sets) in falling popularity of their most
popular item, and each source gives its items most popular first. A tier stops reading as soon
as it holds enough results and the next source cannot beat the worst of them, so a
one-character query that matches half the catalog reads a few dozen postings, not half the
catalog.
"""

from __future__ import annotations

import sqlite3
from bisect import insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import isqrt

from offline_cache.search_index import LATIN, LATIN_GRAM, gram_token
from offline_cache.search_text import ALIAS, BODY, TITLE, Query, parse_query

TIER_NAMES = ("title exact", "alias exact", "title prefix", "alias prefix", "title contains",
              "alias contains", "body")
# Read-and-sort the candidates of a gram, or walk all terms by popularity? A short query's gram
# count is its exact match count, and a walk over many matches stops soon; a longer query's
# count is only an upper bound (its terms are verified), so it is read up to a larger count.
ENUM_SHORT_MAX = 600
ENUM_MAX = 1500
ENUM_MIN = 100
WALK_FACTOR = 40

# (term or body set id, popularity of its most popular item, label)
Source = tuple[int, int, str]
_POSTINGS = ("SELECT neg_pop, code FROM search_posting WHERE term = ? AND neg_pop <= ?{facet} "
             "ORDER BY neg_pop, code LIMIT ?")
_BODY_ITEMS = ("SELECT neg_pop, code FROM search_doc WHERE body_set = ? AND neg_pop <= ?{facet} "
               "ORDER BY neg_pop, code LIMIT ?")


@dataclass(frozen=True)
class Hit:
    code: str
    tier: int  # 0 (title exact) … 6 (body); -1 when browsing without a query
    label: str  # what matched: title, alias, pinyin, materials, conditions, steps, situations


@dataclass(frozen=True)
class Filters:
    facets: list[int] | None  # facets that pass; None: no filter
    dept: int | None  # department id for the gram-level filter


def filters(conn: sqlite3.Connection, department: str | None, life_event: str | None,
            audience: str | None) -> Filters:
    where: list[str] = []
    params: list[str] = []
    if department:
        where.append("department = ?")
        params.append(department)
    for column, value in (("life_events", life_event), ("audience", audience)):
        if value:
            where.append(f"instr('|' || {column} || '|', ?) > 0")
            params.append(f"|{value}|")
    if not where:
        return Filters(None, None)
    facets = [r[0] for r in conn.execute(
        f"SELECT id FROM search_facet WHERE {' AND '.join(where)}", params)]
    dept = None
    if department:
        row = conn.execute("SELECT id FROM search_dept WHERE name = ?", (department,)).fetchone()
        dept = row[0] if row else -1
    return Filters(facets, dept)


def search(conn: sqlite3.Connection, raw_query: str, *, limit: int = 20,
           department: str | None = None, life_event: str | None = None,
           audience: str | None = None) -> list[Hit]:
    """The `limit` best hits for what the citizen typed (run it in one read transaction)."""
    if limit <= 0:
        return []
    f = filters(conn, department, life_event, audience)
    if f.facets is not None and not f.facets:
        return []
    query = parse_query(raw_query)
    if not query.text:
        return _browse(conn, limit, f)
    plan = _Plan(conn, query, f)
    hits: list[Hit] = []
    seen: set[str] = set()
    for tier, (label, sources, fetch_sql) in enumerate(plan.tiers()):
        need = limit - len(hits)
        if need <= 0:
            break
        for code, lab in _top_items(conn, sources(), fetch_sql, plan.facet_params, need, seen,
                                    label):
            hits.append(Hit(code, tier, lab))
            seen.add(code)
    return hits


def _top_items(conn: sqlite3.Connection, sources: Iterator[Source], fetch_sql: str,
               facet_params: list[int], need: int, seen: set[str],
               label: str) -> list[tuple[str, str]]:
    """The `need` best items not in `seen` over the sources (a threshold algorithm)."""
    best: list[tuple[int, str]] = []  # (neg_pop, code), sorted, at most `need` long
    labels: dict[str, str] = {}
    for source, max_pop, source_label in sources:
        full = len(best) >= need
        if full and -max_pop > best[-1][0]:
            break  # nothing from here on is more popular than the worst we hold
        bound = best[-1][0] if full else 1 << 62
        rows = conn.execute(fetch_sql, (source, bound, *facet_params,
                                        need + len(seen) + len(best)))
        for neg_pop, code in rows:
            if code in seen or code in labels:
                continue
            if len(best) >= need and (neg_pop, code) > best[-1]:
                break
            insort(best, (neg_pop, code))
            labels[code] = source_label or label
            if len(best) > need:
                del labels[best.pop()[1]]
    return [(code, labels[code]) for _, code in best]


def _match(stream: int, firsts: tuple[int, ...], gram: str, *, prefix: bool) -> str:
    """An FTS5 query for a gram (or every gram that starts with it) of a stream."""
    star = "*" if prefix else ""
    return " OR ".join(f'"{gram_token(stream, first, gram)}"{star}' for first in firsts)


class _Plan:
    """The tiers of one query: (label, source stream factory, item fetch SQL) each.

    A prefix or contains tier either reads all terms that hold the query's gram (when the gram
    counts say they are few) and sorts them, or walks the kind's terms most popular first and
    checks each: few candidates are cheap to sort, many are cheap to walk because the walk
    stops early."""

    def __init__(self, conn: sqlite3.Connection, query: Query, f: Filters) -> None:
        self.conn = conn
        self.q = query.text
        self.latin = query.latin
        self.dept_sql = ""
        self.dept_params: list[int] = []
        if f.dept is not None:
            self.dept_sql = " AND {a}dept IN (?, 0)"
            self.dept_params = [f.dept]
        facet_sql = ""
        self.facet_params: list[int] = []
        if f.facets is not None:
            facet_sql = f" AND facet IN ({','.join('?' * len(f.facets))})"
            self.facet_params = f.facets
        self.postings = _POSTINGS.format(facet=facet_sql)
        self.body_items = _BODY_ITEMS.format(facet=facet_sql)
        # A short query is a gram (or all grams that start with it); a longer one is looked up
        # by one of its grams and verified.
        self.gram_len = LATIN_GRAM if self.latin else 2
        self.short = len(self.q) <= self.gram_len

    def tiers(self) -> list[tuple[str, Callable[[], Iterator[Source]], str]]:
        p = self.postings
        if self.latin:
            return [
                ("pinyin", lambda: self._exact_latin(TITLE), p),
                ("pinyin", lambda: self._exact_latin(ALIAS), p),
                ("pinyin", lambda: self._matching(TITLE, "prefix"), p),
                ("pinyin", lambda: self._matching(ALIAS, "prefix"), p),
                ("pinyin", lambda: self._matching(TITLE, "contains"), p),
                ("pinyin", lambda: self._matching(ALIAS, "contains"), p),
            ]
        return [
            ("title", lambda: self._exact_text(TITLE), p),
            ("alias", lambda: self._exact_text(ALIAS), p),
            ("title", lambda: self._matching(TITLE, "prefix"), p),
            ("alias", lambda: self._matching(ALIAS, "prefix"), p),
            ("title", lambda: self._matching(TITLE, "contains"), p),
            ("alias", lambda: self._matching(ALIAS, "contains"), p),
            ("", self._body, self.body_items),
        ]

    # --- exact: one index lookup on the term's text, pinyin or initials ----------------------
    def _exact_text(self, kind: int) -> Iterator[Source]:
        return self._terms(kind, ("text",))

    def _exact_latin(self, kind: int) -> Iterator[Source]:
        return self._terms(kind, ("pyc", "initials"))

    def _terms(self, kind: int, columns: tuple[str, ...]) -> Iterator[Source]:
        rows: dict[int, tuple[int, int, str]] = {}
        for column in columns:  # INDEXED BY: without statistics the planner may walk them all
            sql = (f"SELECT t.id, r.max_pop, '' FROM search_term t INDEXED BY "
                   f"search_term_{column} JOIN search_rank r ON r.id = t.id "
                   f"WHERE t.kind = ? AND t.{column} = ?{self.dept_sql.format(a='r.')}")
            for row in self.conn.execute(sql, (kind, self.q, *self.dept_params)):
                rows[row[0]] = row
        return iter(sorted(rows.values(), key=lambda r: (-r[1], r[0])))

    # --- prefix / contains ---------------------------------------------------------------------
    def _matching(self, kind: int, mode: str) -> Iterator[Source]:
        stream = kind + LATIN if self.latin else kind
        firsts = (1,) if mode == "prefix" else (0, 1)
        if self.short:
            # Terms that start with the query were all taken by the (emptied) prefix tier.
            match = _match(stream, (1,) if mode == "prefix" else (0,), self.q,
                           prefix=len(self.q) < self.gram_len)
            cap = ENUM_SHORT_MAX
        elif self.latin:  # only the first three letters surely start a syllable
            match = _match(stream, firsts, self.q[:LATIN_GRAM], prefix=False)
            cap = ENUM_MAX
        else:
            match = self._all_pairs(stream, firsts)
            cap = ENUM_MAX
        # Read-and-sort n candidates, or walk the kind's N terms by popularity and stop after
        # some 20/(n/N) of them? Enumerate while n is below both sqrt(40 N) and the cap.
        cap = min(cap, max(ENUM_MIN, isqrt(WALK_FACTOR * self._terms_of(kind))))
        n = self._count(match, cap + 1)
        if n == 0:
            return iter(())
        if n <= cap:
            return self._enumerate(match, mode)
        return self._walk(kind, mode)

    def _terms_of(self, kind: int) -> int:
        row = self.conn.execute("SELECT value FROM search_state WHERE key = ?",
                                (f"terms_{kind}",)).fetchone()
        return row[0] if row else 0

    def _all_pairs(self, stream: int, firsts: tuple[int, ...]) -> str:
        """Terms holding every character pair of a long Chinese query (FTS5 intersects the
        lists); prefix: the first pair must start the term. Then verified on the text."""
        pairs = list(dict.fromkeys(self.q[i:i + 2] for i in range(len(self.q) - 1)))
        parts = [f"({_match(stream, firsts, pairs[0], prefix=False)})"]
        parts += [f"({_match(stream, (0, 1), pair, prefix=False)})" for pair in pairs[1:]]
        return " AND ".join(parts)

    def _count(self, match: str, cap: int) -> int:
        """How many terms hold the gram(s), counting no further than `cap`."""
        return self.conn.execute("SELECT count(*) FROM (SELECT rowid FROM search_gram WHERE "
                                 "search_gram MATCH ? LIMIT ?)", (match, cap)).fetchone()[0]

    def _verify(self, mode: str) -> tuple[str, list]:
        """SQL that checks a term against a query longer than its gram (or walked to)."""
        q, n = self.q, len(self.q)
        if self.latin:
            if mode == "prefix":
                return (" AND (substr(t.pyc, 1, ?) = ? OR substr(t.initials, 1, ?) = ?)",
                        [n, q, n, q])
            return (" AND (substr(t.pyc, 1, ?) = ? OR instr(t.pysfx, ?) > 0 "
                    "OR instr(t.initials, ?) > 0)", [n, q, "|" + q, q])
        if mode == "prefix":
            return " AND substr(t.text, 1, ?) = ?", [n, q]
        return " AND instr(t.text, ?) > 0", [q]

    def _enumerate(self, match: str, mode: str) -> Iterator[Source]:
        """All candidate terms of the gram(s), sorted by SQLite; Python sees only those read."""
        cond, extra = ("", []) if self.short else self._verify(mode)
        join = " JOIN search_term t ON t.id = search_gram.rowid" if cond else ""
        sql = ("SELECT r.id, r.max_pop, '' FROM search_gram "
               f"JOIN search_rank r ON r.id = search_gram.rowid{join} WHERE search_gram MATCH ?"
               f"{self.dept_sql.format(a='r.')}{cond} ORDER BY r.max_pop DESC, r.id")
        return iter(self.conn.execute(sql, (match, *self.dept_params, *extra)))

    def _walk(self, kind: int, mode: str | None) -> Iterator[Source]:
        """The kind's terms most popular first, those that match (all of them: mode None)."""
        cond, extra = self._verify(mode) if mode else ("", [])
        join = " JOIN search_term t ON t.id = r.id" if cond else ""
        sql = (f"SELECT r.id, r.max_pop, '' FROM search_rank r INDEXED BY search_rank_pop{join} "
               f"WHERE r.kind = ?{cond}{self.dept_sql.format(a='r.')} "
               "ORDER BY r.max_pop DESC, r.id")
        return iter(self.conn.execute(sql, (kind, *extra, *self.dept_params)))

    # --- body: segments → the body sets holding them → their items --------------------------
    def _body(self) -> Iterator[Source]:
        if self.short:
            match = _match(BODY, (0, 1), self.q, prefix=len(self.q) < self.gram_len)
            cond, extra = "", []
        else:
            match = self._all_pairs(BODY, (0, 1))
            cond, extra = self._verify("contains")
        segments: dict[int, tuple[str, int]] = {}
        for term, label, n_sets in self.conn.execute(
                "SELECT t.id, t.label, r.n_sets FROM search_gram JOIN search_term t "
                "ON t.id = search_gram.rowid JOIN search_rank r ON r.id = search_gram.rowid "
                f"WHERE search_gram MATCH ?{cond}", (match, *extra)):
            segments[term] = (label, n_sets)
        if not segments:
            return
        if sum(n for _, n in segments.values()) <= ENUM_MAX:
            sets: dict[int, tuple[int, int, str]] = {}
            for term, (label, _) in segments.items():
                for body_set, max_pop in self.conn.execute(
                        "SELECT m.body_set, s.max_pop FROM search_body_member m "
                        "JOIN search_body_set s ON s.id = m.body_set WHERE m.term = ?", (term,)):
                    sets.setdefault(body_set, (body_set, max_pop, label))
            yield from sorted(sets.values(), key=lambda r: (-r[1], r[0]))
            return
        for body_set, max_pop, segs in self.conn.execute(
                "SELECT id, max_pop, segs FROM search_body_set INDEXED BY search_body_set_pop "
                "ORDER BY max_pop DESC, id"):
            for seg in segs.split():
                hit = segments.get(int(seg))
                if hit:
                    yield body_set, max_pop, hit[0]
                    break


def _browse(conn: sqlite3.Connection, limit: int, f: Filters) -> list[Hit]:
    """No query: the most popular items that pass the filters. Every item has one title, so
    walking the titles by popularity is walking the items."""
    plan = _Plan(conn, Query("", latin=False), f)
    found = _top_items(conn, plan._walk(TITLE, None), plan.postings, plan.facet_params, limit,
                       set(), "")
    return [Hit(code, -1, "") for code, _ in found]
