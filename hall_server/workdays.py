"""Working days (Monday–Friday) for promised deadlines (承诺办结时限 counts working days).

An optional `holidays.toml` (the hall's /etc/hall-server/, or the package defaults) adds public holidays and make-up working days (调休):
    holidays = [2025-10-01, 2025-10-02, …]
    workdays = [2025-09-28, …]
"""

from __future__ import annotations

import logging
import tomllib
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def load_calendar(path: Path | None = None) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up workdays); both empty when there is no holidays file."""
    if path is None:
        from common.paths import hall_file

        path = hall_file("holidays.toml")
    if not path.is_file():
        return frozenset(), frozenset()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("holidays file %s unreadable, counting Monday-Friday only: %s", path, exc)
        return frozenset(), frozenset()
    pick = lambda key: frozenset(d for d in data.get(key, []) if isinstance(d, date))  # noqa: E731
    return pick("holidays"), pick("workdays")


def is_working_day(
    day: date, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()
) -> bool:
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: date,
    days: int,
    holidays: frozenset[date] = frozenset(),
    workdays: frozenset[date] = frozenset(),
) -> date:
    """The date `days` working days after `start` (the day of submission counts as day 0)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays, workdays):
            remaining -= 1
    return current
