"""Device target strings: `scheme[:rest][?key=value&...]`, e.g. `file:/tmp/out.bin`,
`sim?fault=paper_out`, `usb:0416:5011`, `serial:/dev/ttyUSB0?baud=9600`, `tcp:10.0.0.5:9100`.

Generic on purpose (printer, scanner and voice use it; other families may): this module only
splits and validates; each family decides what its schemes and options mean. Unknown options
are errors, not ignored, so a typo in a kiosk's config is reported instead of silently lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from common.errors import DEVICE_TARGET_INVALID, KioskError


@dataclass(frozen=True)
class TargetString:
    raw: str
    family: str  # "printer", "scanner" … used in error messages
    scheme: str
    rest: str  # what follows "scheme:", before "?"; "" when absent
    options: dict[str, str] = field(default_factory=dict)

    def fail(self, what: str) -> KioskError:
        return KioskError(DEVICE_TARGET_INVALID, f"{self.family} target {self.raw!r}: {what}")

    def allow(self, names: Iterable[str]) -> None:
        unknown = sorted(set(self.options) - set(names))
        if unknown:
            allowed = ", ".join(sorted(names)) or "none"
            raise self.fail(f"unknown option(s) {', '.join(unknown)} (allowed: {allowed})")

    def choice(self, name: str, choices: Iterable[str], default: str | None) -> str | None:
        value = self.options.get(name, default)
        options = list(choices)
        if value is not None and value not in options:
            raise self.fail(f"{name}={value!r} is not one of {', '.join(options)}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        text = self.options.get(name)
        if text is None:
            return default
        try:
            value = int(text, 0)  # accepts 0x82 for endpoints
        except ValueError:
            raise self.fail(f"{name}={text!r} is not an integer") from None
        if not low <= value <= high:
            raise self.fail(f"{name}={value} outside {low}..{high}")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        text = self.options.get(name)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            raise self.fail(f"{name}={text!r} is not a number") from None
        if not low <= value <= high:
            raise self.fail(f"{name}={value} outside {low}..{high}")
        return value


def parse_target(raw: str, *, family: str) -> TargetString:
    """Split a target string; raises KioskError(E-HW-01) naming what is wrong."""
    if not isinstance(raw, str) or not raw.strip():
        raise KioskError(DEVICE_TARGET_INVALID, f"{family} target is empty")
    text = raw.strip()
    head, sep, query = text.partition("?")
    scheme, _, rest = head.partition(":")
    if not scheme or not scheme.isidentifier():
        raise KioskError(
            DEVICE_TARGET_INVALID, f"{family} target {raw!r}: missing or bad scheme before ':'"
        )
    options: dict[str, str] = {}
    if sep:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise KioskError(
                DEVICE_TARGET_INVALID, f"{family} target {raw!r}: options must be key=value&…"
            ) from None
        for key, value in pairs:
            if key in options:
                raise KioskError(
                    DEVICE_TARGET_INVALID, f"{family} target {raw!r}: option {key} given twice"
                )
            options[key] = value
    return TargetString(raw=text, family=family, scheme=scheme.lower(), rest=rest, options=options)
