"""The kiosk's local store: one SQLite file in KIOSK_HOME, the source of truth for screens.

Durability (FIELD_NOTES §5): WAL with synchronous=FULL — NORMAL lost confirmed rows under a
simulated power cut. The schema is versioned with `PRAGMA user_version` and migrated forward
at open; a store newer than this software is refused (E-STO-02) rather than damaged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from common.errors import DISK_FULL, SQLITE_UNSUPPORTED, STORE_FAILED, STORE_TOO_NEW, KioskError
from common.paths import make_private
from offline_cache import catalog_doc, search_index

log = logging.getLogger(__name__)

MIN_SQLITE = (3, 35, 0)  # RETURNING, ON CONFLICT DO UPDATE

# 6 → 7 (see MIGRATIONS)
_V7_HANDED_OVER = """
CREATE TABLE outbox_v7 (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'refused', 'void')),
    body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    sent_at TEXT,
    result TEXT,
    error_code TEXT,
    error_message TEXT,
    answered_at TEXT,
    acknowledged_at TEXT
);
INSERT INTO outbox_v7 SELECT key, kind, stream, seq, state, body, created_at, attempts,
    next_attempt_at, sent_at, result, error_code, error_message, answered_at, acknowledged_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v7 RENAME TO outbox;
CREATE INDEX outbox_work ON outbox(state, stream, seq);
CREATE INDEX outbox_stream_seq ON outbox(stream, seq);
ALTER TABLE ticket ADD COLUMN shown_at TEXT;
ALTER TABLE ticket ADD COLUMN printed_at TEXT;
ALTER TABLE ticket ADD COLUMN voided_at TEXT;
ALTER TABLE submission ADD COLUMN shown_at TEXT;
ALTER TABLE submission ADD COLUMN voided_at TEXT;
UPDATE ticket SET shown_at = issued_at;
UPDATE submission SET shown_at = created_at
"""


# Each entry migrates from version i to i+1. Never edit a released step: add one. A step is SQL
# or, when rows must be rebuilt in Python, a function run inside the step's transaction.
MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 0 → 1
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE catalog_item (
        code TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        title_en TEXT NOT NULL DEFAULT '',
        department TEXT NOT NULL,
        audience TEXT NOT NULL DEFAULT '',
        life_events TEXT NOT NULL DEFAULT '',
        handling_type TEXT NOT NULL DEFAULT '',
        promised_days INTEGER NOT NULL DEFAULT 0,
        popularity INTEGER NOT NULL DEFAULT 0,
        title_pinyin TEXT NOT NULL DEFAULT '',
        title_initials TEXT NOT NULL DEFAULT '',
        alias_text TEXT NOT NULL DEFAULT '',
        alias_pinyin TEXT NOT NULL DEFAULT '',
        alias_initials TEXT NOT NULL DEFAULT '',
        body_text TEXT NOT NULL DEFAULT '',
        doc TEXT NOT NULL
    );
    CREATE INDEX catalog_item_department ON catalog_item(department);
    CREATE TABLE queue_service (
        code TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        doc TEXT NOT NULL,
        refreshed_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'refused')),
        body BLOB NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        sent_at TEXT,
        result TEXT,
        error_code TEXT,
        error_message TEXT
    );
    CREATE INDEX outbox_work ON outbox(state, stream, seq);
    CREATE TABLE ticket (
        key TEXT PRIMARY KEY REFERENCES outbox(key),
        service TEXT NOT NULL,
        business_date TEXT NOT NULL,
        number TEXT,
        offline INTEGER NOT NULL DEFAULT 0,
        server_id TEXT,
        people_ahead INTEGER,
        url TEXT,
        issued_at TEXT NOT NULL,
        holder TEXT,
        priority TEXT
    );
    CREATE UNIQUE INDEX ticket_number ON ticket(business_date, number);
    CREATE INDEX ticket_holder ON ticket(holder, business_date);
    CREATE TABLE submission (
        key TEXT PRIMARY KEY REFERENCES outbox(key),
        kind TEXT NOT NULL,
        subject TEXT,
        number TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE progress_cache (
        number TEXT PRIMARY KEY,
        holder TEXT,
        doc BLOB NOT NULL,
        as_of TEXT NOT NULL,
        fetched_at TEXT NOT NULL
    );
    CREATE INDEX progress_holder ON progress_cache(holder);
    """,
    # 1 → 2: guide-search index (offline_cache/search_index.py), built from the mirrored catalog
    search_index.migrate,
    # 2 → 3: the outbox's next sequence number per stream without scanning the whole outbox
    """
    CREATE INDEX outbox_stream_seq ON outbox(stream, seq);
    """,
    # 3 → 4: search index v2 — an item's title and aliases are one unit with the same tokens
    # (alias tiers no longer walk every title), so the index is made again from the mirror
    search_index.remake,
    # 4 → 5: a refusal the citizen saw on screen (answered_at: it expires, counts nowhere) or
    # one a technician has looked at (acknowledged_at); the others stay an alarm
    """
    ALTER TABLE outbox ADD COLUMN answered_at TEXT;
    ALTER TABLE outbox ADD COLUMN acknowledged_at TEXT;
    """,
    # 5 → 6: search index v3 — a unit's best item is (popularity, code), not popularity alone,
    # so a tier stops early on a catalog whose popularity is all zero (issue 17)
    search_index.remake,
    # 6 → 7: what was handed to the citizen (issue 15): a ticket shown or printed, a receipt
    # shown; one never handed over is voided at restart — an outbox record not yet sent becomes
    # `void` (never sent), so the outbox is rebuilt for the new state. Records from before v7
    # count as handed over: nothing told otherwise.
    _V7_HANDED_OVER,
    # 7 → 8: item documents stored as zstd frames against a dictionary trained on the catalog
    # (catalog_doc.py): 4.5 KB an item → under 2 KB (issue 17)
    catalog_doc.migrate,
    # 8 → 9: search index v4 — a key's 4–6 letter run that starts it and recurs later has a
    # later-syllable token too, so a contains tier of 4+ letter pinyin skips the terms that
    # only start with it (issue 17); the index is made again from the mirror
    search_index.remake,
]
SCHEMA_VERSION = len(MIGRATIONS)


