"""Ranked guide search over the index of offline_cache.search_index.

Ranking, best first (docs/search.md):
  0 title exact · 1 alias exact · 2 title prefix · 3 alias prefix · 4 title contains ·
  5 alias contains · 6 body (materials, conditions, steps, situations).
Latin queries have the same six name tiers on pinyin and initials (no body tier). Within a tier
the more popular item comes first, then the smaller code.

Each tier is a stream of sources (units of names, or body sets) in the ranking order of their
best item, and each source gives its items in ranking order. A tier stops reading as soon as it
holds enough results and the next source cannot beat the worst of them. Units come straight
from FTS5 in rowid order, which is ranking order (search_index.unit_slot): a one-character
query that matches most of the catalog reads about as many units as it returns, popularity
or not. When nothing matches, similar() offers near misses (tier 7).
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from bisect import insort
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from offline_cache.search_index import (
    LATIN,
    LATIN_GRAM,
    LATIN_LONG,
    PREFIX_MAX,
    exact_token,
    gram_token,
    long_token,
    prefix_token,
)
from offline_cache.search_near import near_variants
from offline_cache.search_text import ALIAS, BODY, TITLE, Query, one_edit_prefix, parse_query
from offline_cache.search_vocab import token_range

TIER_NAMES = ("title exact", "alias exact", "title prefix", "alias prefix", "title contains",
              "alias contains", "body")
_WALK_WANT = 24  # body sets a body tier expects to need (it mostly returns ~20 items)
# Sets ranked after the one (max_pop, best_code, id) a walk stopped at.
_AFTER_SET = " WHERE (s.max_pop < ? OR s.max_pop = ? AND (s.best_code, s.id) > (?, ?))"
_FIRST_PAGE = 48  # candidate terms handed over first (a tier mostly needs ~20)
_LAST_FROM = 9  # query letters from which the last syllable start is required too
_BUDGET = 50  # candidates of a streamed superset checked before its costly exact query
_KEYS = 32  # whole keys starting with 7+ letters named one by one, at most (_long_prefix)

# (term or body set id, popularity of its best item, that item's code, label): the best item
# is the first in ranking order, so sources in (-max_pop, best_code) order are in the order of
# their best items, popularity 0 or not.
Source = tuple[int, int, str, str]
_POSTINGS = ("SELECT neg_pop, code FROM search_posting WHERE term = ? "
             "AND (neg_pop, code) <= (?, ?){facet} ORDER BY neg_pop, code LIMIT ?")
_BODY_ITEMS = ("SELECT neg_pop, code FROM search_doc WHERE body_set = ? "
               "AND (neg_pop, code) <= (?, ?){facet} ORDER BY neg_pop, code LIMIT ?")
_ANY: tuple[int, str] = (1 << 62, "")
# Without facet filters every item of a source counts, and the source row names its best item:
# a tier takes the best items as the sources stream by, then reads the other items of all the
# sources it took in one statement (not one per source).
_REST = {
    _POSTINGS.format(facet=""): (
        "SELECT term, neg_pop, code FROM search_posting WHERE term IN "
        "(SELECT value FROM json_each(?)) AND (neg_pop, code) <= (?, ?) "
        "ORDER BY neg_pop, code LIMIT ?"),
    _BODY_ITEMS.format(facet=""): (
        "SELECT body_set, neg_pop, code FROM search_doc WHERE body_set IN "
        "(SELECT value FROM json_each(?)) AND (neg_pop, code) <= (?, ?) "
        "ORDER BY neg_pop, code LIMIT ?"),
}


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
    rest_sql = None if facet_params else _REST.get(fetch_sql)
    if rest_sql is not None:
        return _top_items_batched(conn, sources, rest_sql, need, seen, label)
    best: list[tuple[int, str]] = []  # (neg_pop, code), sorted, at most `need` long
    labels: dict[str, str] = {}
    for source, max_pop, best_code, source_label in sources:
        full = len(best) >= need
        if full and (-max_pop, best_code) > best[-1]:
            break  # nothing from here on ranks before the worst we hold
        bound = best[-1] if full else _ANY
        rows = conn.execute(fetch_sql, (source, *bound, *facet_params,
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


def _top_items_batched(conn: sqlite3.Connection, sources: Iterator[Source], rest_sql: str,
                       need: int, seen: set[str], label: str) -> list[tuple[str, str]]:
    """_top_items when every item counts: a source's best item is taken from the source row;
    its other items, all ranked after it, are read for every source taken at the end. The
    stop is as safe as item by item: the worst held can only get better from there."""
    best: list[tuple[int, str]] = []
    labels: dict[str, str] = {}
    taken: dict[int, str] = {}  # source → label of its items

    def offer(key: tuple[int, str], lab: str) -> None:
        code = key[1]
        if code in seen or code in labels or (len(best) >= need and key > best[-1]):
            return
        insort(best, key)
        labels[code] = lab
        if len(best) > need:
            del labels[best.pop()[1]]

    for source, max_pop, best_code, source_label in sources:
        key = (-max_pop, best_code)
        if len(best) >= need and key > best[-1]:
            break  # nothing from here on ranks before the worst we hold
        taken[source] = source_label or label
        offer(key, taken[source])
    if taken:
        bound = best[-1] if len(best) >= need else _ANY
        for source, neg_pop, code in conn.execute(
                rest_sql, (json.dumps(list(taken)), *bound, need + len(seen) + len(best))):
            offer((neg_pop, code), taken[source])
    return [(code, labels[code]) for _, code in best]


def _match(stream: int, firsts: tuple[int, ...], gram: str, *, prefix: bool) -> str:
    """An FTS5 query for a gram (or every gram that starts with it) of a stream."""
    star = "*" if prefix else ""
    return " OR ".join(f'"{gram_token(stream, first, gram)}"{star}' for first in firsts)


def _pinyin_match(stream: int, text: str, firsts: tuple[int, ...]) -> str:
    """An FTS5 query for the units holding `text` (6+ letters) from a syllable start (from
    their first letter: firsts (1,)): its first six letters, and from 7 letters on a token of
    a later syllable start, from 9 one of its last syllable start too."""
    gram = text[:LATIN_LONG]
    match = " OR ".join(f'"{long_token(stream, first, gram)}"' for first in firsts)
    if len(text) > LATIN_LONG:
        match = f"({match}) AND ({_later_syllable(stream, text, 0)})"
    if len(text) >= _LAST_FROM:
        match = f"{match} AND ({_last_syllable(stream, text)})"
    return match


def _later_syllable(stream: int, text: str, start: int) -> str:
    """Units holding, from a syllable start after `start`, 4–6 letters of the text that follow
    one of the six positions after it. A match's next syllable starts within six letters (no
    syllable is longer), so one of these tokens is in every match; with ten letters or more
    each is at least four letters long, a token that picks out few units: "dengjizhengm" reads
    the units going on with zhengm, not every 登记 to check it."""
    return _syllable_at(stream, text, range(start + 1, min(start + LATIN_LONG + 1, len(text))))


def _last_syllable(stream: int, text: str) -> str:
    """Units holding a syllable start at one of the text's positions n-8 … n-3, with what
    follows it: in a match of 9+ letters the last syllable start that has three letters of
    the text after it lies there (the syllable after it starts beyond n-3, and no syllable is
    longer than six). Without it, 排污许可证 units all passed the tokens of paiwuxukeyac and
    each failed the check."""
    n = len(text)
    return _syllable_at(stream, text, range(n - 8, n - LATIN_GRAM + 1))


def _syllable_at(stream: int, text: str, positions: range) -> str:
    """Units with a syllable start at one of `positions` of the text, holding its letters
    from there: 6 by the long token, 3–5 by the 3-letter token, 1–2 by prefix."""
    options = []
    for p in positions:
        rest = text[p:p + LATIN_LONG]
        if len(rest) == LATIN_LONG:
            options += [f'"{long_token(stream, first, rest)}"' for first in (0, 1)]
        elif len(rest) >= LATIN_GRAM:  # not a prefix query (FTS5 would merge its whole
            # doclist before the first row): the 3 letters, a token of their own
            options += [f'"{gram_token(stream, first, rest[:LATIN_GRAM])}"' for first in (0, 1)]
        elif rest:  # 1–2 letters: a prefix FTS5 has an index for
            options += [f'"{gram_token(stream, first, rest)}"*' for first in (0, 1)]
    return " OR ".join(options)


class _Plan:
    """The tiers of one query: (label, source stream factory, item fetch SQL) each. A prefix
    or contains tier is one FTS5 query over the query's token(s), read in rowid (ranking)
    order, its units checked on their text only when the query says more than the tokens."""

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
    def _exact_text(self, field: int) -> Iterator[Source]:
        if field == TITLE:
            return self._exact(f'"{exact_token(field, self.q)}"', " AND t.text = ?", [self.q])
        return self._exact(f'"{exact_token(field, self.q)}"', " AND instr(t.aliases, ?) > 0",
                           [f"|{self.q}|"])

    def _exact_latin(self, field: int) -> Iterator[Source]:
        stream = field + LATIN
        match = (f'"{exact_token(stream, self.q)}" OR '
                 f'"{exact_token(stream, self.q, initials=True)}"')
        return self._exact(match, "", [])

    def _exact(self, match: str, cond: str, extra: list) -> Iterator[Source]:
        """Terms equal to the query: an exact token of the FTS5 table (a hash, for Chinese
        text: the text itself is compared)."""
        # Streamed in rowid (ranking) order, like the other tiers: an alias many items share
        # (办公积金贷款) is the exact alias of thousands of units (read and sorted: 3 ms).
        return self._ranked(match, (bool(cond), cond, extra))

    # --- prefix / contains ---------------------------------------------------------------------
    def _matching(self, field: int, mode: str) -> Iterator[Source]:
        """Terms whose title (field TITLE) or one of whose aliases (ALIAS) starts with or
        contains the query."""
        stream = field + LATIN if self.latin else field
        verify = self._verify(field, mode)
        firsts = (1,) if mode == "prefix" else (0, 1)
        if self.short:
            # Units that start with the query were all taken by the (emptied) prefix tier.
            match = _match(stream, (1,) if mode == "prefix" else (0,), self.q,
                           prefix=len(self.q) < self.gram_len)
        elif self.latin and len(self.q) < LATIN_LONG:  # 4–5 letters
            # Their 6-letter tokens by prefix would be exact, but FTS5 merges a prefix's whole
            # doclist before handing over the first row (qing*: 79,000 units, 31 ms).
            # The 3-letter token streams: its units are checked until the budget runs out.
            cheap = _match(stream, firsts, self.q[:LATIN_GRAM], prefix=False)
            precise = [long_token(stream, first, self.q) for first in firsts[:1]]
            return self._budgeted(cheap, precise, self._verify(field, mode, always=True))
        elif self.latin and mode == "prefix":
            return self._long_prefix(stream, verify)
        elif self.latin:  # the first 6 letters from a later syllable start ("d" only: the
            # prefix tier, read to its end, took the units that start with the query)
            match = _pinyin_match(stream, self.q, (0,))
        elif mode == "prefix":  # starts with the first 3–6 characters
            match = f'"{prefix_token(stream, self.q[:PREFIX_MAX])}"'
        else:
            match = self._pairs(stream)
        return self._ranked(match, verify)

    def _long_prefix(self, stream: int, verify: tuple[bool, str, list]) -> Iterator[Source]:
        """Terms whose pinyin or initials start with 7+ letters: the units of the whole-key
        tokens (exact_token) that start with them, named from the vocabulary — exact, no term
        read to check, and none at all for a typo (jidongchr checked the 2,605 units starting
        with jidong). Past _KEYS such keys, the units of the first six letters and later
        syllables, checked (most of them start with the query)."""
        keys = token_range(self.conn, [exact_token(stream, self.q),
                                       exact_token(stream, self.q, initials=True)], cap=_KEYS)
        if keys is None:
            return self._ranked(_pinyin_match(stream, self.q, (1,)), verify)
        if not keys:
            return iter(())
        return self._ranked(" OR ".join(f'"{key}"' for key in keys), (False, "", []))

    def _pairs(self, stream: int) -> str:
        """Terms holding every other character pair of a long Chinese query, and its last
        (FTS5 intersects the lists, skipping through the longer ones). Verified on the text:
        with the first and last pair alone, 社会团体注销（情 checked every 社会…（情 unit."""
        q = self.q
        pairs = dict.fromkeys([*(q[i:i + 2] for i in range(0, len(q) - 1, 2)), q[-2:]])
        return " AND ".join(f"({_match(stream, (0, 1), pair, prefix=False)})" for pair in pairs)

    def _verify(self, field: int, mode: str, *, always: bool = False
                ) -> tuple[bool, str, list]:
        """(needed when reading candidates, SQL, parameters) that check a unit against the
        query. A walk always checks; read candidates only when the query is longer than what
        their token holds exactly."""
        q, n = self.q, len(self.q)
        # Query length up to which the token read says it all (titles and aliases have the
        # same tokens, each in its own stream).
        exact_up_to = LATIN_LONG if self.latin else PREFIX_MAX if mode == "prefix" else 0
        needed = always or (not self.short and n > exact_up_to)
        if field == ALIAS:
            if self.latin:
                column, pattern = ("alias_keys", "|" + q) if mode == "prefix" else (
                    "alias_latin", "|" + q)
            else:
                column, pattern = "aliases", ("|" + q if mode == "prefix" else q)
            return needed, f" AND instr(t.{column}, ?) > 0", [pattern]
        if self.latin:
            if mode == "prefix":
                return (needed, " AND (substr(t.pyc, 1, ?) = ? OR substr(t.initials, 1, ?) = ?)",
                        [n, q, n, q])
            return (needed, " AND (substr(t.pyc, 1, ?) = ? OR instr(t.pysfx, ?) > 0 "
                    "OR instr(t.initials, ?) > 0)", [n, q, "|" + q, q])
        if mode == "prefix":
            return needed, " AND substr(t.text, 1, ?) = ?", [n, q]
        return needed, " AND instr(t.text, ?) > 0", [q]

    def _ranked(self, match: str, verify: tuple[bool, str, list], *, after: int | None = None
                ) -> Iterator[Source]:
        """The units an FTS5 query matches, best first, checked on their text when the query
        says more than the tokens: FTS5 hands them over in rowid order, which is ranking
        order (search_index.unit_slot), so the tier reads only as many as it takes."""
        needed, cond, extra = verify
        if not needed:
            cond, extra = "", []
        join = " JOIN search_term t ON t.id = r.id" if cond else ""
        sql = ("SELECT r.id, r.max_pop, r.best_code, '' FROM search_gram "
               f"JOIN search_rank r ON r.slot = search_gram.rowid{join} "
               f"WHERE search_gram MATCH ?{self.dept_sql.format(a='r.')}{cond}"
               f"{'' if after is None else ' AND search_gram.rowid > ?'} "
               "ORDER BY search_gram.rowid")
        params = (match, *self.dept_params, *extra, *(() if after is None else (after,)))
        return iter(self.conn.execute(sql, params))

    def _budgeted(self, cheap: str, precise: list[str], verify: tuple[bool, str, list]
                  ) -> Iterator[Source]:
        """_ranked(the units holding a token that starts with one of `precise`, verify), where
        `cheap` is a streamed superset of them. The units of `cheap` are checked one by one
        (~2 µs each) while at least a fifth of them pass; past _BUDGET candidates with fewer,
        the tokens are read from the vocabulary and their units from the next rowid on."""
        _, cond, extra = verify
        sql = ("SELECT r.id, r.max_pop, r.best_code, search_gram.rowid, "
               f"(1{self.dept_sql.format(a='r.')}{cond}) FROM search_gram "
               "LEFT JOIN search_rank r ON r.slot = search_gram.rowid "
               "LEFT JOIN search_term t ON t.id = r.id WHERE search_gram MATCH ? "
               "ORDER BY search_gram.rowid")
        found = 0
        rows = self.conn.execute(sql, (*self.dept_params, *extra, cheap))
        for n, (tid, max_pop, best_code, rowid, ok) in enumerate(rows, 1):
            if ok:
                found += 1
                yield tid, max_pop, best_code, ""
            elif n >= _BUDGET and found * 5 < n:
                match = _tokens_match(self.conn, precise)
                if match:
                    yield from self._ranked(match, verify, after=rowid)
                return

    def _paged(self, sql: str, params: tuple) -> Iterator[tuple]:
        """The rows of a sorted query ending in LIMIT ? OFFSET ?, a page at a time: 48 first
        (a tier mostly needs ~20), then four times more each page."""
        offset, page = 0, _FIRST_PAGE
        while True:
            rows = self.conn.execute(sql, (*params, page, offset)).fetchall()
            yield from rows
            if len(rows) < page:
                return
            offset, page = offset + page, page * 4

    def _walk(self) -> Iterator[Source]:
        """Every item's unit of names, best first (browsing: no query)."""
        sql = ("SELECT r.id, r.max_pop, r.best_code, '' FROM search_rank r "
               f"WHERE r.slot > 0{self.dept_sql.format(a='r.')} ORDER BY r.slot")
        return iter(self.conn.execute(sql, self.dept_params))

    # --- body: segments → the body sets holding them → their items --------------------------
    def _body(self) -> Iterator[Source]:
        """Body sets holding a matching segment, best first, each labelled by its first
        matching segment. Sets are read in ranking order and checked while they are dense
        among all sets (a set in three holds 符合要求的: ~60 read for 20); otherwise, or once
        the walk has read more than it should have, the sets of the segments are sorted."""
        segments = self._segments()
        if not segments:
            return
        holding = sum(n for _, n in segments.values())
        n_sets = self.conn.execute("SELECT max(id) FROM search_body_set").fetchone()[0] or 1
        walk = n_sets * _WALK_WANT // max(holding, 1)  # sets read, expected, for _WALK_WANT
        after: tuple[int, str, int] | None = None
        if walk < holding:
            after = yield from self._body_walk(segments, 4 * walk + _FIRST_PAGE)
            if after is None:
                return  # the walk read every set
        sql = ("SELECT m.body_set, s.max_pop, s.best_code, min(m.term) FROM json_each(?) j "
               "JOIN search_body_member m ON m.term = j.value "
               "JOIN search_body_set s ON s.id = m.body_set"
               f"{'' if after is None else _AFTER_SET} GROUP BY m.body_set "
               "ORDER BY s.max_pop DESC, s.best_code, s.id LIMIT ? OFFSET ?")
        params: tuple = (json.dumps(list(segments)),)
        if after is not None:
            params += (-after[0], -after[0], after[1], after[2])
        for body_set, max_pop, best_code, term in self._paged(sql, params):
            yield body_set, max_pop, best_code, segments[term][0]

    def _segments(self) -> dict[int, tuple[str, int]]:
        """Body segments holding the query: id → (label, how many body sets hold it)."""
        if self.short:
            match = _match(BODY, (0, 1), self.q, prefix=len(self.q) < self.gram_len)
            cond, extra = "", []
        else:
            match = self._pairs(BODY)
            _, cond, extra = self._verify(BODY, "contains")
        return {term: (label, n) for term, label, n in self.conn.execute(
            "SELECT t.id, t.label, r.n_sets FROM search_gram JOIN search_term t "
            "ON t.id = -search_gram.rowid JOIN search_rank r ON r.id = t.id "
            f"WHERE search_gram MATCH ?{cond}", (match, *extra))}

    def _body_walk(self, segments: dict[int, tuple[str, int]], cap: int
                   ) -> Generator[Source, None, tuple[int, str, int] | None]:
        """Every body set in ranking order, those holding a segment yielded; returns the
        rank key of the last set read when `cap` sets were read first (None: all read)."""
        rows = self.conn.execute(
            "SELECT id, max_pop, best_code, segs FROM search_body_set "
            "INDEXED BY search_body_set_pop ORDER BY max_pop DESC, best_code, id LIMIT ?",
            (cap,))
        read = 0
        body_set, max_pop, best_code = 0, 0, ""
        for body_set, max_pop, best_code, segs in rows:
            read += 1
            for seg in segs.split():  # ascending: the first found is the smallest
                hit = segments.get(int(seg))
                if hit:
                    yield body_set, max_pop, best_code, hit[0]
                    break
        return (-max_pop, best_code, body_set) if read >= cap else None


