"""Pinyin search helpers precomputed at catalog import, so kiosks need no pinyin library.

pypinyin with its default phrase dictionary picks the reading of polyphones from context
(重庆 → chong qing, 银行 → yin hang, 长春 → chang chun). Latin letters and digits inside a title
are kept (lower-cased) so "ABC证明" is "abc zheng ming" / "abczm"; punctuation is dropped.
"""

from __future__ import annotations

import functools
import re

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
_RUN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]+|[A-Za-z0-9]+")


def _syllables(text: str) -> list[tuple[str, bool]]:
    """(syllable, is_pinyin) for each Chinese character and each Latin/digit run, in order."""
    out: list[tuple[str, bool]] = []
    for match in _RUN.finditer(text):
        run = match.group(0)
        if _HAN.match(run):  # a whole Chinese run at once, so phrases pick polyphone readings
            out.extend((py, True) for py in lazy_pinyin(run, style=Style.NORMAL, errors="ignore"))
        else:
            out.append((run.lower(), False))
    return out


@functools.lru_cache(maxsize=65536)  # aliases and title stems repeat across a catalog
def pinyin_of(text: str) -> tuple[str, str]:
    """("ying ye zhi zhao", "yyzz") for 营业执照; Latin and digit runs stay whole in both."""
    syl = _syllables(text)
    return " ".join(s for s, _ in syl), "".join(s[0] if py else s for s, py in syl)


def search_helpers(title: str, aliases: list[str]) -> dict[str, object]:
    """The `search` object of a catalog item (common.wire.SearchHelpers)."""
    title_pinyin, title_initials = pinyin_of(title)
    alias_pinyin: list[str] = []
    alias_initials: list[str] = []
    for alias in aliases:
        py, ini = pinyin_of(alias)
        alias_pinyin.append(py)
        alias_initials.append(ini)
    return {
        "title_pinyin": title_pinyin,
        "title_initials": title_initials,
        "alias_pinyin": alias_pinyin,
        "alias_initials": alias_initials,
    }
