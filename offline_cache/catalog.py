"""The local catalog mirror and guide search.

The mirror follows the server's changes feed: each page and its cursor are applied in one
transaction, so an interrupted sync resumes exactly where it stopped; tombstones delete.
Search runs only on local data (pinyin comes precomputed from the server: no pinyin library
in the kiosk process).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable
from typing import Any

from kiosk import wire
from kiosk.views import ItemSummary
from offline_cache.client import HallClient
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)

CURSOR_META = "catalog_cursor"
SYNCED_AT_META = "catalog_synced_at"
_ASCII_QUERY = re.compile(r"^[a-z' ]+$")


def _row(item: wire.CatalogItem) -> dict[str, Any]:
    s = item.search
    body = " ".join([*item.conditions, *(m.name for m in item.materials), *item.steps,
                     *(sit.name for sit in item.situations)])
    return {
        "code": item.code, "title": item.title, "title_en": item.title_en,
        "department": item.department, "audience": "|".join(item.audience),
        "life_events": "|".join(item.life_events), "handling_type": item.handling_type,
        "promised_days": item.promised_days, "popularity": item.popularity,
        "title_pinyin": s.title_pinyin.replace(" ", ""), "title_initials": s.title_initials,
        "alias_text": "|".join(item.aliases),
        "alias_pinyin": "|".join(p.replace(" ", "") for p in s.alias_pinyin),
        "alias_initials": "|".join(s.alias_initials), "body_text": body,
        "doc": item.model_dump_json(),
    }


_COLUMNS = list(_row(wire.CatalogItem(code="x", title="x", department="x")).keys())
_UPSERT = (f"INSERT INTO catalog_item({', '.join(_COLUMNS)}) VALUES "
           f"({', '.join('?' * len(_COLUMNS))}) ON CONFLICT(code) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "code"))


def apply_page(conn: sqlite3.Connection, page: wire.CatalogChanges) -> None:
    conn.executemany(_UPSERT, [tuple(_row(i).values()) for i in page.items])
    conn.executemany("DELETE FROM catalog_item WHERE code = ?", [(c,) for c in page.deleted])


class Catalog:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def cursor(self) -> str | None:
        return self.store.get_meta(CURSOR_META) or None

    def pull(self, client: HallClient, *, page_size: int = 500,
             progress: Callable[[int], None] | None = None) -> int:
        """Follow the changes feed to its end; returns how many items/tombstones applied."""
        applied = 0
        while True:
            page = client.catalog_changes(self.cursor(), page_size)
            with self.store.transaction() as conn:
                apply_page(conn, page)
                self.store.set_meta(conn, CURSOR_META, page.cursor)
                self.store.set_meta(conn, SYNCED_AT_META, wire_now())
            applied += len(page.items) + len(page.deleted)
            if progress:
                progress(applied)
            if not page.more:
                return applied

    def count(self) -> int:
        return self.store.query("SELECT COUNT(*) AS n FROM catalog_item")[0]["n"]

    def get(self, code: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT doc FROM catalog_item WHERE code = ?", (code,))
        return json.loads(rows[0]["doc"]) if rows else None

    def departments(self) -> list[str]:
        rows = self.store.query("SELECT department, COUNT(*) AS n FROM catalog_item "
                                "GROUP BY department ORDER BY n DESC, department")
        return [r["department"] for r in rows]

    def life_events(self) -> list[str]:
        events: dict[str, int] = {}
        for r in self.store.query("SELECT life_events FROM catalog_item WHERE life_events != ''"):
            for e in r["life_events"].split("|"):
                events[e] = events.get(e, 0) + 1
        return sorted(events, key=lambda e: (-events[e], e))

    def search(self, query: str, *, limit: int = 20, department: str | None = None,
               life_event: str | None = None, audience: str | None = None) -> list[ItemSummary]:
        """Ranked: title/alias before materials/conditions, exact and prefix first, then
        popularity. Chinese is matched as a substring at any length; ASCII letters as pinyin
        initials or full pinyin (spaces ignored)."""
        q = query.strip().lower()
        filters, params = [], []
        if department:
            filters.append("department = ?")
            params.append(department)
        if life_event:
            filters.append("('|' || life_events || '|') LIKE ?")
            params.append(f"%|{life_event}|%")
        if audience:
            filters.append("('|' || audience || '|') LIKE ?")
            params.append(f"%|{audience}|%")
        where_filters = " AND ".join(filters) or "1"
        if not q:
            rows = self.store.query(
                f"SELECT *, 'title' AS matched, 0 AS tier FROM catalog_item WHERE {where_filters} "
                "ORDER BY popularity DESC, code LIMIT ?", (*params, limit))
            return [_summary(r) for r in rows]
        like = f"%{_escape(q)}%"
        prefix = f"{_escape(q)}%"
        if _ASCII_QUERY.match(q):
            compact = q.replace(" ", "").replace("'", "")
            like, prefix = f"%{_escape(compact)}%", f"{_escape(compact)}%"
            tier = """CASE
                WHEN title_initials = :q OR title_pinyin = :q THEN 0
                WHEN title_initials LIKE :prefix ESCAPE '\\' OR title_pinyin LIKE :prefix ESCAPE '\\' THEN 1
                WHEN ('|' || alias_initials || '|') LIKE :exact_alias ESCAPE '\\'
                  OR ('|' || alias_pinyin || '|') LIKE :exact_alias ESCAPE '\\' THEN 2
                WHEN title_pinyin LIKE :like ESCAPE '\\' OR title_initials LIKE :like ESCAPE '\\' THEN 3
                WHEN alias_pinyin LIKE :like ESCAPE '\\' OR alias_initials LIKE :like ESCAPE '\\' THEN 4
                WHEN lower(title_en) LIKE :like ESCAPE '\\' THEN 5
                END"""
            q = compact
        else:
            tier = """CASE
                WHEN title = :q THEN 0
                WHEN title LIKE :prefix ESCAPE '\\' THEN 1
                WHEN ('|' || alias_text || '|') LIKE :exact_alias ESCAPE '\\' THEN 2
                WHEN title LIKE :like ESCAPE '\\' THEN 3
                WHEN alias_text LIKE :like ESCAPE '\\' THEN 4
                WHEN body_text LIKE :like ESCAPE '\\' THEN 6
                END"""
        named = {f"f{i}": v for i, v in enumerate(params)}
        where_named = where_filters
        for i in range(len(params)):
            where_named = where_named.replace("?", f":f{i}", 1)
        sql = (f"SELECT * FROM (SELECT *, {tier} AS tier FROM catalog_item WHERE {where_named}) "
               "WHERE tier IS NOT NULL ORDER BY tier, popularity DESC, code LIMIT :limit")
        rows = self.store.query(sql, {"q": q, "like": like, "prefix": prefix,
                                      "exact_alias": f"%|{_escape(q)}|%", "limit": limit, **named})
        return [_summary(r) for r in rows]


_TIER_NAMES = {0: "title", 1: "title", 2: "alias", 3: "title", 4: "alias", 5: "title_en",
               6: "materials"}


def _summary(row: dict[str, Any]) -> ItemSummary:
    return ItemSummary(code=row["code"], title=row["title"], title_en=row["title_en"],
                       department=row["department"], handling_type=row["handling_type"],
                       promised_days=row["promised_days"],
                       matched=_TIER_NAMES.get(row.get("tier") or 0, "title"))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def wire_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
