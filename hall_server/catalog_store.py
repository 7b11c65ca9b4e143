"""The catalog store fresh kiosks copy (GET /catalog/store, issue 17): the catalog part of a
kiosk store — documents compressed, the whole search index — built once per catalog version
and shared by every kiosk of the hall, instead of ~13 CPU s of building on each kiosk.

The server imports nothing of the kiosk: the build is the kiosk package's own program
(`python -m offline_cache.catalog_store build OUT`), fed the JSON Lines snapshot on stdin, in a
process of its own (its CPU stays off the request threads). Files live in the data dir under
catalog-store/, named by layout and SHA-256, moved in place by rename; `current.json` names the
one to serve (written last, by rename). A build starts at server start when no file holds the
catalog's version, then whenever it moved on (`CatalogStores.follow`, every `rebuild_s`), and
when a kiosk asks and the catalog moved
past the file's version, at most once per `server.catalog_store_rebuild_s`; meanwhile the older
file is served (the kiosk applies the changes after its cursor). One build at a time per data
dir (a lock file: several server processes share it).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, cast

from hall_server import catalog

log = logging.getLogger(__name__)

BUILDER = [sys.executable, "-m", "offline_cache.catalog_store"]
INDEX = "current.json"
FOLLOW_MIN_S = 1.0  # the shortest interval between two looks at the catalog's version


@dataclass(frozen=True)
class Built:
    """A built file: what the route serves and its headers."""

    name: str
    layout: int
    sha256: str
    cursor: str
    seq: int
    items: int
    seconds: float  # the build's wall time


class CatalogStores:
    def __init__(self, database: Any, data_dir: Path, rebuild_s: float) -> None:
        self.database = database
        self.dir = data_dir / "catalog-store"
        self.rebuild_s = rebuild_s
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = -float("inf")  # monotonic time the last build started
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def path(self, built: Built) -> Path:
        return self.dir / built.name

    def current(self) -> Built | None:
        """The file to serve, if one was built (and is still there)."""
        try:
            built = Built(**json.loads((self.dir / INDEX).read_text()))
        except (OSError, ValueError, TypeError):
            return None
        return built if self.path(built).exists() else None

    def wanted(self) -> Built | None:
        """The current file; a build is started first when there is none or the catalog moved
        past it, and none started within `rebuild_s`."""
        built = self.current()
        with self.database.read() as conn:
            seq, _count = catalog.snapshot_head(conn, None, "")
        if (built is None or built.seq != seq) and self._due():  # a failed build waits too
            self.start_build()
        return built

    def warm(self) -> bool:
        """At server start: a build when the catalog has items and no file holds its version,
        so that the first fresh kiosk after an import or an upgrade finds one; whether one
        was started."""
        built = self.current()
        with self.database.read() as conn:
            seq, count = catalog.snapshot_head(conn, None, "")
        if count == 0 or (built is not None and built.seq == seq):
            return False
        return self.start_build()

    def follow(self) -> None:
        """warm() now and then every `rebuild_s` (at least FOLLOW_MIN_S), on a daemon thread
        until stop(): a catalog imported into a running server (`kiosk admin import-catalog`,
        another process) is built without waiting for a fresh kiosk to ask."""
        self._follower = threading.Thread(target=self._follow, daemon=True,
                                          name="catalog-store-follow")
        self._follower.start()

    def stop(self) -> None:
        self._stop.set()

    def _follow(self) -> None:
        while True:
            try:
                self.warm()
            except Exception:  # a database hiccup: tried again at the next turn
                log.exception("catalog store check failed")
            if self._stop.wait(max(self.rebuild_s, FOLLOW_MIN_S)):
                return

    def _due(self) -> bool:
        return time.monotonic() - self._started >= self.rebuild_s

    def start_build(self) -> bool:
        """A build in a background thread unless one runs; whether one was started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._build_logged, daemon=True,
                                            name="catalog-store-build")
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Until the running build (if any) ends (tests, the bench)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _build_logged(self) -> None:
        try:
            self.build()
        except Exception:  # a background thread: logged, the snapshot route still serves
            log.exception("catalog store build failed")

    def build(self) -> Built | None:
        """Build the store of the catalog as it is now (None: another process is building)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return self._build_locked()

    def _build_locked(self) -> Built:
        self._started = started = time.monotonic()
        with self.database.read() as conn:
            seq, count = catalog.snapshot_head(conn, None, "")
        tmp = self.dir / f".build-{os.getpid()}-{seq}.sqlite"
        tmp.unlink(missing_ok=True)
        try:
            self._run_builder(tmp, seq, count)
            layout = _layout(tmp)
            sha = _sha256(tmp)
            name = f"catalog-store-L{layout}-{sha[:16]}.sqlite"
            os.replace(tmp, self.dir / name)
        finally:
            tmp.unlink(missing_ok=True)
        built = Built(name=name, layout=layout, sha256=sha, cursor=catalog.encode_cursor(seq),
                      seq=seq, items=count, seconds=round(time.monotonic() - started, 3))
        index = self.dir / f".{INDEX}.tmp"
        index.write_text(json.dumps(asdict(built)))
        os.replace(index, self.dir / INDEX)
        self._remove_others(name)
        log.info("catalog store built: %d items at seq %d, layout %d, %.1f s",
                 built.items, seq, built.layout, built.seconds)
        return built

    def _run_builder(self, out: Path, seq: int, count: int) -> None:
        """The kiosk package's builder fed the snapshot lines up to `seq` (it checks their
        count and SHA-256 trailer: exit status 0 means `out` holds them all)."""
        proc = subprocess.Popen([*BUILDER, "build", str(out)], stdin=subprocess.PIPE)
        stdin = cast(IO[bytes], proc.stdin)  # a PIPE
        try:
            for chunk in catalog.snapshot_lines(self.database, seq, count, ""):
                stdin.write(chunk)
            stdin.close()
        except BrokenPipeError:
            pass  # the builder failed: its exit status says so
        if proc.wait() != 0:
            raise RuntimeError(f"catalog store builder exited with {proc.returncode}")

    def _remove_others(self, keep: str) -> None:
        """Older files (a download under way keeps its open file: POSIX unlink)."""
        for old in self.dir.glob("catalog-store-L*.sqlite"):
            if old.name != keep:
                old.unlink(missing_ok=True)


def _layout(path: Path) -> int:
    """The built file's layout: the kiosk store's schema version, its SQLite user_version."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_made = threading.Lock()


def of(ctx: Any) -> CatalogStores | None:
    """The server's catalog stores (None: not built here, or no data dir to keep them in)."""
    if not ctx.settings.server.catalog_store_build:
        return None
    with _made:
        if ctx.catalog_stores is None and ctx.data_dir is not None:
            ctx.catalog_stores = CatalogStores(ctx.database, Path(ctx.data_dir),
                                               ctx.settings.server.catalog_store_rebuild_s)
        return ctx.catalog_stores
