"""Which font files the screens draw with (no Kivy import: settled before Kivy starts).

Kivy has no per-glyph fallback, so the default font must be a Simplified-Chinese face. Debian's
NotoSansCJK .ttc opens on its Japanese face (直 骨 辶 drawn the Japanese way), so it is not in
the list; WenQuanYi Micro Hei is (fonts-wqy-microhei, installed by ./dev). Characters the main
font lacks (rare name characters such as 䶮) are wrapped in `[font=…]` markup pointing at a
fallback font that has them (`fallback_markup`).
"""

from __future__ import annotations

import bisect
import functools
import logging
import mmap
import struct
from pathlib import Path

from common.errors import FONT_MISSING, KioskError

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
# Wider coverage (CJK Extension A) for rare name characters; Debian: fonts-droid-fallback.
FALLBACK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
)


def find_cjk_font(configured: str = "") -> Path:
    """The configured font when set (it must exist), else the first known one installed."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise KioskError(FONT_MISSING, f"ui.font {configured!r} does not exist")
        return path
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise KioskError(FONT_MISSING, "searched " + ", ".join(CJK_FONT_CANDIDATES))


def find_fallback_font() -> Path | None:
    return next((Path(p) for p in FALLBACK_FONT_CANDIDATES if Path(p).is_file()), None)


class CharSet:
    """The characters a font maps to a glyph, as sorted ranges: a few KiB, where a set of
    the ~35,000 code points of a CJK font costs 2 MiB (and parsing it with fontTools peaked
    at +14 MiB in the kiosk process, at the review screen)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for first, last in sorted(ranges):
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        self._firsts = [r[0] for r in merged]
        self._lasts = [r[1] for r in merged]

    def __contains__(self, codepoint: object) -> bool:
        if not isinstance(codepoint, int):
            return False
        i = bisect.bisect_right(self._firsts, codepoint) - 1
        return i >= 0 and codepoint <= self._lasts[i]

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in zip(self._firsts, self._lasts, strict=True))


# cmap subtables in the order fontTools' getBestCmap() prefers them: (platform, encoding)
_CMAP_PREFERENCE = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


@functools.lru_cache(maxsize=4)
def _codepoints(path: str) -> CharSet:
    """Read the best Unicode cmap subtable (format 4 or 12) of a .ttf/.otf, or of the first
    face of a .ttc, straight from the file (OpenType spec, "cmap" table)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return CharSet(_best_cmap_ranges(data))


def _best_cmap_ranges(data: mmap.mmap) -> list[tuple[int, int]]:
    face = struct.unpack_from(">I", data, 12)[0] if data[:4] == b"ttcf" else 0
    num_tables = struct.unpack_from(">H", data, face + 4)[0]
    cmap = None
    for i in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, face + 12 + 16 * i)
        if tag == b"cmap":
            cmap = offset
    if cmap is None:
        return []
    subtables = {}
    for i in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        subtables.setdefault((platform, encoding), cmap + offset)
    for key in _CMAP_PREFERENCE:
        at = subtables.get(key)
        fmt = struct.unpack_from(">H", data, at)[0] if at is not None else None
        if fmt == 12:
            return _cmap_format12(data, at)
        if fmt == 4:
            return _cmap_format4(data, at)
    return []


def _cmap_format12(data: mmap.mmap, at: int) -> list[tuple[int, int]]:
    groups = struct.unpack_from(">I", data, at + 12)[0]
    ranges = []
    for i in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, at + 16 + 12 * i)
        if glyph == 0:  # the group's first code point maps to .notdef
            first += 1
        if first <= last:
            ranges.append((first, last))
    return ranges


def _cmap_format4(data: mmap.mmap, at: int) -> list[tuple[int, int]]:
    segments = struct.unpack_from(">H", data, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts_at = at + 16 + 2 * segments
    starts = struct.unpack_from(f">{segments}H", data, starts_at)
    deltas = struct.unpack_from(f">{segments}h", data, starts_at + 2 * segments)
    offsets_at = starts_at + 4 * segments
    range_offsets = struct.unpack_from(f">{segments}H", data, offsets_at)
    ranges = []
    for i, (first, last) in enumerate(zip(starts, ends, strict=True)):
        if first == 0xFFFF:
            continue
        if range_offsets[i] == 0:  # glyph = code + delta: .notdef only where that wraps to 0
            ranges += [(c, c) for c in range(first, last + 1) if (c + deltas[i]) & 0xFFFF]
            continue
        for c in range(first, last + 1):  # glyph ids from the array, 0 = .notdef
            where = offsets_at + 2 * i + range_offsets[i] + 2 * (c - first)
            glyph = struct.unpack_from(">H", data, where)[0]
            if glyph and (glyph + deltas[i]) & 0xFFFF:
                ranges.append((c, c))
    return ranges


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def fallback_markup(text: str, main_font: Path, fallback_font: Path | None) -> str:
    """Kivy markup drawing the characters main_font lacks with fallback_font.

    Needed only for personal names on the citizen's own review screens; everything else is
    common text the main font covers.
    """
    if fallback_font is None:
        return escape_markup(text)
    have = _codepoints(str(main_font))
    out: list[str] = []
    for ch in text:
        piece = escape_markup(ch)
        if ord(ch) > 0x7F and ord(ch) not in have:
            piece = f"[font={fallback_font}]{piece}[/font]"
        out.append(piece)
    return "".join(out)
