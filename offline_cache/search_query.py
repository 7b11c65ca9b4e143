"""Ranked guide search over the index of offline_cache.search_index.

Ranking, best first (docs/search.md):
  0 title exact · 1 alias exact · 2 title prefix · 3 alias prefix · 4 title contains ·
  5 alias contains · 6 body (materials, conditions, steps, situations) — Latin queries have the
  same six name tiers on pinyin/initials and then English titles; within a tier the more popular
  item first, then the smaller code.

Each tier is a stream of terms in falling popularity; the items of a term come most popular
first. A tier stops reading terms once it holds enough results and the next term's most popular
item cannot beat the worst of them, so a one-character query that matches half the catalog reads
a few dozen postings, not half the catalog.
"""

from __future__ import annotations

import heapq
import sqlite3
from bisect import insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from offline_cache.search_index import LATIN
from offline_cache.search_text import (
    ALIAS,
    BODY,
    EN,
    TITLE,
    Query,
    latin_match,
    parse_query,
)

TIER_NAMES = ("title exact", "alias exact", "title prefix", "alias prefix", "title contains",
              "alias contains", "body")
_BROWSE_MERGE_MAX = 64  # facets merged one by one below this; a filtered index scan above

TermStream = Iterator[tuple[int, int, str]]  # (term id, its best item's popularity, label)


@dataclass(frozen=True)
class Hit:
    code: str
    tier: int  # 0 (title exact) … 6 (body); -1 when browsing without a query
    label: str  # what matched: title, alias, pinyin, title_en, materials, conditions, …


def facet_ids(conn: sqlite3.Connection, department: str | None, life_event: str | None,
              audience: str | None) -> list[int] | None:
    """Facets that pass the filters; None when nothing is filtered."""
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
        return None
    return [r[0] for r in conn.execute(
        f"SELECT id FROM search_facet WHERE {' AND '.join(where)}", params)]


def search(conn: sqlite3.Connection, raw_query: str, *, limit: int = 20,
           department: str | None = None, life_event: str | None = None,
           audience: str | None = None) -> list[Hit]:
    """The `limit` best hits for what the citizen typed (run it in one read transaction)."""
    if limit <= 0:
        return []
    facets = facet_ids(conn, department, life_event, audience)
    if facets is not None and not facets:
        return []
    query = parse_query(raw_query)
    if not query.text:
        return _browse(conn, limit, facets)
    plan = _Plan(conn, query, facets)
    hits: list[Hit] = []
    seen: set[str] = set()
    for tier, (label, stream) in enumerate(plan.tiers()):
        need = limit - len(hits)
        if need <= 0:
            break
        for code, lab in _top_items(conn, stream(), need, seen, label):
            hits.append(Hit(code, tier, lab))
            seen.add(code)
    return hits


def _top_items(conn: sqlite3.Connection, stream: TermStream, need: int, seen: set[str],
               label: str) -> list[tuple[str, str]]:
    """The `need` best items not in `seen` over the stream's terms (threshold algorithm)."""
    best: list[tuple[int, str]] = []  # (neg_pop, code), sorted, at most `need` long
    labels: dict[str, str] = {}
    for term, max_pop, term_label in stream:
        full = len(best) >= need
        if full and -max_pop > best[-1][0]:
            break  # this and every later term: nothing more popular than what we hold
        bound = best[-1][0] if full else 1 << 62
        rows = conn.execute("SELECT neg_pop, code FROM search_posting WHERE term = ? "
                            "AND neg_pop <= ? ORDER BY neg_pop, code LIMIT ?",
                            (term, bound, need + len(seen) + len(best)))
        for neg_pop, code in rows:
            if code in seen or code in labels:
                continue
            if len(best) >= need and (neg_pop, code) > best[-1]:
                break
            insort(best, (neg_pop, code))
            labels[code] = term_label or label
            if len(best) > need:
                del labels[best.pop()[1]]
    return [(code, labels[code]) for _, code in best]


