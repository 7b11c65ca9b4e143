"""The FTS5 tokens of every unit of a whole-catalog build (search_build._write_grams): the same
string search_index.term_tokens makes for a unit, made ~3x faster for a build.

search_index makes a unit's tokens one gram at a time (a dict of grams, then each gram's token
by encoding it to hex): ~125 µs a unit, 1.7 CPU s of a 100,000-item sync. Titles of one catalog
share their characters and syllables, so here each character's hex and each Latin gram's token
is made once (small dicts, bounded by the catalog's alphabet), and an alias met again (aliases
recur in many units) is not tokenised again. tests/offline_cache/
test_build_tokens.py holds the two to the same strings.
"""

from __future__ import annotations

from offline_cache import search_index as ix
from offline_cache.search_text import BODY, TITLE, Names, Term, ascii_keys

STRING_MAX = 2048  # tokenised aliases and body segments kept (~4 KB each); cleared when full


class Tokens:
    """term_tokens for many units; memoised pieces live as long as the instance (one build)."""

    def __init__(self) -> None:
        self._hex: dict[str, str] = {}  # a character → 8 hex digits (its UTF-32-BE code)
        self._strings: dict[Term, tuple[str, ...]] = {}

    def of(self, unit: Names | Term) -> str:
        """What search_index.term_tokens(unit) returns."""
        if isinstance(unit, Names):
            tokens = list(self._string(unit.title))
            for alias in unit.aliases:
                tokens += self._string(alias)
            return " ".join(dict.fromkeys(tokens))
        return " ".join(self._string(unit))

    def _string(self, term: Term) -> tuple[str, ...]:
        if term.kind == TITLE:  # one unit a title: met once, not worth keeping
            return self._tokens(term)
        found = self._strings.get(term)
        if found is None:
            if len(self._strings) >= STRING_MAX:
                self._strings.clear()
            found = self._strings[term] = self._tokens(term)
        return found

    def _tokens(self, term: Term) -> tuple[str, ...]:
        """search_index._string_tokens, the same tokens in the same order."""
        kind, text = term.kind, term.text
        hexes = [self._hex.get(c) or self._char(c) for c in text]
        tokens = _text_grams(kind, hexes, text)
        if kind == BODY:
            return tuple(tokens)
        keys = ascii_keys(term.pinyin, term.initials)
        tokens += _latin_grams(kind + ix.LATIN, keys)
        tokens.append(ix.exact_token(kind, text))
        tokens += [f"{kind}p{''.join(hexes[:k])}"  # search_index.prefix_token
                   for k in range(ix.PREFIX_MIN, min(ix.PREFIX_MAX, len(text)) + 1)]
        tokens += _long_grams(kind + ix.LATIN, keys)
        if term.pinyin:
            tokens.append(ix.exact_token(kind + ix.LATIN, term.pinyin.replace(" ", "")))
        if term.initials:
            tokens.append(ix.exact_token(kind + ix.LATIN, term.initials, initials=True))
        return tuple(tokens)

    def _char(self, c: str) -> str:
        self._hex[c] = found = c.encode("utf-32-be").hex()  # as search_index.gram_token
        return found


def _text_grams(kind: int, hexes: list[str], text: str) -> list[str]:
    """gram_token of each character and the pair starting there, each gram once: "a" for the
    one that starts the text (search_index.term_grams)."""
    seen: set[str] = set()
    tokens = []
    last = len(text) - 1
    for i in range(len(text)):
        gram = text[i:i + 2]
        if gram in seen:
            continue
        seen.add(gram)
        tokens.append(f"{kind}{'b' if i else 'a'}{hexes[i]}{hexes[i + 1] if i < last else ''}")
    return tokens


def _latin_grams(stream: int, keys: tuple[tuple[str, tuple[int, ...]], ...]) -> list[str]:
    """The 3 letters from each syllable start of each Latin key, in first-seen order; "a" when
    they start a key (search_index.term_grams lets a key's start win over a later match)."""
    order: dict[str, None] = {}
    firsts = set()
    for key, starts in keys:
        firsts.add(key[:ix.LATIN_GRAM])
        for b in starts:
            order[key[b:b + ix.LATIN_GRAM]] = None
    return [f"{stream}{'a' if g in firsts else 'b'}{g}" for g in order]


def _long_grams(stream: int, keys: tuple[tuple[str, tuple[int, ...]], ...]) -> list[str]:
    """search_index.long_grams as long_token strings: 4–6 letters from each syllable start
    ("c" when they start a key), then "d" for those of them that recur later."""
    order: dict[str, None] = {}
    firsts = set()
    for key, starts in keys:
        for b in starts:
            gram = key[b:b + ix.LATIN_LONG]
            if len(gram) > ix.LATIN_GRAM:
                order[gram] = None
                if b == 0:
                    firsts.add(gram)
    tokens = [f"{stream}{'c' if g in firsts else 'd'}{g}" for g in order]
    return tokens + [f"{stream}d{g}" for g in ix.recurring(keys, firsts)]
