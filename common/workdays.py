"""The hall's working-day calendar: weekends, public holidays and make-up working days (调休).

The State Council announces each next year's holidays and make-up days in November; the
`chinese-calendar` package tracks them and raises for a year it does not know yet. The hall's
own file (`holidays.toml`, kept with the hall's configuration) wins over the package, so a hall
can add a local closure or enter next year's dates before the package has them:
    holidays = [2027-01-01, …]   # closed although a weekday
    workdays = [2027-02-07, …]   # open although a weekend (调休)
For a year the package does not cover, the calendar counts Monday–Friday plus the hall's file
and says so (`unknown_years`), so `kiosk doctor` and the fleet page can warn.
Both sides use this one calendar: the kiosk's schedule, the server's opening hours and the
promised-by dates of applications.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "holidays.toml"


def _package_says(day: date) -> bool | None:
    """True for a working day, False for a day off, None when the package does not know."""
    try:
        import chinese_calendar
    except ImportError:  # an install without it: behave as for an unknown year
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    use_package: bool = True
    source: str = "Monday–Friday"

    @classmethod
    def load(cls, path: Path | None) -> WorkCalendar:
        """The package's calendar with the hall's holidays file (`holidays.toml`: the hall's,
        common.paths.hall_file) on top. An unreadable file is logged and ignored (weekdays and
        the package still count)."""
        if path is None or not path.is_file():
            return cls(source="chinese-calendar")
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            log.warning("%s unreadable, using the package's calendar only: %s", path, exc)
            return cls(source="chinese-calendar")

        def dates(key: str) -> frozenset[date]:
            return frozenset(d for d in data.get(key, []) if isinstance(d, date))

        return cls(dates("holidays"), dates("workdays"), source=f"chinese-calendar + {path}")

    def exception(self, day: date) -> bool | None:
        """How `day` differs from an ordinary week: False for a weekday off (holiday), True
        for a weekend day worked (调休), None for an ordinary day."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        says = _package_says(day) if self.use_package else None
        if says is None:
            return None
        weekday = day.weekday() < 5
        return None if says == weekday else says

    def is_working_day(self, day: date) -> bool:
        special = self.exception(day)
        return day.weekday() < 5 if special is None else special

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (the day of submission is day 0)."""
        current, remaining = start, days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def covers(self, year: int) -> bool:
        """Whether official holidays are known for `year` (by the package or the hall's file)."""
        if any(d.year == year for d in self.holidays | self.workdays):
            return True
        return self.use_package and _package_says(date(year, 1, 1)) is not None

    def unknown_years(self, today: date) -> list[int]:
        """This year and next, where not covered: what doctor and the fleet page warn about.
        Next year only from December on (the announcement comes in November)."""
        years = [today.year] + ([today.year + 1] if today.month == 12 else [])
        return [y for y in years if not self.covers(y)]
