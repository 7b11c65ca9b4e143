"""The pinyin input method behind the on-screen keyboard: letters in, candidate words out.

Kivy has no Chinese IME, so this is written by hand; its data is precomputed at build time
(tools/build_pinyin_lexicon.py: jieba's word frequencies + pypinyin's readings) into
screens/data/pinyin_lexicon.txt, so the kiosk never imports jieba or pypinyin. The file is
read on the first keystroke, not at start (it is not needed to show the home screen).

Candidates for the letters typed, best first:
1. words whose full pinyin is exactly the input (banshi → 办事, 班师 …), by frequency;
2. words whose initials are the input (bs → 办事 …) when the input has no vowel;
3. completions: words whose pinyin starts with the input (bansh → 办事 …);
4. partial conversions of the longest leading pinyin the lexicon knows (banshiz → 办事, then
   "z" stays to be typed on).
Each candidate says how many letters it consumes; choosing it commits the word and keeps the
rest of the input.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import overload

log = logging.getLogger(__name__)

# Package data (screens/data/), read through importlib.resources: installed wheels are unpacked.
LEXICON_PATH = Path(str(resources.files("screens").joinpath("data", "pinyin_lexicon.txt")))
_VOWELS = re.compile(r"[aeiouv]")


@dataclass(frozen=True)
class Candidate:
    word: str
    consumed: int  # letters of the input this word stands for
    freq: int


class _Column(Sequence[str]):
    """Strings stored as slices of one bytes blob: an item costs 8 bytes of offsets instead
    of a str object (~60 bytes each). `bisect` works on it like on a sorted list."""

    def __init__(self, blob: bytes, starts: array[int], ends: array[int]) -> None:
        self._blob = blob
        self._starts = starts
        self._ends = ends

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._blob[self._starts[i] : self._ends[i]].decode("utf-8")


class Lexicon:
    """The lexicon file kept as its own bytes plus offsets of its sorted keys and word lists,
    parsed per lookup: ~2.5 MiB resident, where 59,000 str keys and rows cost ~10 MiB (and
    70,000 parsed (word, frequency) tuples ~30 MiB)."""

    def __init__(self, path: Path = LEXICON_PATH) -> None:
        blob = path.read_bytes()
        # offsets of full-pinyin lines (key, tab, end) and of initials lines ("=" + key …)
        full = (array("I"), array("I"), array("I"))
        init = (array("I"), array("I"), array("I"))
        syllables: list[str] = []
        pos = 0
        for line in blob.split(b"\n"):
            start, pos = pos, pos + len(line) + 1
            if line.startswith(b"@syllables "):
                syllables = line.decode("ascii").split()[1:]
                continue
            tab = line.find(b"\t")
            if tab < 0 or line.startswith(b"#"):
                continue
            target, key_start = (init, start + 1) if line.startswith(b"=") else (full, start)
            target[0].append(key_start)
            target[1].append(start + tab)
            target[2].append(start + len(line))
        self.keys = _Column(blob, full[0], full[1])  # sorted by the builder
        self._rows = _Column(blob, array("I", (t + 1 for t in full[1])), full[2])
        self._initial_keys = _Column(blob, init[0], init[1])  # sorted too
        self._initial_rows = _Column(blob, array("I", (t + 1 for t in init[1])), init[2])
        self.syllables = frozenset(syllables)

    @staticmethod
    def _parse(row: str, limit: int = -1) -> list[tuple[str, int]]:
        """(word, frequency) of a row, most frequent first; the first `limit` only."""
        out = []
        for item in row.split(",", limit)[:limit] if limit > 0 else row.split(","):
            word, _, freq = item.partition(" ")
            out.append((word, int(freq or 1)))
        return out

    def words(self, key: str) -> list[tuple[str, int]]:
        """Words whose full pinyin is `key`, most frequent first."""
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            return self._parse(self._rows[i])
        return []

    def by_initials(self, abbrev: str) -> list[tuple[str, int]]:
        keys = self._initial_keys
        i = bisect.bisect_left(keys, abbrev)
        if i < len(keys) and keys[i] == abbrev:
            return self._parse(self._initial_rows[i])
        return []

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one lexicon per process
    def split(self, letters: str) -> tuple[str, ...] | None:
        """Split letters into syllables (longest first, backtracking); None if impossible."""
        if not letters:
            return ()
        for end in range(min(6, len(letters)), 0, -1):
            head = letters[:end]
            if head in self.syllables:
                rest = self.split(letters[end:])
                if rest is not None:
                    return (head, *rest)
        return None

    def display(self, letters: str) -> str:
        """The typed letters with syllable breaks (ban'shi), for the composition line."""
        parts: list[str] = []
        rest = letters
        while rest:
            split = self.split(rest)
            if split is not None:
                parts.extend(split)
                break
            # an unfinished last syllable: show the longest valid head, then the rest as is
            for end in range(min(6, len(rest)), 0, -1):
                if rest[:end] in self.syllables and self.split(rest[:end]) is not None:
                    parts.append(rest[:end])
                    rest = rest[end:]
                    break
            else:
                parts.append(rest)
                break
        return "'".join(parts)

    def candidates(self, letters: str, limit: int = 40) -> list[Candidate]:
        letters = letters.lower()
        if not letters:
            return []
        out: list[Candidate] = []
        seen: set[str] = set()

        def add(word: str, consumed: int, freq: int) -> None:
            if word not in seen:
                seen.add(word)
                out.append(Candidate(word, consumed, freq))

        n = len(letters)
        for word, freq in self.words(letters):
            add(word, n, freq)
        if not _VOWELS.search(letters) and n >= 2:
            for word, freq in self.by_initials(letters)[:limit]:
                add(word, n, freq)
        completions: list[tuple[str, int]] = []
        start = bisect.bisect_right(self.keys, letters)
        for i in range(start, min(start + 400, len(self.keys))):
            if not self.keys[i].startswith(letters):
                break
            completions.extend(self._parse(self._rows[i], 3))
        completions.sort(key=lambda wf: -wf[1])
        for word, freq in completions[:12]:
            add(word, n, freq)
        for end in range(n - 1, 0, -1):
            head = letters[:end]
            words = self.words(head)
            if words and self.split(head) is not None:
                for word, freq in words[:limit]:
                    add(word, end, freq)
                if len(out) >= limit:
                    break
        return out[:limit]


_lexicon: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process's lexicon, read on first use (~0.1 s), then kept."""
    global _lexicon
    if _lexicon is None:
        _lexicon = Lexicon()
    return _lexicon
