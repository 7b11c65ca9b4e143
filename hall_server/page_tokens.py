"""Tokens for citizens' application pages (`/a/{number}?t={token}`, printed on receipts).

A token is an HMAC of the application number under a key only the hall server holds
(`page_key` in hall_settings; kiosks never see it, unlike the hall key), so a token cannot be
made for someone else's number and needs no storage: every application has one, also those
filed before tokens were printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select

from hall_server.db import Database
from hall_server.schema import hall_settings

PAGE_KEY = "page_key"
TOKEN_CHARS = 16  # base32: 80 bits


def ensure_page_key(database: Database) -> str:
    """The page key, created on first call (insert-or-ignore, then read: race-free)."""
    query = select(hall_settings.c.value).where(hall_settings.c.key == PAGE_KEY)
    with database.read() as conn:
        value = conn.execute(query).scalar_one_or_none()
    if value:
        return value
    with database.write() as conn:
        stmt = database.insert(hall_settings).values(key=PAGE_KEY, value=secrets.token_hex(32))
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        return conn.execute(query).scalar_one()


def application_token(key: str, number: str) -> str:
    digest = hmac.new(bytes.fromhex(key), b"application:" + number.encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode()[:TOKEN_CHARS].lower()


def token_valid(key: str, number: str, token: str | None) -> bool:
    if not token or len(token) != TOKEN_CHARS:
        return False
    return hmac.compare_digest(application_token(key, number), token.strip().lower())