# (what, probe) for the SQL features the store and the search index use; run on :memory:.
_FEATURES = [
    ("WITHOUT ROWID tables", "CREATE TABLE f1 (a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID"),
    ("partial indexes", "CREATE INDEX f1_b ON f1(b) WHERE b != 0"),
    ("UPSERT", "INSERT INTO f1(a, b) VALUES ('x', 1) ON CONFLICT(a, b) DO UPDATE SET b = 1"),
    ("RETURNING", "INSERT INTO f1(a, b) VALUES ('y', 2) RETURNING a"),
    ("instr() and substr()", "SELECT instr('营业执照', '执照') = 3 AND substr('营业执照', 1, 2) = '营业'"),
    ("FTS5 (contentless, detail=none)",
     "CREATE VIRTUAL TABLE f2 USING fts5(a, content='', detail=none, tokenize='ascii')"),
    ("FTS5 prefix queries", "SELECT count(*) = 0 FROM f2 WHERE f2 MATCH '\"0a1\"*'"),
    ("JSON1 json_each()", "SELECT count(*) = 2 FROM json_each('[1, 2]')"),
]


def check_sqlite(*, minimum: tuple[int, ...] = MIN_SQLITE,
                 features: list[tuple[str, str]] | None = None) -> None:
    """The SQLite this Python links (sqlite_version(), not the module's build) and the features
    the store relies on, checked once at start: E-STO-04 names what is missing."""
    probe = sqlite3.connect(":memory:")
    try:
        linked = probe.execute("SELECT sqlite_version()").fetchone()[0]
        version = tuple(int(p) for p in linked.split("."))
        if version < minimum:
            raise KioskError(SQLITE_UNSUPPORTED,
                             f"SQLite {linked} < {'.'.join(map(str, minimum))}")
        for what, sql in _FEATURES if features is None else features:
            try:
                row = probe.execute(sql).fetchone()
            except sqlite3.Error as exc:
                raise KioskError(SQLITE_UNSUPPORTED, f"SQLite {linked}: {what}: {exc}") from exc
            if row is not None and row[0] in (0, None):
                raise KioskError(SQLITE_UNSUPPORTED, f"SQLite {linked}: {what} misbehave")
    finally:
        probe.close()


class LocalStore:
    """A thread-safe wrapper: one connection, one lock. Writers are few and short."""

    def __init__(self, path: Path) -> None:
        check_sqlite()
        self.path = path
        try:
            make_private(path)  # personal data: owner only, whatever the umask
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        except (sqlite3.Error, OSError) as exc:
            raise KioskError(STORE_FAILED, f"{path}: {exc}") from exc
        self.conn = conn
        self._lock = threading.RLock()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # 64 MiB page cache (default 2 MiB): the catalog's search index stays in memory, which
        # halves catalog sync time and keeps search p99 flat. Checkpoint the WAL every ~40 MB
        # (default ~4 MB): a catalog page dirties ~1,500 pages, so the default copied them into
        # the database after every page — 15 % of a full sync (bench/bench_search.py). Durability
        # is unchanged: a commit is durable once its WAL frames are synced.
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        self._migrate()

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise KioskError(STORE_TOO_NEW, f"store v{current}, software knows v{SCHEMA_VERSION}")
        # A step may rebuild a table others reference (v7's outbox): foreign keys are off while
        # migrating (the pragma is a no-op inside a transaction) and checked before each commit.
        self.conn.execute("PRAGMA foreign_keys=OFF")
        try:
            for version in range(current, SCHEMA_VERSION):
                step = MIGRATIONS[version]
                with self.transaction():
                    if callable(step):
                        step(self.conn)
                    else:
                        for statement in _split_sql(step):
                            self.conn.execute(statement)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise KioskError(STORE_FAILED, f"migration to v{version + 1} broke "
                                         f"{len(broken)} reference(s): {broken[:3]}")
                    self.conn.execute(f"PRAGMA user_version = {version + 1}")
                log.info("local store migrated to v%d", version + 1)
        finally:
            self.conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the store lock; a full disk becomes E-STO-03."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:  # a failed COMMIT (full disk) may leave it open
                    self.conn.execute("ROLLBACK")
                if "disk" in str(exc).lower() or "full" in str(exc).lower():
                    raise KioskError(DISK_FULL, str(exc)) from exc
                raise KioskError(STORE_FAILED, str(exc)) from exc

    @contextmanager
    def attached(self, path: Path, name: str) -> Iterator[sqlite3.Connection]:
        """Another database file attached as `name` (no transaction may be open: SQLite
        attaches only outside one), detached afterwards, under the store lock."""
        with self._lock:
            self.conn.execute("ATTACH DATABASE ? AS " + name, (str(path),))
            try:
                yield self.conn
            finally:
                self.conn.execute("DETACH DATABASE " + name)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one snapshot (a deferred read transaction), under the lock."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self.conn.execute(sql, params)
            cols = [c[0] for c in cur.description] if cur.description else []
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]  # type: ignore[misc]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def integrity_ok(self) -> bool:
        return self.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def vacuum(self) -> None:
        """VACUUM and truncate the WAL (nightly maintenance); never inside a transaction."""
        with self._lock:
            self.conn.execute("VACUUM")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
