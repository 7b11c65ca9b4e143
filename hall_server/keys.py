"""The hall key: 32 random bytes, generated once per hall and kept in `hall_settings`.

Kiosks receive it at enrolment and hash ID numbers with it (common.holder), so the server only
ever sees hall-keyed hashes, and every kiosk of the hall produces the same hash for one person.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from hall_server.db import Database
from hall_server.schema import hall_settings

HALL_KEY = "hall_key"


def ensure_hall_key(database: Database) -> str:
    """The hall key, created on first call (race-free: insert-or-ignore, then read)."""
    with database.read() as conn:
        value = conn.execute(
            select(hall_settings.c.value).where(hall_settings.c.key == HALL_KEY)
        ).scalar_one_or_none()
    if value:
        return value
    with database.write() as conn:
        stmt = database.insert(hall_settings).values(key=HALL_KEY, value=secrets.token_hex(32))
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        return conn.execute(
            select(hall_settings.c.value).where(hall_settings.c.key == HALL_KEY)
        ).scalar_one()
