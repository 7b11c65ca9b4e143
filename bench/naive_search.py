"""The baseline guide search: a full `LIKE '%q%'` scan with the same ranking as
offline_cache.search_query, over a plain table with one row per item and no index to help.

Same semantics (offline_cache.search_text): ASCII-folded Chinese substrings; pinyin and initials
matched from a syllable boundary, which LIKE sees as "|" in front of each syllable suffix.
Ranking: tier (title exact, alias exact, title prefix, alias prefix, title contains, alias
contains, body), then popularity descending, then code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from common import wire
from offline_cache.search_text import (
    ascii_keys,
    body_terms,
    fold,
    name_terms,
    parse_query,
)

SCHEMA = """CREATE TABLE IF NOT EXISTS naive_item (
    code TEXT PRIMARY KEY,
    popularity INTEGER NOT NULL,
    department TEXT NOT NULL,
    audience TEXT NOT NULL,
    life_events TEXT NOT NULL,
    title TEXT NOT NULL,
    aliases TEXT NOT NULL,       -- |a|b|
    body TEXT NOT NULL,          -- |segment|segment|
    title_keys TEXT NOT NULL,    -- |pinyin|initials|
    title_sfx TEXT NOT NULL,     -- |each syllable suffix of each key
    alias_keys TEXT NOT NULL,
    alias_sfx TEXT NOT NULL)"""

_LATIN_TIERS = """CASE
    WHEN title_keys LIKE :exact ESCAPE '\\' THEN 0
    WHEN alias_keys LIKE :exact ESCAPE '\\' THEN 1
    WHEN title_keys LIKE :prefix ESCAPE '\\' THEN 2
    WHEN alias_keys LIKE :prefix ESCAPE '\\' THEN 3
    WHEN title_sfx LIKE :prefix ESCAPE '\\' THEN 4
    WHEN alias_sfx LIKE :prefix ESCAPE '\\' THEN 5
    END"""
_TEXT_TIERS = """CASE
    WHEN title LIKE :q ESCAPE '\\' THEN 0
    WHEN aliases LIKE :exact ESCAPE '\\' THEN 1
    WHEN title LIKE :start ESCAPE '\\' THEN 2
    WHEN aliases LIKE :prefix ESCAPE '\\' THEN 3
    WHEN title LIKE :like ESCAPE '\\' THEN 4
    WHEN aliases LIKE :like ESCAPE '\\' THEN 5
    WHEN body LIKE :like ESCAPE '\\' THEN 6
    END"""


def _keys(terms: list) -> tuple[str, str]:
    keys, sfx = [], []
    for t in terms:
        for key, starts in ascii_keys(t.pinyin, t.initials):
            keys.append(key)
            sfx.extend(key[b:] for b in starts)
    return "|" + "|".join(keys) + "|", "|" + "|".join(sfx)


def load(conn: sqlite3.Connection, items: Iterable[wire.CatalogItem]) -> None:
    """(Re)fill the baseline table from catalog items."""
    conn.execute(SCHEMA)
    rows = []
    for item in items:
        names = name_terms(item)
        titles = [t for t in names if t.kind == 0]
        aliases = [t for t in names if t.kind == 1]
        title_keys, title_sfx = _keys(titles)
        alias_keys, alias_sfx = _keys(aliases)
        rows.append((item.code, item.popularity, item.department,
                     "|" + "|".join(item.audience) + "|", "|" + "|".join(item.life_events) + "|",
                     fold(item.title), "|" + "|".join(t.text for t in aliases) + "|",
                     "|" + "|".join(t.text for t in body_terms(item)) + "|",
                     title_keys, title_sfx, alias_keys, alias_sfx))
    conn.executemany("INSERT OR REPLACE INTO naive_item VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     rows)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def naive_search(conn: sqlite3.Connection, raw_query: str, *, limit: int = 20,
                 department: str | None = None, life_event: str | None = None,
                 audience: str | None = None) -> list[tuple[str, int]]:
    """(code, tier) of the `limit` best items, by scanning every row."""
    query = parse_query(raw_query)
    where, params = ["1"], {"limit": limit}
    if department:
        where.append("department = :department")
        params["department"] = department
    if life_event:
        where.append("instr(life_events, :life_event) > 0")
        params["life_event"] = f"|{life_event}|"
    if audience:
        where.append("instr(audience, :audience) > 0")
        params["audience"] = f"|{audience}|"
    filters = " AND ".join(where)
    if not query.text:
        sql = (f"SELECT code, -1 FROM naive_item WHERE {filters} "
               "ORDER BY popularity DESC, code LIMIT :limit")
        return [tuple(r) for r in conn.execute(sql, params)]
    q = _escape(query.text)
    params.update(q=q, exact=f"%|{q}|%", prefix=f"%|{q}%", start=f"{q}%", like=f"%{q}%")
    tiers = _LATIN_TIERS if query.latin else _TEXT_TIERS
    sql = (f"SELECT code, tier FROM (SELECT code, popularity, {tiers} AS tier FROM naive_item "
           f"WHERE {filters}) WHERE tier IS NOT NULL ORDER BY tier, popularity DESC, code "
           "LIMIT :limit")
    return [tuple(r) for r in conn.execute(sql, params)]
