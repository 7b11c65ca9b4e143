"""Raster rendering for what the printer's own fonts cannot print: lines with characters
outside GBK (drawn with Pillow, glyph by glyph from a chain of CJK fonts) and QR codes for
printers without native `GS ( k`.

Pillow has no per-glyph fallback, so the chain is walked per character using each font's
character map (read with fontTools, exact, ~0.1 s per font, once per process).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

# Pillow, fontTools and qrcode (~10 MiB) are imported when a line or a QR code is rasterised,
# not with the printer: most tickets print with the printer's own font and native QR.
if TYPE_CHECKING:
    from PIL import Image, ImageFont

log = logging.getLogger(__name__)

# Simplified Chinese faces first (a .ttc's first face may be Japanese: Noto CJK's SC face is
# index 2), then wider-coverage fallbacks for rare name characters (Ext A: Droid Sans Fallback;
# Ext B such as 𠮷: HanaMin / Noto CJK when installed).
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0),
    ("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),  # Latin symbols such as €
)
FONT_ENV = "KIOSK_PRINT_FONTS"  # extra fonts first: "path[#face]:path…"
MISSING_GLYPH = "□"  # in GBK, so even a printer font draws it


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int = 0


def font_candidates() -> list[FontFace]:
    extra = [e for e in os.environ.get(FONT_ENV, "").split(os.pathsep) if e]
    faces = []
    for entry in extra:
        path, _, index = entry.partition("#")
        faces.append(FontFace(path, int(index or 0)))
    faces += [FontFace(p, i) for p, i in FONT_CANDIDATES]
    return faces


class FontChain:
    """Fonts in preference order; `face_for(ch)` picks the first one that has the glyph."""

    def __init__(self, faces: list[FontFace]) -> None:
        self.faces = [f for f in faces if Path(f.path).is_file()]
        self._cmaps: dict[FontFace, set[int]] = {}
        self._fonts: dict[tuple[FontFace, int], ImageFont.FreeTypeFont] = {}
        if not self.faces:
            log.warning(
                "no CJK font found (tried %s; set %s): characters outside GBK will print as %s",
                ", ".join(f.path for f in faces),
                FONT_ENV,
                MISSING_GLYPH,
            )

    def _cmap(self, face: FontFace) -> set[int]:
        if face not in self._cmaps:
            from fontTools.ttLib import TTFont

            try:
                with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
                    self._cmaps[face] = set(font.getBestCmap() or {})
            except Exception:  # a broken font file must not stop printing
                log.warning("cannot read font %s#%d", face.path, face.index, exc_info=True)
                self._cmaps[face] = set()
        return self._cmaps[face]

    def face_for(self, ch: str) -> FontFace | None:
        return next((f for f in self.faces if ord(ch) in self._cmap(f)), None)

    def has(self, ch: str) -> bool:
        return ch.isspace() or self.face_for(ch) is not None

    def font(self, face: FontFace, size: int) -> ImageFont.FreeTypeFont:
        key = (face, size)
        if key not in self._fonts:
            from PIL import ImageFont

            self._fonts[key] = ImageFont.truetype(face.path, size, index=face.index)
        return self._fonts[key]


@lru_cache(maxsize=1)
def default_fonts() -> FontChain:
    return FontChain(font_candidates())


def render_line(
    text: str,
    *,
    fonts: FontChain,
    width_dots: int,
    cell: int = 24,
    scale: tuple[int, int] = (1, 1),
    align: str = "left",
    bold: bool = False,
) -> Image.Image:
    """One printed line as a 1-bit image `width_dots` wide; a full-width character occupies
    `cell`×`cell` dots at scale 1, as in the printer's own 24-dot font."""
    from PIL import Image, ImageDraw

    sx, sy = scale
    height = cell * sy
    canvas = Image.new(
        "L",
        (
            max(1, sum((cell // 2 if c.isascii() else cell) * sy for c in text)),
            height + height // 4,
        ),
        255,
    )
    draw = ImageDraw.Draw(canvas)
    x = 0
    for ch in text:
        face = None if ch.isspace() else fonts.face_for(ch)
        if face is not None:
            draw.text(
                (x, 0),
                ch,
                font=fonts.font(face, height),
                fill=0,
                stroke_width=1 if bold else 0,
                stroke_fill=0,
            )
        x += (cell // 2 if ch.isascii() else cell) * sy
    if sx != sy:  # GS ! scales width and height independently; so do we
        canvas = canvas.resize((canvas.width * sx // sy, canvas.height))
    line = canvas.crop((0, 0, min(canvas.width, width_dots), canvas.height))
    offset = {
        "left": 0,
        "center": (width_dots - line.width) // 2,
        "right": width_dots - line.width,
    }[align]
    full = Image.new("L", (width_dots, canvas.height), 255)
    full.paste(line, (max(0, offset), 0))
    # threshold, not dither: dithered text is unreadable on a thermal head
    return full.point(lambda v: 0 if v < 128 else 255, "1")


def qr_image(
    data: str, *, module: int = 6, ec: str = "M", width_dots: int = 576, align: str = "center"
) -> Image.Image:
    """A QR code with its 4-module quiet zone, placed on a full-width 1-bit line. Modules
    shrink until the symbol fits the paper; a payload too big even at 1 dot is a ValueError."""
    import qrcode
    from PIL import Image

    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[ec], box_size=1, border=4)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    modules = code.modules_count + 8
    box = min(module, width_dots // modules)
    if box < 1:
        raise ValueError(f"QR code of {modules} modules does not fit {width_dots} dots")
    code.box_size = box
    img = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
    full = Image.new("1", (width_dots, img.height), 1)
    offset = {"left": 0, "center": (width_dots - img.width) // 2, "right": width_dots - img.width}[
        align
    ]
    full.paste(img, (offset, 0))
    return full
