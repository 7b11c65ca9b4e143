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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

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
BATCH = 1000  # rows per executemany in the writing pass


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


@dataclass(frozen=True)
class Scan:
    """What the validating pass keeps of a file: per code, its content hash and line number.
    Small (≈ 100 bytes an item), so a 100k-item import never holds the items themselves."""

    hashes: dict[str, str]
    lines: dict[str, int]


def _validated(text: str) -> CatalogItemIn | str:
    """The line's item, or the problem to report for it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:  # fuzzing found deep nesting ([[[[…) crashing the import
        return "JSON nested too deeply"
    except ValueError:  # an integer beyond Python's 4,300-digit conversion limit
        return "a number in the line is too long"
    try:
        return CatalogItemIn.model_validate(data)
    except ValidationError as exc:
        return _describe(exc)


PROGRESS_EVERY = 1000  # lines between two progress reports of an import


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if text:
            yield number, text


def scan_lines(lines: Iterable[str]) -> Scan:
    """Validate every line (first pass); raise CatalogImportError listing the bad ones."""
    return _scan(_numbered(lines))


def _scan(numbered: Iterable[tuple[int, str]]) -> Scan:
    hashes: dict[str, str] = {}
    where: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    bad = 0
    for number, text in numbered:
        item = _validated(text)
        if isinstance(item, CatalogItemIn) and item.code in where:
            item = f"code {item.code} already on line {where[item.code]}"
        if isinstance(item, str):
            bad += 1
            if len(problems) < MAX_REPORTED:
                problems.append((number, item))
            continue
        where[item.code] = number
        hashes[item.code] = content_hash(item)
    if bad:
        raise CatalogImportError(problems, bad)
    if not hashes:
        raise KioskError(CATALOG_INVALID, "the file holds no items")
    return Scan(hashes, where)


def parse_lines(lines: Iterable[str]) -> list[CatalogItemIn]:
    """Every item of a small catalog held in memory (tests, tools); imports stream instead."""
    lines = list(lines)
    scan_lines(lines)
    return [item for n, t in _numbered(lines) if isinstance(item := _validated(t), CatalogItemIn)]


@contextmanager
def _opened(path: Path) -> Iterator[TextIO]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            yield fh
    except OSError as exc:
        raise KioskError(CATALOG_INVALID, f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise KioskError(CATALOG_INVALID, f"{path}: not UTF-8 ({exc.reason})") from exc


def read_file(path: Path) -> list[CatalogItemIn]:
    with _opened(path) as fh:
        return parse_lines(fh)


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


def _row(item: CatalogItemIn, digest: str, seq: int, now: datetime) -> dict:
    return {
        "code": item.code,
        "seq": seq,
        "deleted": False,
        "content_hash": digest,
        "data": _item_json(item, now),
        "updated_at": now,
    }


def _apply(
    conn: Connection,
    database: Database,
    scan: Scan,
    reread: Callable[[], Iterator[tuple[int, str]]],
    now: datetime,
) -> dict:
    """Write a scanned catalog inside the caller's write transaction, reading the items again
    from `reread` in batches: memory stays flat whatever the catalog's size."""
    existing = {
        r.code: (r.content_hash, r.deleted)
        for r in conn.execute(
            select(catalog_items.c.code, catalog_items.c.content_hash, catalog_items.c.deleted)
        )
    }
    added = {code for code in scan.hashes if code not in existing}
    changed = {
        code
        for code, (digest, deleted) in existing.items()
        if code in scan.hashes and (digest != scan.hashes[code] or deleted)
    }
    gone = sorted(
        code for code, (_, deleted) in existing.items() if code not in scan.hashes and not deleted
    )
    count = len(added) + len(changed) + len(gone)
    seqs = iter(database.take_seqs(conn, CATALOG_SEQ, count)) if count else iter(())
    update_item = (
        update(catalog_items)
        .where(catalog_items.c.code == bindparam("b_code"))
        .values(
            seq=bindparam("b_seq"),
            deleted=bindparam("b_deleted"),
            content_hash=bindparam("b_content_hash"),
            data=bindparam("b_data"),
            updated_at=now,
        )
    )
    inserts: list[dict] = []
    updates: list[dict] = []

    def flush() -> None:
        if inserts:
            conn.execute(catalog_items.insert(), inserts)
        if updates:
            conn.execute(update_item, updates)
        inserts.clear()
        updates.clear()

    wanted = {scan.lines[code]: code for code in added | changed}  # line number → code
    for number, text in reread() if wanted else ():
        code = wanted.get(number)
        if code is None:  # unchanged: not even parsed again
            continue
        item = _validated(text)
        digest = content_hash(item) if isinstance(item, CatalogItemIn) else ""
        if digest != scan.hashes[code] or item.code != code:
            raise KioskError(CATALOG_INVALID, "the file changed during the import: run it again")
        row = _row(item, digest, next(seqs), now)
        if item.code in added:
            inserts.append(row)
        else:
            updates.append({f"b_{key}": value for key, value in row.items()})
        if len(inserts) + len(updates) >= BATCH:
            flush()
    flush()
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
        "items": len(scan.hashes),
        "added": len(added),
        "changed": len(changed),
        "unchanged": len(scan.hashes) - len(added) - len(changed),
        "deleted": len(gone),
        "cursor": encode_cursor(last or 0),
    }
    log.info("catalog imported: %s", result)
    return result


def import_catalog(
    database: Database, source: Path | str | Iterable[str], *, clock: Clock | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> dict:
    """Validate everything (first pass, no lock held), then apply it in one transaction
    (second pass). `source` is a file path (streamed twice) or an iterable of lines.
    `on_progress(stage, line)` every PROGRESS_EVERY lines of each pass ("check", "write").
    Returns counts: items, added, changed, unchanged, deleted, cursor."""
    if isinstance(source, str | Path):
        path = Path(source)

        def reread() -> Iterator[tuple[int, str]]:
            with _opened(path) as fh:
                yield from _numbered(fh)

    else:
        held = list(source)

        def reread() -> Iterator[tuple[int, str]]:
            return _numbered(held)

    stage = ["check"]
    read = reread if on_progress is None else _reporting(reread, on_progress, stage)
    scan = _scan(read())
    now = (clock or Clock()).now()
    stage[0] = "write"
    with database.write() as conn:
        return _apply(conn, database, scan, read, now)


def _reporting(
    reread: Callable[[], Iterator[tuple[int, str]]],
    on_progress: Callable[[str, int], None],
    stage: list[str],
) -> Callable[[], Iterator[tuple[int, str]]]:
    def read() -> Iterator[tuple[int, str]]:
        for number, text in reread():
            if number % PROGRESS_EVERY == 0:
                on_progress(stage[0], number)
            yield number, text

    return read
