"""Structured logging with redaction applied to every record, from every module."""

from __future__ import annotations

import json
import logging
import sys
import time

from common.redact import redact, redact_mapping


class RedactingFilter(logging.Filter):
    """Masks personal data in the final message and in any `extra={"data": ...}` payload."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        data = getattr(record, "data", None)
        if data is not None:
            record.data = redact_mapping(data)
        return True


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


def setup_logging(level: str = "info", stream=None) -> None:
    """Idempotent: one JSON handler on the root logger, with the redacting filter."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_kiosk", False):
            return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._kiosk = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
