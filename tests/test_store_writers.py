"""The kiosk store's tables are written only by offline_cache/ (its outbox, records, caches):
no SQL string outside offline_cache/ inserts, updates or deletes a row of a table whose schema
lives in offline_cache/store.py. Read from the code with `ast`, so every string literal counts
(adjacent literals are joined by the parser, f-string parts are literals too).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The kiosk side; hall_server/ has its own database (SQLAlchemy Core), tests write fixtures.
SCANNED = ("kiosk", "screens", "hardware", "common", "offline_cache")
OWNER = "offline_cache"
WRITE = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+[\"`]?(\w+)",
    re.IGNORECASE,
)


def store_tables() -> set[str]:
    from offline_cache import store

    source = Path(store.__file__).read_text(encoding="utf-8")
    return set(re.findall(r"CREATE (?:VIRTUAL )?TABLE (?:IF NOT EXISTS )?(\w+)", source))


def writes(path: Path, tables: set[str]) -> list[tuple[int, str, str]]:
    """(line, verb and table, the SQL) for each store-table write in the file's strings."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in WRITE.finditer(node.value):
                if match.group(1).lower() in tables:
                    found.append((node.lineno, match.group(0), node.value.strip()[:80]))
    return found


def store_writes() -> dict[str, list[tuple[int, str, str]]]:
    tables = {t.lower() for t in store_tables()}
    out = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            hits = writes(path, tables)
            if hits:
                out[str(path.relative_to(ROOT))] = hits
    return out


def test_the_scan_knows_the_tables_and_sees_the_owners_writes():
    tables = store_tables()
    assert {"ticket", "submission", "outbox", "progress_cache", "meta"} <= tables
    found = store_writes()
    owner_files = {f for f in found if f.startswith(OWNER + "/")}
    # the scan is not blind: the writers it must allow are found
    assert {"offline_cache/records.py", "offline_cache/outbox.py"} <= owner_files
    verbs = " ".join(h[1].upper() for h in found["offline_cache/records.py"])
    assert "INSERT INTO TICKET" in verbs and "UPDATE SUBMISSION" in verbs


def test_no_store_table_is_written_outside_offline_cache():
    wrong = [
        f"{file}:{line}: {verb} — {sql!r}"
        for file, hits in store_writes().items()
        if not file.startswith(OWNER + "/")
        for line, verb, sql in hits
    ]
    assert not wrong, "store tables written outside offline_cache/:\n" + "\n".join(wrong)


def test_the_scan_catches_a_write_hidden_in_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(conn, key):\n"
        "    conn.execute('UPDATE ticket SET number = ? '\n"
        "                 'WHERE key = ?', ('A1', key))\n"
        "    conn.execute(f\"DELETE FROM outbox WHERE kind IN ({key})\")\n"
        "    conn.execute('SELECT * FROM ticket')\n",
        encoding="utf-8",
    )
    hits = writes(sample, {"ticket", "outbox"})
    assert [(line, verb) for line, verb, _ in hits] == [
        (2, "UPDATE ticket"),
        (4, "DELETE FROM outbox"),
    ]
