"""The running kiosk's log file, `$KIOSK_HOME/logs/kiosk.log`: JSON lines, redacted by the
same filter as every other log output (kiosk/ops/logs.py), rotated by the nightly maintenance.

The handler is the standard library's WatchedFileHandler: it reopens the file when another
process (a technician's `kiosk maintenance run`) has moved it away, so rotation is a rename
anyone may do.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.ops.logs import JsonFormatter, RedactingFilter

LOG_DIR = "logs"
LOG_FILE = "kiosk.log"


def log_path(home: Path) -> Path:
    return home / LOG_DIR / LOG_FILE


def attach(home: Path, level: str = "info") -> logging.Handler:
    """Idempotent: one file handler on the root logger."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_kiosk_file", None) == str(log_path(home)):
            return handler
    path = log_path(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    handler._kiosk_file = str(path)  # type: ignore[attr-defined]
    handler.setLevel(level.upper())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    return handler


def rotate(home: Path, keep_days: int, *, now: float | None = None) -> dict[str, int]:
    """Move the current log aside (kiosk-YYYYmmdd-HHMMSS.log) and delete rotated logs older
    than `keep_days`."""
    now = now or time.time()
    directory = home / LOG_DIR
    rotated = removed = 0
    current = log_path(home)
    if current.exists() and current.stat().st_size > 0:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
        current.rename(directory / f"kiosk-{stamp}.log")
        rotated = 1
    if directory.is_dir():
        for old in directory.glob("kiosk-*.log"):
            if now - old.stat().st_mtime > keep_days * 86400:
                old.unlink(missing_ok=True)
                removed += 1
    return {"rotated": rotated, "removed": removed}


def tail(home: Path, lines: int = 200) -> list[dict[str, Any]]:
    """The newest `lines` entries of the current log, newest last (already redacted)."""
    path = log_path(home)
    if not path.exists():
        return []
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - lines * 2048))
        chunk = fh.read().decode("utf-8", errors="replace").splitlines()[-lines:]
    entries = []
    for line in chunk:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # the first, cut line of the chunk, or a torn line
    return entries
