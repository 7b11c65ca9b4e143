"""`kiosk admin import-catalog FILE`: JSON Lines, one `CatalogItemIn` per line.

All or nothing: every line is validated first, and every bad line is reported by its number
(up to MAX_REPORTED of them); if any is bad, nothing is written. The import itself is one
transaction. Re-importing the same file changes nothing: an item keeps its change sequence
number while its content hash is unchanged; a changed item gets a new number (and shows in
`/catalog/changes`); an item missing from the file becomes a tombstone (`deleted`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, select, update

from common.errors import CATALOG_INVALID, KioskError
from common.wire import CatalogItemIn
from hall_server.catalog import CATALOG_SEQ, encode_cursor
from hall_server.clock import Clock, iso_utc
from hall_server.db import Database
from hall_server.schema import catalog_items
from hall_server.search_helpers import search_helpers

log = logging.getLogger(__name__)

MAX_REPORTED = 50


class CatalogImportError(KioskError):
    """E-IMP-01 with every problem as (line number, message)."""

    def __init__(self, problems: list[tuple[int, str]], total_bad: int) -> None:
        shown = "; ".join(f"line {n}: {msg}" for n, msg in problems)
        more = f" (and {total_bad - len(problems)} more)" if total_bad > len(problems) else ""
        lines = "line" if total_bad == 1 else "lines"
        super().__init__(CATALOG_INVALID, f"{total_bad} bad {lines}: {shown}{more}")
        self.problems = problems
        self.total_bad = total_bad


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "item"
        parts.append(f"{loc}: {err['msg']}")
    if exc.error_count() > 3:
        parts.append(f"… {exc.error_count() - 3} more")
    return "; ".join(parts)


def parse_lines(lines: Iterable[str]) -> list[CatalogItemIn]:
    """Validate every line; raise CatalogImportError listing the bad ones."""
    items: list[CatalogItemIn] = []
    seen: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    bad = 0

    def problem(number: int, message: str) -> None:
        nonlocal bad
        bad += 1
        if len(problems) < MAX_REPORTED:
            problems.append((number, message))

    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problem(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:  # fuzzing found deep nesting ([[[[…) crashing the import
            problem(number, "JSON nested too deeply")
            continue
        except ValueError:  # an integer beyond Python's 4,300-digit conversion limit
            problem(number, "a number in the line is too long")
            continue
        try:
            item = CatalogItemIn.model_validate(data)
        except ValidationError as exc:
            problem(number, _describe(exc))
            continue
        if item.code in seen:
            problem(number, f"code {item.code} already on line {seen[item.code]}")
            continue
        seen[item.code] = number
        items.append(item)
    if bad:
        raise CatalogImportError(problems, bad)
    if not items:
        raise KioskError(CATALOG_INVALID, "the file holds no items")
    return items


def read_file(path: Path) -> list[CatalogItemIn]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            return parse_lines(fh)
    except OSError as exc:
        raise KioskError(CATALOG_INVALID, f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise KioskError(CATALOG_INVALID, f"{path}: not UTF-8 ({exc.reason})") from exc


def content_hash(item: CatalogItemIn) -> str:
    # The model's own JSON is canonical: fields in declared order, one rendering per value.
    return hashlib.sha256(item.model_dump_json().encode()).hexdigest()


def _item_json(item: CatalogItemIn, now: datetime) -> str:
    """The stored (and served) item: the imported fields plus search helpers and the time."""
    extra = {"search": search_helpers(item.title, item.aliases), "updated_at": iso_utc(now)}
    return (
        item.model_dump_json()[:-1]
        + ","
        + json.dumps(extra, ensure_ascii=False, separators=(",", ":"))[1:]
    )


def import_items(
    conn: Connection, database: Database, items: list[CatalogItemIn], now: datetime
) -> dict:
    """Apply a validated catalog inside the caller's write transaction."""
    existing = {
        r.code: (r.content_hash, r.deleted)
        for r in conn.execute(
            select(catalog_items.c.code, catalog_items.c.content_hash, catalog_items.c.deleted)
        )
    }
    added, changed = [], []
    unchanged = 0
    for item in items:
        digest = content_hash(item)
        old = existing.get(item.code)
        if old is None:
            added.append((item, digest))
        elif old[0] != digest or old[1]:
            changed.append((item, digest))
        else:
            unchanged += 1
    in_file = {item.code for item in items}
    gone = sorted(
        code for code, (_, deleted) in existing.items() if code not in in_file and not deleted
    )
    count = len(added) + len(changed) + len(gone)
    seqs = iter(database.take_seqs(conn, CATALOG_SEQ, count)) if count else iter(())
    if added:
        conn.execute(
            catalog_items.insert(),
            [
                {
                    "code": item.code,
                    "seq": next(seqs),
                    "deleted": False,
                    "content_hash": digest,
                    "data": _item_json(item, now),
                    "updated_at": now,
                }
                for item, digest in added
            ],
        )
    stmt = (
        update(catalog_items)
        .where(catalog_items.c.code == bindparam("b_code"))
        .values(
            seq=bindparam("b_seq"),
            deleted=bindparam("b_deleted"),
            content_hash=bindparam("b_hash"),
            data=bindparam("b_data"),
            updated_at=now,
        )
    )
    if changed:
        conn.execute(
            stmt,
            [
                {
                    "b_code": item.code,
                    "b_seq": next(seqs),
                    "b_deleted": False,
                    "b_hash": digest,
                    "b_data": _item_json(item, now),
                }
                for item, digest in changed
            ],
        )
    if gone:
        conn.execute(
            update(catalog_items)
            .where(catalog_items.c.code == bindparam("b_code"))
            .values(seq=bindparam("b_seq"), deleted=True, updated_at=now),
            [{"b_code": code, "b_seq": next(seqs)} for code in gone],
        )
    last = conn.execute(
        select(catalog_items.c.seq).order_by(catalog_items.c.seq.desc()).limit(1)
    ).scalar_one_or_none()
    result = {
        "items": len(items),
        "added": len(added),
        "changed": len(changed),
        "unchanged": unchanged,
        "deleted": len(gone),
        "cursor": encode_cursor(last or 0),
    }
    log.info("catalog imported: %s", result)
    return result


def import_catalog(
    database: Database, source: Path | str | Iterable[str], *, clock: Clock | None = None
) -> dict:
    """Validate everything, then apply it in one transaction. `source` is a file path or an
    iterable of lines. Returns counts: items, added, changed, unchanged, deleted, cursor."""
    items = read_file(Path(source)) if isinstance(source, str | Path) else parse_lines(source)
    now = (clock or Clock()).now()
    with database.write() as conn:
        return import_items(conn, database, items, now)
