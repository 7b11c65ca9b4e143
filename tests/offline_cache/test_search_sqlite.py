"""The SQLite this Python links is checked at start for what the store and the search index
use; what is missing is named in a clear E-STO-04."""

from __future__ import annotations

import sqlite3

import pytest

from common.errors import KioskError
from offline_cache.store import check_sqlite


def test_this_sqlite_has_what_we_use() -> None:
    check_sqlite()  # SQLite 3.40.1 here (FIELD_NOTES §5): FTS5, WITHOUT ROWID, UPSERT …
    assert sqlite3.connect(":memory:").execute("SELECT sqlite_version()").fetchone()[0]


def test_too_old_a_sqlite_is_refused() -> None:
    with pytest.raises(KioskError) as info:
        check_sqlite(minimum=(99, 0, 0))
    assert info.value.code == "E-STO-04"
    assert "< 99.0.0" in str(info.value)


def test_a_missing_feature_is_named() -> None:
    with pytest.raises(KioskError) as info:
        check_sqlite(features=[("FTS9", "CREATE VIRTUAL TABLE x USING fts9(a)")])
    assert info.value.code == "E-STO-04"
    assert "FTS9" in str(info.value)


def test_a_feature_that_answers_wrongly_is_named() -> None:
    with pytest.raises(KioskError) as info:
        check_sqlite(features=[("instr()", "SELECT instr('营业执照', '执照') = 1")])
    assert "instr()" in str(info.value)
