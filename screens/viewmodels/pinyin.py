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
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "pinyin_lexicon.txt"
_VOWELS = re.compile(r"[aeiouv]")


@dataclass(frozen=True)
class Candidate:
    word: str
    consumed: int  # letters of the input this word stands for
    freq: int


class Lexicon:
    def __init__(self, path: Path = LEXICON_PATH) -> None:
        self.entries: dict[str, list[tuple[str, int]]] = {}
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or "\t" not in line:
                    continue
                key, _, rest = line.rstrip("\n").partition("\t")
                words = []
                for item in rest.split(","):
                    word, _, freq = item.partition(" ")
                    words.append((word, int(freq or 1)))
                self.entries[key] = words
        self.keys = sorted(self.entries)
        self.syllables = frozenset(
            k for k, ws in self.entries.items() if any(len(w) == 1 for w, _ in ws))
        self.initials: dict[str, list[tuple[str, int]]] = {}
        for key, words in self.entries.items():
            for word, freq in words:
                if len(word) < 2:
                    continue
                abbrev = self._initials_of(key, len(word))
                if abbrev:
                    self.initials.setdefault(abbrev, []).append((word, freq))
        for words in self.initials.values():
            words.sort(key=lambda wf: -wf[1])

    def _initials_of(self, key: str, n_chars: int) -> str | None:
        parts = self.split(key)
        if parts is None or len(parts) != n_chars:
            return None
        # zh/ch/sh abbreviate to their first letter, as most IMEs accept
        return "".join(p[0] for p in parts)

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
        for word, freq in self.entries.get(letters, []):
            add(word, n, freq)
        if not _VOWELS.search(letters) and n >= 2:
            for word, freq in self.initials.get(letters, [])[:limit]:
                add(word, n, freq)
        completions: list[tuple[str, int]] = []
        start = bisect.bisect_right(self.keys, letters)
        for key in self.keys[start:start + 400]:
            if not key.startswith(letters):
                break
            completions.extend(self.entries[key][:3])
        completions.sort(key=lambda wf: -wf[1])
        for word, freq in completions[:12]:
            add(word, n, freq)
        for end in range(n - 1, 0, -1):
            head = letters[:end]
            if head in self.entries and self.split(head) is not None:
                for word, freq in self.entries[head][:limit]:
                    add(word, end, freq)
                if len(out) >= limit:
                    break
        return out[:limit]


_lexicon: Lexicon | None = None


def lexicon() -> Lexicon:
    """The process's lexicon, read on first use (~0.3 s), then kept."""
    global _lexicon
    if _lexicon is None:
        _lexicon = Lexicon()
    return _lexicon
