"""Structured logging with redaction applied to every record, from every module."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from common.redact import RedactingFilter, redact

__all__ = ["JournalFormatter", "JsonFormatter", "RedactingFilter", "setup_logging"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data = getattr(record, "data", None)
        if data is not None:
            entry["data"] = data
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


# sd-daemon(3): a line on a journal stream may start with "<N>", its syslog priority.
PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4),
              (logging.INFO, 6))


def priority(levelno: int) -> int:
    return next((prio for level, prio in PRIORITIES if levelno >= level), 7)


class JournalFormatter(logging.Formatter):
    """Under systemd: `<N>logger: message` with every line of the record prefixed, so the
    journal files each at its priority (`journalctl -p warning` shows only what matters); the
    journal adds the time itself."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.name}: {record.getMessage()}"
        data = getattr(record, "data", None)
        if data is not None:
            text += " " + json.dumps(data, ensure_ascii=False, default=str)
        if record.exc_info:
            text += "\n" + redact(self.formatException(record.exc_info))
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


def on_journal(stream) -> bool:
    """True when `stream` is the journal stream systemd gave this service: JOURNAL_STREAM
    names its device and inode (systemd.exec(5)), which a redirect or pipe would not match."""
    dev, _, ino = os.environ.get("JOURNAL_STREAM", "").partition(":")
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return dev.isdigit() and ino.isdigit() and (st.st_dev, st.st_ino) == (int(dev), int(ino))


def setup_logging(level: str = "info", stream=None) -> None:
    """Idempotent: one handler on the root logger, with the redacting filter — JSON lines, or
    `<N>`-prefixed lines when the stream is systemd's journal."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_kiosk", False):
            return
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler._kiosk = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JournalFormatter() if on_journal(stream) else JsonFormatter())
    root.addHandler(handler)
