"""Which functions are offered now (the 24-hour zone's after-hours rules), and when each
queue service takes tickets. Read by both sides: the kiosk's screens and the hall server's
ticket route agree because they read the same file with the same code.

Pure: the schedule file (schedule.toml, the hall's or the package default) and a time in, availability out, so it is tested with
fixed times. A function missing from the file is always offered; a broken file is logged and
everything stays offered (a kiosk that refuses all service is worse). `[services.<code>]`
sections give one queue service its own days and hours (else the `queue` function's apply).
Days off and make-up working days come from the one calendar (common/workdays.py).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from common.workdays import WorkCalendar

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FUNCTIONS = ("queue", "guide", "forms", "progress", "evaluate")
LOOKAHEAD_DAYS = 16  # the next opening is searched this far ahead (Golden Week is 7–9 days)


@dataclass(frozen=True)
class Availability:
    open: bool
    reopens: datetime | None = None  # next opening when closed (None: not in LOOKAHEAD_DAYS)


@dataclass(frozen=True)
class Rule:
    always: bool = True
    days: frozenset[int] = frozenset(range(7))
    periods: tuple[tuple[time, time], ...] = ()


class Schedule:
    def __init__(
        self,
        rules: dict[str, Rule],
        calendar: WorkCalendar | None = None,
        services: dict[str, Rule] | None = None,
    ) -> None:
        self.rules = rules
        self.calendar = calendar or WorkCalendar(use_package=False)
        self.services = services or {}

    @classmethod
    def load(cls, path: Path, holidays: Path | None = None) -> Schedule:
        """The schedule file and the optional holidays file (the hall's, else the defaults)."""
        rules: dict[str, Rule] = {}
        services: dict[str, Rule] = {}
        try:
            if path.is_file():
                with path.open("rb") as fh:
                    data = tomllib.load(fh)
                for name, raw in (data.get("functions") or {}).items():
                    rules[name] = _rule(raw)
                for code, raw in (data.get("services") or {}).items():
                    services[code] = _rule(raw)
        except (OSError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
            log.error("schedule.toml unusable, every function stays offered: %s", exc)
            rules, services = {}, {}
        return cls(rules, WorkCalendar.load(holidays), services)

    def working_day(self, day: date, rule: Rule) -> bool:
        special = self.calendar.exception(day)
        if special is not None:
            return special
        return day.weekday() in rule.days

    def _open_at(self, rule: Rule, moment: datetime) -> bool:
        if rule.always:
            return True
        if not self.working_day(moment.date(), rule):
            return False
        now = moment.time()
        return any(start <= now < end for start, end in rule.periods)

    def availability(self, function: str, now: datetime) -> Availability:
        return self._availability(self.rules.get(function), now)

    def service_rule(self, service: str) -> Rule | None:
        """A queue service's own section, else the `queue` function's rule."""
        return self.services.get(service, self.rules.get("queue"))

    def service_availability(self, service: str, now: datetime) -> Availability:
        """When one queue service takes tickets."""
        return self._availability(self.service_rule(service), now)

    def _availability(self, rule: Rule | None, now: datetime) -> Availability:
        if rule is None or self._open_at(rule, now):
            return Availability(True)
        for offset in range(LOOKAHEAD_DAYS):
            day = now.date() + timedelta(days=offset)
            if not self.working_day(day, rule):
                continue
            for start, _end in rule.periods:
                opening = datetime.combine(day, start, tzinfo=now.tzinfo)
                if opening > now:
                    return Availability(False, opening)
        return Availability(False, None)


def _parse_hhmm(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def _rule(raw: dict) -> Rule:
    if raw.get("always", False):
        return Rule(True)
    days = frozenset(DAYS.index(d) for d in raw.get("days", DAYS))
    periods = []
    for span in raw.get("hours", []):
        start, end = span.split("-")
        periods.append((_parse_hhmm(start), _parse_hhmm(end)))
    return Rule(False, days, tuple(periods))

