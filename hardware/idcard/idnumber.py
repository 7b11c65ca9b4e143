"""Check digits of the numbers printed on Chinese identity documents. Pure functions.

- GB 11643 (ISO 7064 MOD 11-2): 18-character citizen numbers, also used by the HK/Macau/Taiwan
  residence permit (81/82/83…) and the 2023 foreign permanent resident card (9…).
- The 2017 foreign permanent resident card's 15-character number (3 letters + 12 digits): its
  last digit follows the ICAO 9303 (passport MRZ) 7-3-1 rule. Only one public source says so;
  docs/hardware-idcard.md records that uncertainty.
"""

from __future__ import annotations

import re

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"
# [0-9], not \d: \d also matches other scripts' digits, which a card never holds.
_GB11643_RE = re.compile(r"[0-9]{17}[0-9X]")
_FOREIGN2017_RE = re.compile(r"[A-Z]{3}[0-9]{12}")


def gb11643_check_char(first17: str) -> str:
    """The 18th character for 17 digits; raises ValueError for anything else."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("GB 11643 needs exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return GB11643_CHECK[total % 11]


def gb11643_valid(number: str) -> bool:
    """True when `number` is 17 digits plus the right check character (X upper case)."""
    if not _GB11643_RE.fullmatch(number):
        return False
    return gb11643_check_char(number[:17]) == number[17]


def icao9303_check_digit(text: str) -> str:
    """ICAO 9303 check digit: weights 7 3 1 repeating, A=10 … Z=35, '<' = 0."""
    total = 0
    for i, ch in enumerate(text):
        if "0" <= ch <= "9":
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - ord("A") + 10
        elif ch == "<":
            value = 0
        else:
            raise ValueError(f"character {ch!r} has no ICAO 9303 value")
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


def foreign2017_valid(number: str) -> bool:
    """3 letters (nationality) + 12 digits, the last an ICAO 9303 check digit."""
    if not _FOREIGN2017_RE.fullmatch(number):
        return False
    return icao9303_check_digit(number[:14]) == number[14]


def id_number_valid(number: str) -> bool:
    """Pick the rule by shape: 18 characters → GB 11643, 15 → the 2017 foreign card's rule."""
    if len(number) == 18:
        return gb11643_valid(number)
    if len(number) == 15:
        return foreign2017_valid(number)
    return False