class _Plan:
    """The tiers of one query, each a factory of a term stream."""

    def __init__(self, conn: sqlite3.Connection, query: Query, facets: list[int] | None):
        self.conn = conn
        self.q = query.text
        self.latin = query.latin
        self.facets = facets
        self.facet_sql = ""
        self.facet_params: list[int] = []
        if facets is not None:
            self.facet_sql = f" AND g.facet IN ({','.join('?' * len(facets))})"
            self.facet_params = facets

    def tiers(self) -> list[tuple[str, Callable[[], TermStream]]]:
        if self.latin:
            name = "pinyin"
            return [
                (name, lambda: self._exact_latin(TITLE)),
                (name, lambda: self._exact_latin(ALIAS)),
                (name, lambda: self._prefix(TITLE + LATIN)),
                (name, lambda: self._prefix(ALIAS + LATIN)),
                (name, lambda: self._contains(TITLE + LATIN)),
                (name, lambda: self._contains(ALIAS + LATIN)),
                ("title_en", lambda: self._anywhere(EN + LATIN)),
            ]
        return [
            ("title", lambda: self._exact_text(TITLE)),
            ("alias", lambda: self._exact_text(ALIAS)),
            ("title", lambda: self._prefix(TITLE)),
            ("alias", lambda: self._prefix(ALIAS)),
            ("title", lambda: self._contains(TITLE)),
            ("alias", lambda: self._contains(ALIAS)),
            ("", lambda: self._anywhere(BODY)),
        ]

    # --- exact: a direct index lookup on the term's text or keys ---------------------------
    def _exact_text(self, kind: int) -> TermStream:
        return self._sorted_terms("kind = ? AND text = ?", [kind, self.q])

    def _exact_latin(self, kind: int) -> TermStream:
        return self._sorted_terms("kind = ? AND (pyc = ? OR initials = ?)", [kind, self.q, self.q])

    def _sorted_terms(self, where: str, params: list) -> TermStream:
        # The tier says what matched (title, alias or pinyin): no per-term label here.
        sql = f"SELECT id, max_pop, '' FROM search_term g WHERE {where}{self.facet_sql}"
        rows = self.conn.execute(sql, [*params, *self.facet_params]).fetchall()
        rows.sort(key=lambda r: (-r[1], r[0]))
        return iter(rows)

    # --- gram streams ----------------------------------------------------------------------
    def _gram_len(self) -> int:
        return 3 if self.latin else 2

    def _prefix(self, stream: int) -> TermStream:
        n = self._gram_len()
        if len(self.q) <= n:  # the gram is the whole query: no verification
            return self._grams(self.q, stream, 1, verify=None)
        return self._grams(self.q[:n], stream, 1, verify="prefix")

    def _contains(self, stream: int) -> TermStream:
        n = self._gram_len()
        if len(self.q) <= n:
            # Terms that start with the query were all taken by the prefix tier before.
            return self._grams(self.q, stream, 0, verify=None)
        return self._both(self._probe_gram(stream), stream, "contains")

    def _anywhere(self, stream: int) -> TermStream:
        n = self._gram_len()
        if len(self.q) <= n:
            return self._both(self.q, stream, None)
        return self._both(self._probe_gram(stream), stream, "contains")

    def _both(self, gram: str, stream: int, verify: str | None) -> TermStream:
        return heapq.merge(self._grams(gram, stream, 1, verify),
                           self._grams(gram, stream, 0, verify), key=lambda r: (-r[1], r[0]))

    def _probe_gram(self, stream: int) -> str:
        """The gram to walk for a long query: its rarest character pair (Chinese), or its
        first three letters (Latin: only those are sure to start at a syllable)."""
        if self.latin:
            return self.q[:3]
        pairs = list(dict.fromkeys(self.q[i:i + 2] for i in range(len(self.q) - 1)))
        counts = {}
        for pair in pairs:
            row = self.conn.execute("SELECT n FROM search_gram_df WHERE gram = ? AND stream = ?",
                                    (pair, stream)).fetchone()
            counts[pair] = row[0] if row else 0
            if not counts[pair]:
                break
        return min(pairs, key=lambda p: counts.get(p, 1 << 62))

    def _grams(self, gram: str, stream: int, first: int, verify: str | None) -> TermStream:
        base = ("FROM search_gram g{join} WHERE g.gram = ? AND g.stream = ? AND g.first = ?"
                f"{self.facet_sql}{{cond}} ORDER BY g.neg_max_pop, g.term")
        params: list = [gram, stream, first, *self.facet_params]
        latin = stream >= LATIN
        join = " JOIN search_term t ON t.id = g.term"
        if verify is None:
            if stream == BODY:
                sql = "SELECT g.term, -g.neg_max_pop, t.label " + base.format(join=join, cond="")
            else:
                sql = "SELECT g.term, -g.neg_max_pop, '' " + base.format(join="", cond="")
            return iter(self.conn.execute(sql, params))
        if latin:
            sql = ("SELECT g.term, -g.neg_max_pop, t.pinyin, t.initials "
                   + base.format(join=join, cond=""))
            want = {"prefix": (0, 1), "contains": (0, 1, 2)}[verify]
            return ((t, m, "") for t, m, py, ini in self.conn.execute(sql, params)
                    if latin_match(self.q, py, ini) in want)
        if verify == "prefix":
            cond, extra = " AND substr(t.text, 1, ?) = ?", [len(self.q), self.q]
        else:
            cond, extra = " AND instr(t.text, ?) > 0", [self.q]
        sql = "SELECT g.term, -g.neg_max_pop, t.label " + base.format(join=join, cond=cond)
        return iter(self.conn.execute(sql, [*params, *extra]))


def _browse(conn: sqlite3.Connection, limit: int, facets: list[int] | None) -> list[Hit]:
    """No query: the most popular items (of the filtered facets)."""
    if facets is None:
        rows = conn.execute("SELECT code FROM search_doc ORDER BY neg_pop, code LIMIT ?",
                            (limit,)).fetchall()
        return [Hit(code, -1, "") for (code,) in rows]
    if len(facets) > _BROWSE_MERGE_MAX:
        rows = conn.execute(f"SELECT code FROM search_doc WHERE facet IN "
                            f"({','.join('?' * len(facets))}) ORDER BY neg_pop, code LIMIT ?",
                            (*facets, limit)).fetchall()
        return [Hit(code, -1, "") for (code,) in rows]
    per_facet = [conn.execute("SELECT neg_pop, code FROM search_doc WHERE facet = ? "
                              "ORDER BY neg_pop, code LIMIT ?", (f, limit)).fetchall()
                 for f in facets]
    merged = heapq.merge(*per_facet)
    return [Hit(code, -1, "") for _, (_, code) in zip(range(limit), merged, strict=False)]