def _browse(conn: sqlite3.Connection, limit: int, f: Filters) -> list[Hit]:
    """No query: the most popular items that pass the filters. Every item has one unit of
    names, so walking those by popularity is walking the items."""
    plan = _Plan(conn, Query("", latin=False), f)
    found = _top_items(conn, plan._walk(), plan.postings, plan.facet_params, limit,
                       set(), "")  # every item has one unit of names
    return [Hit(code, -1, "") for code, _ in found]


# --- did you mean: a query that matches nothing, searched again as the citizen meant it ------
SIMILAR_TIER = 7  # after every exact tier
_TYPO_MIN = 4  # Latin letters below which one wrong letter could be anything
_TYPO_CANDIDATES = 1000  # units of a candidate group checked for one letter off, at most


def similar(conn: sqlite3.Connection, raw_query: str, *, limit: int = 20,
            department: str | None = None, life_event: str | None = None,
            audience: str | None = None) -> list[Hit]:
    """Hits for a query that found nothing: Chinese by its pinyin (营业职照 → yingyezhizhao
    finds 营业执照: a homophone typed from the keyboard's list), Latin with one letter wrong,
    missing, extra or swapped at the start of a title or alias pinyin. Tier SIMILAR_TIER."""
    query = parse_query(raw_query)
    if not query.text or limit <= 0:
        return []
    if not query.latin:
        spelled = _spelled(conn, query.text)
        if not spelled:
            return []
        found = search(conn, spelled, limit=limit, department=department,
                       life_event=life_event, audience=audience)
        return [Hit(h.code, SIMILAR_TIER, "similar") for h in found]
    if len(query.text) < _TYPO_MIN:
        return []
    f = filters(conn, department, life_event, audience)
    if f.facets is not None and not f.facets:
        return []
    plan = _Plan(conn, query, f)
    found = _top_items(conn, _near_units(plan, query.text), plan.postings, plan.facet_params,
                       limit, set(), "similar")
    return [Hit(code, SIMILAR_TIER, label) for code, label in found]


