"""Card profiles as data (card_profiles.toml: the hall's, else the package default): which cards a profile applies to (ATR
patterns), the APDU script to run, and how to parse each answer into a named field.

A profile whose `probe` step fails (e.g. SELECT answers 6A82 "not found") does not apply and
the next profile is tried, so several profiles may share a wide ATR pattern.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import SC_CARD_UNSUPPORTED, SC_PROFILE_INVALID, KioskError
from common.paths import hall_file
from hardware.smartcard.apdu import PARSERS, atr_matches, parse_hex, to_hex, validate_atr_pattern


@dataclass(frozen=True)
class Step:
    apdu: bytes
    field: str | None = None  # None: a command whose data is not kept (e.g. SELECT)
    parse: str = "hex"
    probe: bool = False  # failing here means "not this kind of card"


@dataclass(frozen=True)
class CardProfile:
    id: str
    description: str
    atr: tuple[str, ...]
    steps: tuple[Step, ...]
    priority: int = 0
    personal: tuple[str, ...] = ()  # fields holding personal data (masked in logs)

    def matches(self, atr: bytes) -> bool:
        return any(atr_matches(p, atr) for p in self.atr)


def load_profiles(path: Path | None = None) -> list[CardProfile]:
    """Profiles sorted by priority (highest first); E-SC-08 names the bad entry."""
    path = path or hall_file("card_profiles.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(SC_PROFILE_INVALID, f"{path}: {exc}") from None
    profiles = [_profile(entry, path, i) for i, entry in enumerate(data.get("profile", []))]
    ids = [p.id for p in profiles]
    if len(set(ids)) != len(ids):
        raise KioskError(SC_PROFILE_INVALID, f"{path}: duplicate profile id")
    return sorted(profiles, key=lambda p: -p.priority)


def _profile(entry: dict[str, Any], path: Path, index: int) -> CardProfile:
    where = f"{path}: profile #{index + 1} ({entry.get('id', '?')})"
    try:
        atr = tuple(entry["atr"])
        for pattern in atr:
            validate_atr_pattern(pattern)
        steps = []
        for step in entry["steps"]:
            parse = step.get("parse", "hex")
            if parse not in PARSERS:
                raise ValueError(f"parse {parse!r} not one of {', '.join(PARSERS)}")
            steps.append(
                Step(
                    parse_hex(step["apdu"]),
                    step.get("field"),
                    parse,
                    bool(step.get("probe", False)),
                )
            )
        if not steps:
            raise ValueError("no steps")
        return CardProfile(
            str(entry["id"]),
            str(entry.get("description", "")),
            atr,
            tuple(steps),
            int(entry.get("priority", 0)),
            tuple(entry.get("personal", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KioskError(SC_PROFILE_INVALID, f"{where}: {exc}") from None


@dataclass(frozen=True)
class CardReading:
    reader: str
    atr: str
    profile: str
    fields: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "reader": self.reader,
            "atr": self.atr,
            "profile": self.profile,
            "fields": self.fields,
        }


def run_profile(card: Any, profile: CardProfile) -> dict[str, str]:
    """Run a profile's script on an open CardSession. Probe failures raise E-SC-07."""
    fields: dict[str, str] = {}
    for step in profile.steps:
        try:
            data = card.transmit(step.apdu, f"{profile.id}: {to_hex(step.apdu[:4])}")
        except KioskError as exc:
            if step.probe and exc.code == "E-SC-06":
                raise KioskError(SC_CARD_UNSUPPORTED, f"{profile.id}: {exc.detail}") from None
            raise
        if step.field:
            try:
                fields[step.field] = PARSERS[step.parse](data)
            except (ValueError, UnicodeDecodeError) as exc:
                raise KioskError(
                    SC_CARD_UNSUPPORTED, f"{profile.id}: {step.field} unreadable ({exc})"
                ) from None
    return fields


def read_card(
    reader: str | None = None,
    timeout: float = 10.0,
    *,
    profiles: list[CardProfile] | None = None,
    only: str | None = None,
) -> CardReading:
    """Wait for a card, then run the first profile that matches its ATR and whose probe
    step succeeds. `only` restricts to one profile id."""
    from hardware.smartcard.pcsc import PcscContext

    profiles = profiles if profiles is not None else load_profiles()
    if only is not None:
        profiles = [p for p in profiles if p.id == only]
        if not profiles:
            raise KioskError(SC_PROFILE_INVALID, f"no profile {only!r}")
    with PcscContext() as ctx:
        name, atr = ctx.wait_for_card(reader, timeout)
        tried = []
        for profile in profiles:
            if not profile.matches(atr):
                continue
            tried.append(profile.id)
            with ctx.connect(name) as card:  # a fresh connection: no state left by a probe
                try:
                    fields = run_profile(card, profile)
                except KioskError as exc:
                    if exc.code == SC_CARD_UNSUPPORTED.code:
                        continue
                    raise
            return CardReading(name, to_hex(atr), profile.id, fields)
    raise KioskError(
        SC_CARD_UNSUPPORTED,
        f"ATR {to_hex(atr)}; profiles tried: {', '.join(tried) or 'none matched the ATR'}",
    )
