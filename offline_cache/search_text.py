"""What guide search matches on: query normalisation and the searchable terms of an item.

Pure functions, shared by the index (offline_cache.search_index), the query side
(offline_cache.search_query), the naive baseline in bench/ and the tests, so every one of them
agrees on what "contains", "prefix" and "exact" mean.

- Chinese (any query that is not pure Latin letters/digits) matches as a plain substring of the
  title, an alias, or a body segment (a condition, material, step or situation name).
  Case folding is ASCII-only, exactly like SQLite's LIKE.
- Latin queries match the pinyin the server precomputed (common.wire.SearchHelpers) — full
  pinyin or initials, spaces and apostrophes ignored — always starting at a syllable boundary:
  "zhizhao" finds 营业执照, "hizhao" does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from common import wire

# Term kinds: which field of an item a term comes from.
TITLE, ALIAS, BODY = 0, 1, 2

_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
# Full-width letters/digits an IME in full-width mode types (ｙｙｚｚ, ２０２４) → ASCII.
_FULLWIDTH = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                        *range(0xFF41, 0xFF5B)]}
_QUERY_MAP = {**_FULLWIDTH, **_ASCII_LOWER}
for _fw, _ascii in list(_FULLWIDTH.items()):
    if ord("A") <= _ascii <= ord("Z"):
        _QUERY_MAP[_fw] = _ascii + 32
_WS = re.compile(r"\s+")
_LATIN_QUERY = re.compile(r"^(?=.*[a-z])[a-z0-9' ]+$")
_ALNUM = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """ASCII-only lower case: the same folding SQLite's LIKE applies."""
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Query:
    text: str  # normalised: Chinese without whitespace, or Latin compacted ("yingyezhizhao")
    latin: bool  # match pinyin/initials/English instead of Chinese text


def parse_query(raw: str) -> Query:
    """Normalise what the citizen typed; an empty `text` means "no query" (browse)."""
    mapped = raw.translate(_QUERY_MAP).strip()
    if _LATIN_QUERY.match(mapped):
        return Query(mapped.replace(" ", "").replace("'", ""), latin=True)
    return Query(_WS.sub("", mapped), latin=False)


def syllables(spaced: str) -> list[str]:
    """Syllables (or English words) of a spaced Latin key: "ying ye zhi zhao" → 4 syllables."""
    return _ALNUM.findall(fold(spaced))


