"""Which font files the screens draw with (no Kivy import: settled before Kivy starts).

Kivy has no per-glyph fallback, so the default font must be a Simplified-Chinese face. Debian's
NotoSansCJK .ttc opens on its Japanese face (直 骨 辶 drawn the Japanese way), so it is not in
the list; WenQuanYi Micro Hei is (fonts-wqy-microhei, installed by ./dev). Characters the main
font lacks (rare name characters such as 䶮) are wrapped in `[font=…]` markup pointing at a
fallback font that has them (`fallback_markup`).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from kiosk.errors import FONT_MISSING, KioskError

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


@functools.lru_cache(maxsize=4)
def _codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith(".ttc"):
        font = TTCollection(path, lazy=True).fonts[0]
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap() or {})


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