def _spelled(conn: sqlite3.Connection, text: str) -> str:
    """The compact pinyin of a Chinese query from the readings the catalog's own titles give
    its characters; "" when a character has none (it is in no title or alias)."""
    chars = [ch for ch in dict.fromkeys(text) if not ch.isascii()]
    readings = dict(conn.execute(
        "SELECT ch, syllable FROM search_char WHERE ch IN (SELECT value FROM json_each(?))",
        (json.dumps(chars, ensure_ascii=False),)))
    out = []
    for ch in text:
        if ch in readings:
            out.append(readings[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ch.isascii() or ch.isalnum():  # a character no title has, or %, _: no guess
            return ""
        # （）、 and the like: the pinyin of titles has no punctuation either
    return "".join(out)


def _near_units(plan: _Plan, q: str) -> Iterator[Source]:
    """Units whose title or alias pinyin starts with the query typed with one letter off, best
    first, each checked. By where the letter is: among the first six, the unit starts with the
    query typed right from a key start one edit away from them (search_near: a few such
    strings, each read like a prefix query, apart from the rest so that a common start cannot
    crowd them out); after them, the unit starts with the first six and
    more of the query — its first half (but its last letter: two letters swapped across the
    middle leave that much), or, a letter between the sixth and the middle, the first six and
    the letters after the middle from a syllable start (like a contains query of them: the
    first syllable start among them, and from nine letters one near their end). FTS5 hands
    the units of each over best first, and the tier stops once it holds enough."""
    n = len(q)
    if n <= LATIN_LONG:
        groups = [_near_short(plan.conn, q), []]
    else:
        head = max(LATIN_LONG, (n + 1) // 2 - 1)  # letters that start every unit of the rest
        late: list[str] = []
        for stream in (TITLE + LATIN, ALIAS + LATIN):
            late.append(_starts_with(plan.conn, stream, q[:head]))
            if head > LATIN_LONG:  # the letter after the sixth but before the middle
                late.append(f'"{long_token(stream, 1, q[:LATIN_LONG])}" AND '
                            f"({_near_tail(stream, q)})")
        groups = [late, [_starts_with(plan.conn, stream, v)
                         for stream, v in near_variants(plan.conn, q)]]
    _register_near(plan.conn)
    seen = 0
    for tid, max_pop, best_code, slot in heapq.merge(
            _candidates(plan, q, groups[0]), _candidates(plan, q, groups[1]),
            key=lambda row: row[-1]):
        if slot != seen:  # not in both
            seen = slot
            yield tid, max_pop, best_code, "similar"


def _near_tail(stream: int, q: str) -> str:
    """The units holding the letters after the query's middle from a syllable start (one of
    the six positions after it; from nine letters after it, also one near the end)."""
    n = len(q)
    mid = (n + 1) // 2
    start = min(mid + 1, max(1, n - 8))
    tail = _syllable_at(stream, q, range(start, min(start + LATIN_LONG, n - 5)))
    if n - mid - 1 >= _LAST_FROM:
        tail = f"({tail}) AND ({_last_syllable(stream, q)})"
    return tail


def _candidates(plan: _Plan, q: str, options: list[str]) -> Iterator[tuple]:
    """The units (in ranking order) among the first _TYPO_CANDIDATES that one of the FTS5
    queries matches whose key starts with `q` one letter off, checked in SQL (a unit that
    fails costs no Python: ~2.5 µs, most of it the two lookups of its rows)."""
    match = " OR ".join(f"({o})" for o in options if o)
    if not match:
        return iter(())
    # The cap as a rowid bound, which FTS5 applies while it reads (a LIMIT in a subquery
    # would make SQLite materialise all of it first): the last of the first
    # _TYPO_CANDIDATES, from the doclists alone (~0.3 µs a unit).
    last = plan.conn.execute(
        "SELECT rowid FROM search_gram WHERE search_gram MATCH ? ORDER BY rowid "
        "LIMIT 1 OFFSET ?", (match, _TYPO_CANDIDATES - 1)).fetchone()
    return plan.conn.execute(
        "SELECT r.id, r.max_pop, r.best_code, search_gram.rowid FROM search_gram "
        "JOIN search_rank r ON r.slot = search_gram.rowid JOIN search_term t ON t.id = r.id "
        f"WHERE search_gram MATCH ? AND search_gram.rowid <= ? "
        f"AND {_NEAR}(?, t.pyc, t.alias_keys){plan.dept_sql.format(a='r.')} "
        "ORDER BY search_gram.rowid", (match, last[0] if last else (1 << 63) - 1, q,
                                        *plan.dept_params))


_NEAR = "kiosk_near_key"  # SQL function: near_key


def near_key(q: str, pyc: str, alias_keys: str) -> bool:
    """Whether a unit's title pinyin or one of its alias keys starts with `q` one letter
    off (or with `q`)."""
    return one_edit_prefix(q, pyc) or any(one_edit_prefix(q, key)
                                          for key in alias_keys.split("|") if key)


def _register_near(conn: sqlite3.Connection) -> None:
    conn.create_function(_NEAR, 3, near_key, deterministic=True)


def _near_short(conn: sqlite3.Connection, q: str) -> list[str]:
    """Candidates of a query of up to six letters (no six after its middle): its first six
    letters, or what follows a later syllable start (the tokens that start with them, from
    the vocabulary: a prefix query would merge all their units first); its first three."""
    streams = (TITLE + LATIN, ALIAS + LATIN)
    head = q[:LATIN_LONG]
    options = [_long_match(conn, stream, 1, head) for stream in streams]
    for p in range(1, len(q) - LATIN_LONG + 1) or range(1, len(q) - LATIN_GRAM):
        options += [_long_match(conn, stream, 0, q[p:p + LATIN_LONG]) for stream in streams]
    if len(q) <= LATIN_LONG + 1:  # the error may be in the last letters of a short query
        options += [f'"{gram_token(stream, 1, q[:LATIN_GRAM])}"' for stream in streams]
    return options


def _long_match(conn: sqlite3.Connection, stream: int, first: int, text: str) -> str:
    """The units whose long token (first: of the key's start) starts with `text`."""
    token = long_token(stream, first, text)
    return f'"{token}"' if len(text) >= LATIN_LONG else _tokens_match(conn, [token])


def _tokens_match(conn: sqlite3.Connection, prefixes: list[str]) -> str:
    """An FTS5 query for the units holding a token that starts with one of `prefixes`: the
    tokens named one by one (streamed), or by prefix when there are too many of them."""
    tokens = token_range(conn, prefixes)
    if tokens is None:
        return " OR ".join(f'"{prefix}"*' for prefix in prefixes)
    return " OR ".join(f'"{token}"' for token in tokens)  # "": none (an empty phrase in an
    # OR would make FTS5 match nothing at all)


def _starts_with(conn: sqlite3.Connection, stream: int, text: str) -> str:
    """An FTS5 query for the units whose key starts with `text` (and some more)."""
    if len(text) >= LATIN_LONG:
        return _pinyin_match(stream, text, (1,))
    if len(text) > LATIN_GRAM:  # 4–5 letters: the long tokens that start with them
        return _long_match(conn, stream, 1, text)
    if len(text) == LATIN_GRAM:
        return f'"{gram_token(stream, 1, text)}"'
    return f'"{gram_token(stream, 1, text)}"*'