@lru_cache(maxsize=1 << 16)
def ascii_keys(pinyin: str, initials: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(compact key, syllable start offsets) for each Latin key of a term."""
    keys: list[tuple[str, tuple[int, ...]]] = []
    syl = syllables(pinyin)
    if syl:
        starts, pos = [], 0
        for s in syl:
            starts.append(pos)
            pos += len(s)
        keys.append(("".join(syl), tuple(starts)))
    ini = "".join(syllables(initials))
    if ini:
        keys.append((ini, tuple(range(len(ini)))))  # each initial is a syllable of its own
    return tuple(keys)


_HAN_OR_ALNUM = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]+|[a-z0-9]+")


def char_readings(text: str, pinyin: str) -> list[tuple[str, str]]:
    """(character, syllable) for each Chinese character of a title or alias, read off the
    pinyin the server made for it (one syllable a character, one a Latin/digit run,
    punctuation dropped: hall_server.search_helpers); [] when the two do not line up."""
    syl = syllables(pinyin)
    out: list[tuple[str, str]] = []
    i = 0
    for run in _HAN_OR_ALNUM.findall(fold(text)):
        if run[0].isascii():
            i += 1
            continue
        out += zip(run, syl[i:i + len(run)], strict=False)
        i += len(run)
    return out if i == len(syl) else []


def one_edit_prefix(q: str, key: str) -> bool:
    """Whether `key` starts with `q` typed with one letter wrong, missing, extra or swapped
    (or with `q` itself)."""
    n = len(q)
    # Two cheap rejections (most keys of a candidate unit fail one): an edit before the last
    # three letters leaves the last two within a place of theirs, and an edit at the first
    # letter leaves the third and fourth within a place of theirs.
    if n >= 4 and q[-2:] not in key[n - 3:n + 1] and not key.startswith(q[:n - 3]):
        return False
    if key[:1] != q[:1] and q[2:4] not in key[1:5]:
        return False
    i = 0
    end = min(n, len(key))
    while i < end and q[i] == key[i]:
        i += 1
    if i == n:
        return True
    rest = q[i + 1:]
    return (key[i + 1:n] == rest and len(key) >= n  # one letter wrong
            or key[i:n - 1] == rest  # one letter extra
            or key[i + 1:n + 1] == q[i:] and len(key) > n  # one letter missing
            or (i + 1 < n and key[i:i + 2] == q[i + 1] + q[i] and key[i + 2:n] == q[i + 2:]
                and len(key) >= n))  # two letters swapped


def syllable_suffixes(pinyin: str) -> str:
    """"|yezhizhao|zhizhao|zhao" for "ying ye zhi zhao": the compact pinyin from each syllable
    but the first, so SQL finds a match that starts at a syllable with instr(…, '|' || q)."""
    syl = syllables(pinyin)
    return "".join("|" + "".join(syl[i:]) for i in range(1, len(syl)))


def latin_match(q: str, pinyin: str, initials: str) -> int | None:
    """0 exact, 1 prefix, 2 contains at a syllable boundary, None: no match."""
    best: int | None = None
    for key, starts in ascii_keys(pinyin, initials):
        if key == q:
            return 0
        if key.startswith(q):
            best = 1
        elif best is None and any(key.startswith(q, b) for b in starts[1:]):
            best = 2
    return best


def text_match(q: str, text: str) -> int | None:
    """0 exact, 1 prefix, 2 contains, None: no match (text already folded)."""
    if text == q:
        return 0
    if text.startswith(q):
        return 1
    return 2 if q in text else None


class Term(NamedTuple):
    """One searchable string of an item. Equal strings of many items are one term in the
    index: titles, aliases and above all materials repeat across a catalog. (A NamedTuple:
    hashed and compared in C, which a page of 500 items does some 30,000 times.)"""

    kind: int
    label: str  # what ItemSummary.matched says: title, alias, materials, conditions, …
    text: str  # folded
    pinyin: str = ""  # spaced syllables: "ying ye zhi zhao"
    initials: str = ""


class Names(NamedTuple):
    """An item's title and aliases: one unit of the index, so that an item costs one posting.
    Items that share title and aliases (the same service in several districts) share it."""

    title: Term
    aliases: tuple[Term, ...]

    @property
    def kind(self) -> int:
        return TITLE


def item_names(item: wire.CatalogItem) -> Names:
    terms = name_terms(item)
    title = next((t for t in terms if t.kind == TITLE), Term(TITLE, "title", ""))
    return Names(title, tuple(t for t in terms if t.kind == ALIAS))


def name_terms(item: wire.CatalogItem) -> list[Term]:
    """The item's title and aliases, each with the pinyin and initials the server made."""
    s = item.search
    terms = [_term(TITLE, "title", item.title, s.title_pinyin, s.title_initials)]
    for i, alias in enumerate(item.aliases):
        py = s.alias_pinyin[i] if i < len(s.alias_pinyin) else ""
        ini = s.alias_initials[i] if i < len(s.alias_initials) else ""
        terms.append(_term(ALIAS, "alias", alias, py, ini))
    return list(dict.fromkeys(t for t in terms if t.text))


def body_terms(item: wire.CatalogItem) -> list[Term]:
    """Exactly what the mirror's body_text holds: conditions, material names, steps and
    situation names — labelled with what they are, for ItemSummary.matched."""
    terms = [_term(BODY, "conditions", c) for c in item.conditions]
    terms += [_term(BODY, "materials", m.name) for m in item.materials]
    terms += [_term(BODY, "steps", st) for st in item.steps]
    terms += [_term(BODY, "situations", sit.name) for sit in item.situations]
    return list(dict.fromkeys(t for t in terms if t.text))


@lru_cache(maxsize=1 << 16)  # the same strings recur all through a catalog sync
def _term(kind: int, label: str, text: str, pinyin: str = "", initials: str = "") -> Term:
    return Term(kind, label, fold(text), _spaced(pinyin), _compact(initials))


def _spaced(pinyin: str) -> str:
    return " ".join(syllables(pinyin))


def _compact(initials: str) -> str:
    return "".join(syllables(initials))
